import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, canAccessTenant, type AuthContext, type Page } from '@ionet/platform';
import { newEventId } from '@ionet/contracts';
import { DataSource } from 'typeorm';
import { decideSupplier, type PartnerNetwork, type SupplierSource } from '../domain/supplier/supplier.decider';
import { supplierEventToWire } from '../infrastructure/messaging/inventory-event-codec';
import { catalogPage } from './catalog-query';
import { InventoryStreams } from './inventory-streams';

export interface Supplier {
  supplierId: string;
  tenantId: string;
  name: string;
  source: SupplierSource;
  partnerNetwork: PartnerNetwork | null;
  payoutWallet: string | null;
  registeredAt: Date;
}

export interface RegisterSupplierInput {
  name: string;
  source: SupplierSource;
  partnerNetwork?: PartnerNetwork;
  payoutWallet?: string;
  /** Ops may register on behalf of a tenant; others register for their own. */
  tenantId?: string;
}

interface SupplierRow {
  supplier_id: string;
  tenant_id: string;
  name: string;
  source: SupplierSource;
  partner_network: PartnerNetwork | null;
  payout_wallet: string | null;
  registered_at: Date;
}

@Injectable()
export class SuppliersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly streams: InventoryStreams,
  ) {}

  /** Appends SupplierRegistered; the catalogue projection shows it moments later. */
  async register(caller: AuthContext, input: RegisterSupplierInput, correlationId: string): Promise<Supplier> {
    const tenantId = input.tenantId ?? caller.tenantId;
    if (!canAccessTenant(caller, tenantId)) throw new DomainError('SUPPLIER.FORBIDDEN', 'You may register suppliers only for your own tenant.');
    // The edge, not the domain, reads the clock and makes ids.
    const supplierId = newEventId();
    const { state, expectedVersion } = await this.streams.loadSupplier(supplierId);
    const events = decideSupplier({ type: 'RegisterSupplier', ...input, supplierId, tenantId, at: new Date() }, state);
    await this.streams.append('supplier', supplierId, expectedVersion, events.map(supplierEventToWire), correlationId);
    const registered = events[0]!;
    return {
      supplierId,
      tenantId,
      name: registered.name,
      source: registered.source,
      partnerNetwork: registered.partnerNetwork,
      payoutWallet: registered.payoutWallet,
      registeredAt: registered.at,
    };
  }

  async get(caller: AuthContext, supplierId: string): Promise<Supplier> {
    const [row] = (await this.dataSource.query(`select * from suppliers where supplier_id = $1`, [supplierId])) as SupplierRow[];
    // Another tenant's supplier reads as absent, so ids cannot be probed.
    if (!row || !canAccessTenant(caller, row.tenant_id)) throw new DomainError('SUPPLIER.NOT_FOUND', `No supplier ${supplierId}.`);
    return toSupplier(row);
  }

  async list(caller: AuthContext, limit: number, cursor?: string): Promise<Page<Supplier>> {
    return catalogPage<SupplierRow, Supplier>(
      this.dataSource,
      { view: 'suppliers', idColumn: 'supplier_id', filters: caller.scopes.includes('ops') ? [] : [['tenant_id', caller.tenantId]], limit, ...(cursor ? { cursor } : {}) },
      toSupplier,
      (s) => ({ registeredAt: s.registeredAt.toISOString(), id: s.supplierId }),
    );
  }
}

function toSupplier(row: SupplierRow): Supplier {
  return {
    supplierId: row.supplier_id,
    tenantId: row.tenant_id,
    name: row.name,
    source: row.source,
    partnerNetwork: row.partner_network,
    payoutWallet: row.payout_wallet,
    registeredAt: row.registered_at,
  };
}
