import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'suppliers' })
@Index('suppliers_tenant_registered_idx', ['tenantId', 'registeredAt', 'supplierId'])
export class SupplierEntity {
  @PrimaryColumn({ name: 'supplier_id', type: 'uuid' })
  supplierId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  source!: string;

  @Column({ name: 'partner_network', type: 'text', nullable: true })
  partnerNetwork!: string | null;

  @Column({ name: 'payout_wallet', type: 'text', nullable: true })
  payoutWallet!: string | null;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt!: Date;
}
