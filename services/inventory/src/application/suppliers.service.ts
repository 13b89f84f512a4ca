import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, canAccessTenant, preparedRead, type AuthContext, type Page } from '@ionet/platform';
import { CommandHandlers, type CommandCause } from '@ionet/eventing';
import { DataSource } from 'typeorm';
import { type PartnerNetwork, type SupplierSource } from '../domain/supplier/supplier.decider';
import { catalogPage } from './catalog-query';
import { supplierAggregate } from './inventory-aggregates';

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
    private readonly handlers: CommandHandlers,
  ) {}

  /** Appends SupplierRegistered; the catalogue projection shows it moments later. The id comes from
   *  the edge (derived from the idempotency key when there is one). */
  async register(caller: AuthContext, supplierId: string, input: RegisterSupplierInput, cause: CommandCause, at: Date): Promise<Supplier> {
    const tenantId = input.tenantId ?? caller.tenantId;
    if (!canAccessTenant(caller, tenantId)) throw new DomainError('SUPPLIER.FORBIDDEN', 'You may register suppliers only for your own tenant.');
    const result = await this.handlers.for(supplierAggregate).handle(supplierId, { type: 'RegisterSupplier', ...input, supplierId, tenantId, at }, cause);
    const registered = result.events[0]!;
    return {
      supplierId,
      tenantId: registered.tenantId,
      name: registered.name,
      source: registered.source,
      partnerNetwork: registered.partnerNetwork,
      payoutWallet: registered.payoutWallet,
      registeredAt: registered.at,
    };
  }

  async get(caller: AuthContext, supplierId: string): Promise<Supplier> {
    const [row] = await preparedRead<SupplierRow & object>(this.dataSource, `select * from suppliers where supplier_id = $1`, [supplierId]);
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
