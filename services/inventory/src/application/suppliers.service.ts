import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError, canAccessTenant, decodeCursor, toPage, type AuthContext, type Page } from '@ionet/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { decideSupplier, initialSupplierState, type PartnerNetwork, type SupplierSource } from '../domain/supplier/supplier.decider';
import { SupplierEntity } from '../infrastructure/persistence/supplier.entity';

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

@Injectable()
export class SuppliersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async register(caller: AuthContext, input: RegisterSupplierInput): Promise<Supplier> {
    const tenantId = input.tenantId ?? caller.tenantId;
    if (!canAccessTenant(caller, tenantId)) throw new DomainError('SUPPLIER.FORBIDDEN', 'You may register suppliers only for your own tenant.');
    // The edge, not the domain, reads the clock and makes ids.
    const [registered] = decideSupplier({ type: 'RegisterSupplier', ...input, supplierId: randomUUID(), tenantId, at: new Date() }, initialSupplierState);
    const supplier: Supplier = {
      supplierId: registered!.supplierId,
      tenantId: registered!.tenantId,
      name: registered!.name,
      source: registered!.source,
      partnerNetwork: registered!.partnerNetwork,
      payoutWallet: registered!.payoutWallet,
      registeredAt: registered!.at,
    };
    await this.dataSource.getRepository(SupplierEntity).insert({ ...supplier });
    return supplier;
  }

  async get(caller: AuthContext, supplierId: string): Promise<Supplier> {
    const row = await this.dataSource.getRepository(SupplierEntity).findOneBy({ supplierId });
    // Another tenant's supplier is reported as absent, so ids cannot be probed.
    if (!row || !canAccessTenant(caller, row.tenantId)) throw new DomainError('SUPPLIER.NOT_FOUND', `No supplier ${supplierId}.`);
    return toSupplier(row);
  }

  async list(caller: AuthContext, limit: number, cursor?: string): Promise<Page<Supplier>> {
    const query = this.dataSource
      .getRepository(SupplierEntity)
      .createQueryBuilder('s')
      .orderBy('s.registered_at', 'ASC')
      .addOrderBy('s.supplier_id', 'ASC')
      .limit(limit + 1);
    if (!caller.scopes.includes('ops')) query.where('s.tenant_id = :tenantId', { tenantId: caller.tenantId });
    if (cursor) {
      const after = decodeCursor(cursor, ['registeredAt', 'supplierId'] as const);
      query.andWhere('(s.registered_at, s.supplier_id) > (:registeredAt, :supplierId)', after);
    }
    const rows = await query.getMany();
    return toPage(rows.map(toSupplier), limit, (s) => ({ registeredAt: s.registeredAt.toISOString(), supplierId: s.supplierId }));
  }
}

function toSupplier(row: SupplierEntity): Supplier {
  return {
    supplierId: row.supplierId,
    tenantId: row.tenantId,
    name: row.name,
    source: row.source as SupplierSource,
    partnerNetwork: row.partnerNetwork as PartnerNetwork | null,
    payoutWallet: row.payoutWallet,
    registeredAt: row.registeredAt,
  };
}
