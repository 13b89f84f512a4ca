import { Inject, Injectable } from '@nestjs/common';
import { CommandHandlers, derivedId, PgTransactionRunner, type CommandCause, type SqlExecutor } from '@ionet/eventing';
import { canAccessTenant, CLOCK, decodeCursor, PG_POOL, toPage, type AuthContext, type Clock, type Page } from '@ionet/platform';
import type { Pool } from 'pg';
import { costReport, type CostReport, type PublicCloudPriceTable } from '../domain/cost-report/cost-report';
import type { InvoiceEvent, InvoiceLine, InvoiceSource } from '../domain/invoice/invoice.decider';
import { ASSETS, type Asset } from '../domain/money/billing-money';
import { DAY_MS, duePayouts, HOURS_PER_DAY, type PayoutEvent, type UnpaidCharge } from '../domain/payout/payout.decider';
import { BillingError } from '../domain/shared/billing.errors';
import { depositAggregate, invoiceAggregate, organizationAggregate, payoutAggregate } from './billing-aggregates';
import { EscrowService } from './escrow.service';
import { recordMoneyEvents } from './money-store';

export const PUBLIC_CLOUD_PRICES = Symbol('billing.public-cloud-prices');

export interface Balance {
  asset: Asset;
  availableBaseUnits: bigint;
  escrowBaseUnits: bigint;
}

export interface Deposit {
  depositId: string;
  organizationId: string;
  asset: Asset;
  amountBaseUnits: bigint;
  receivedAt: Date;
}

export const TRANSACTION_TYPES = ['deposit', 'escrow', 'charge', 'refund', 'fee', 'payout', 'reward'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export interface Transaction {
  transactionId: string;
  type: TransactionType;
  subtype: string;
  asset: Asset;
  amountBaseUnits: bigint;
  /** Change of the available and the escrow balance. */
  availableDeltaBaseUnits: bigint;
  escrowDeltaBaseUnits: bigint;
  leaseId: string | null;
  deviceId: string | null;
  hourIndex: number | null;
  computeBaseUnits: bigint | null;
  feeBaseUnits: bigint | null;
  occurredAt: Date;
}

/** An issued invoice as the API answers it: the event's content, its totals flattened. */
export type Invoice = Omit<InvoiceEvent, 'type' | 'totals' | 'at'> & {
  chargesBaseUnits: bigint;
  feesBaseUnits: bigint;
  refundsBaseUnits: bigint;
  totalBaseUnits: bigint;
  issuedAt: Date;
};

/** A scheduled payout, and its chain transaction once the chain gateway settled it. */
export type Payout = Omit<PayoutEvent, 'type' | 'chargeIds' | 'at'> & { chainTransactionSignature: string | null; dueAt: Date };

/** Organizations (and suppliers) one invoice or payout run handles at most; the rest wait a run. */
export const RUN_BATCH_MAX = 1_000;
/** Movements one invoice holds at most (a month of 12 GPUs hour by hour); the rest go on the next. */
export const INVOICE_LINES_MAX = 10_000;

interface MovementRow {
  position: string;
  movement_id: string;
  type: TransactionType;
  subtype: string;
  asset: Asset;
  amount_base_units: string;
  lease_id: string | null;
  device_id: string | null;
  hour_index: number | null;
  compute_base_units: string | null;
  customer_fee_base_units: string | null;
  supplier_earnings_base_units: string | null;
  platform_fee_base_units: string | null;
  occurred_at: Date;
}

const big = (v: string | null) => (v === null ? null : BigInt(v));

/** The balance changes of a movement, from the customer's side. */
function deltas(type: TransactionType, subtype: string, amount: bigint): { available: bigint; escrow: bigint } {
  switch (type) {
    case 'deposit':
      return { available: amount, escrow: 0n };
    case 'escrow':
      return subtype === 'locked' ? { available: -amount, escrow: amount } : { available: amount, escrow: -amount };
    case 'charge':
    case 'fee':
      return { available: 0n, escrow: -amount };
    case 'refund':
      return { available: amount, escrow: -amount };
    default:
      return { available: 0n, escrow: 0n };
  }
}

@Injectable()
export class MoneyService {
  private readonly transactions: PgTransactionRunner;

  constructor(
    private readonly handlers: CommandHandlers,
    private readonly escrow: EscrowService,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PUBLIC_CLOUD_PRICES) private readonly prices: PublicCloudPriceTable,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  /** Credits an organization (ops); fundings waiting for this organization's asset are locked in the
   *  same transaction if the balance now covers them. */
  async deposit(depositId: string, input: { organizationId: string; asset: Asset; amountBaseUnits: bigint; externalReference?: string }, cause: CommandCause): Promise<Deposit> {
    const organization = (await this.handlers.for(organizationAggregate).load(input.organizationId)).state;
    if (organization.status !== 'active') throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${input.organizationId}.`);
    const at = this.clock.now();
    return this.transactions.transaction(async (tx) => {
      const result = await this.handlers.for(depositAggregate).handle(
        depositId,
        { type: 'RecordDeposit', depositId, organizationId: input.organizationId, asset: input.asset, amountBaseUnits: input.amountBaseUnits, externalReference: input.externalReference ?? '', at },
        cause,
        { tx },
      );
      if (!result.duplicate) {
        await recordMoneyEvents(tx, result.events);
        await this.escrow.fundWaiting(tx, input.organizationId, input.asset, cause);
      }
      const e = result.events[0]!;
      return { depositId: e.depositId, organizationId: e.organizationId, asset: e.asset, amountBaseUnits: e.amountBaseUnits, receivedAt: e.at };
    });
  }

  async balances(organizationId: string): Promise<Balance[]> {
    const { rows } = await this.pool.query<{ asset: Asset; available_base_units: string; escrow_base_units: string }>(
      `select asset, available_base_units, escrow_base_units from account_balances where organization_id = $1`,
      [organizationId],
    );
    return ASSETS.map((asset) => {
      const row = rows.find((r) => r.asset === asset);
      return { asset, availableBaseUnits: BigInt(row?.available_base_units ?? '0'), escrowBaseUnits: BigInt(row?.escrow_base_units ?? '0') };
    });
  }

  /** A customer's movements; for a supplier organization (`earnings`), the hours its suppliers were
   *  paid for: each charge's supplier earnings and the supplier's fees (payouts: GET /v1/payouts). */
  async listTransactions(organizationId: string, filter: { type?: TransactionType; from?: Date; to?: Date; earnings?: boolean }, limit: number, cursor?: string): Promise<Page<Transaction>> {
    const params: unknown[] = [organizationId];
    const where = filter.earnings ? [`type = 'charge' and supplier_id in (select supplier_id::text from billing_suppliers where tenant_id = $1)`] : ['organization_id = $1'];
    if (filter.type) where.push(`type = $${params.push(filter.type)}`);
    if (filter.from) where.push(`occurred_at >= $${params.push(filter.from)}`);
    if (filter.to) where.push(`occurred_at < $${params.push(filter.to)}`);
    if (cursor) {
      const after = decodeCursor(cursor, { position: 'integer' } as const);
      where.push(`position > $${params.push(after.position)}`);
    }
    const rows = (
      await this.pool.query<MovementRow>(
        `select position, movement_id, type, subtype, asset, amount_base_units, lease_id, device_id, hour_index, compute_base_units, customer_fee_base_units,
                supplier_earnings_base_units, platform_fee_base_units, occurred_at
           from money_movements where ${where.join(' and ')} order by position limit $${params.push(limit + 1)}`,
        params,
      )
    ).rows;
    const positions = new Map<string, string>();
    const items = rows.map((r) => {
      positions.set(r.movement_id, r.position);
      if (filter.earnings) {
        const earned = BigInt(r.supplier_earnings_base_units!);
        const supplierFee = BigInt(r.platform_fee_base_units!) - BigInt(r.customer_fee_base_units!);
        return { ...this.movementOf(r, 'earning', earned, { available: 0n, escrow: 0n }), feeBaseUnits: supplierFee } satisfies Transaction;
      }
      const amount = BigInt(r.amount_base_units);
      return this.movementOf(r, r.subtype, amount, deltas(r.type, r.subtype, amount));
    });
    return toPage(items, limit, (t) => ({ position: Number(positions.get(t.transactionId)) }));
  }

  private movementOf(r: MovementRow, subtype: string, amount: bigint, d: { available: bigint; escrow: bigint }): Transaction {
    return {
      transactionId: r.movement_id,
      type: r.type,
      subtype,
      asset: r.asset,
      amountBaseUnits: amount,
      availableDeltaBaseUnits: d.available,
      escrowDeltaBaseUnits: d.escrow,
      leaseId: r.lease_id,
      deviceId: r.device_id,
      hourIndex: r.hour_index,
      computeBaseUnits: big(r.compute_base_units),
      feeBaseUnits: big(r.customer_fee_base_units),
      occurredAt: r.occurred_at,
    };
  }

  /** Issues the invoices of one period: one per organization and asset with charges, fees or
   *  refunds booked before its end and on no invoice yet (a movement committed just after an earlier
   *  period's run lands on this one). Each movement is marked with its invoice in this transaction;
   *  the index of movements on no invoice keeps the run's reads to those, however long the history. */
  async issueInvoices(tx: SqlExecutor, periodStart: Date, periodEnd: Date): Promise<number> {
    const at = this.clock.now();
    const { rows: accounts } = await tx.query<{ organization_id: string; asset: Asset }>(
      `select distinct organization_id, asset from money_movements
        where invoice_id is null and type in ('charge', 'fee', 'refund') and occurred_at < $1
        order by organization_id, asset limit $2`,
      [periodEnd, RUN_BATCH_MAX],
    );
    let issued = 0;
    for (const account of accounts) {
      const invoiceId = derivedId('invoice', account.organization_id, account.asset, periodStart.toISOString(), periodEnd.toISOString());
      const sources = await this.invoiceSources(tx, account.organization_id, account.asset, periodEnd);
      const cause: CommandCause = { correlationId: invoiceId, causationId: invoiceId, deterministic: true };
      const result = await this.handlers.for(invoiceAggregate).handle(
        invoiceId,
        { type: 'IssueInvoice', invoiceId, organizationId: account.organization_id, asset: account.asset, periodStart, periodEnd, sources, at },
        cause,
        { tx },
      );
      if (result.duplicate || result.events.length === 0) continue;
      const e = result.events[0]!;
      await tx.query(
        `insert into invoices (invoice_id, organization_id, asset, period_start, period_end, lines, charges_base_units, fees_base_units, refunds_base_units, total_base_units, issued_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (invoice_id) do nothing`,
        [
          e.invoiceId,
          e.organizationId,
          e.asset,
          e.periodStart,
          e.periodEnd,
          JSON.stringify(e.lines.map((l) => ({ ...l, unitPriceBaseUnits: l.unitPriceBaseUnits.toString(), amountBaseUnits: l.amountBaseUnits.toString(), hourStart: l.hourStart?.toISOString() ?? null }))),
          e.totals.chargesBaseUnits.toString(),
          e.totals.feesBaseUnits.toString(),
          e.totals.refundsBaseUnits.toString(),
          e.totals.totalBaseUnits.toString(),
          e.at,
        ],
      );
      // Only a movement on no invoice yet is taken: a concurrent run that took it first makes this
      // count fall short, and the transaction fails and is retried rather than invoice it twice.
      const marked = await tx.query(`update money_movements set invoice_id = $2 where movement_id = any($1::text[]) and invoice_id is null`, [sources.map((src) => src.sourceId), e.invoiceId]);
      if (marked.rowCount !== sources.length) throw new Error(`invoice ${e.invoiceId}: ${sources.length - (marked.rowCount ?? 0)} movement(s) were invoiced meanwhile`);
      issued++;
    }
    return issued;
  }

  private async invoiceSources(tx: SqlExecutor, organizationId: string, asset: Asset, periodEnd: Date): Promise<InvoiceSource[]> {
    const { rows } = await tx.query<{
      movement_id: string;
      type: 'charge' | 'fee' | 'refund';
      lease_id: string;
      device_id: string | null;
      hour_index: number | null;
      hour_start: Date | null;
      gpu_count: number | null;
      price_per_gpu_hour_base_units: string | null;
      compute_base_units: string | null;
      customer_fee_base_units: string | null;
      amount_base_units: string;
      device_hours: number | null;
      reason: string | null;
    }>(
      `select movement_id, type, lease_id, device_id, hour_index, hour_start, gpu_count, price_per_gpu_hour_base_units, compute_base_units, customer_fee_base_units,
              amount_base_units, device_hours, reason
         from money_movements where organization_id = $1 and asset = $2 and invoice_id is null and type in ('charge', 'fee', 'refund') and occurred_at < $3
        order by position limit $4`,
      [organizationId, asset, periodEnd, INVOICE_LINES_MAX],
    );
    return rows.map((r): InvoiceSource => {
      switch (r.type) {
        case 'charge':
          return {
            kind: 'charge',
            sourceId: r.movement_id,
            leaseId: r.lease_id,
            deviceId: r.device_id ?? '',
            hourIndex: r.hour_index ?? 0,
            hourStart: r.hour_start!,
            gpuCount: r.gpu_count ?? 0,
            pricePerGpuHourBaseUnits: BigInt(r.price_per_gpu_hour_base_units ?? '0'),
            computeBaseUnits: BigInt(r.compute_base_units ?? '0'),
            customerFeeBaseUnits: BigInt(r.customer_fee_base_units ?? '0'),
          };
        case 'fee':
          return { kind: 'fee', sourceId: r.movement_id, leaseId: r.lease_id, amountBaseUnits: BigInt(r.amount_base_units) };
        case 'refund':
          return { kind: 'refund', sourceId: r.movement_id, leaseId: r.lease_id, deviceId: r.device_id ?? '', hourIndex: r.hour_index ?? 0, deviceHours: r.device_hours ?? 0, amountBaseUnits: BigInt(r.amount_base_units), reason: r.reason ?? '' };
        default: {
          const unhandled: never = r.type;
          throw new Error(`unhandled movement ${String(unhandled)}`);
        }
      }
    });
  }

  async listInvoices(caller: AuthContext, organizationId: string, limit: number, cursor?: string): Promise<Page<Invoice>> {
    if (!canAccessTenant(caller, organizationId)) throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const params: unknown[] = [organizationId];
    let after = '';
    if (cursor) {
      const position = decodeCursor(cursor, ['periodStart', 'id'] as const);
      after = `and (period_start, invoice_id) > ($${params.push(position.periodStart)}::timestamptz, $${params.push(position.id)})`;
    }
    const { rows } = await this.pool.query(`select * from invoices where organization_id = $1 ${after} order by period_start, invoice_id limit $${params.push(limit + 1)}`, params);
    return toPage(rows.map(invoiceOf), limit, (i) => ({ periodStart: i.periodStart.toISOString(), id: i.invoiceId }));
  }

  async invoice(caller: AuthContext, invoiceId: string): Promise<Invoice> {
    const { rows } = await this.pool.query(`select * from invoices where invoice_id = $1`, [invoiceId]);
    const row = rows[0] as InvoiceRow | undefined;
    // Another tenant's invoice reads as absent, so ids cannot be probed.
    if (!row || !canAccessTenant(caller, row.organization_id)) throw new BillingError('BILLING.INVOICE_NOT_FOUND', `No invoice ${invoiceId}.`);
    return invoiceOf(row);
  }

  /** Schedules the payouts due now; the charges a payout covers are marked in the same transaction,
   *  so no later run pays them again. */
  async schedulePayouts(tx: SqlExecutor, periodStart: Date, periodEnd: Date): Promise<number> {
    const at = this.clock.now();
    const { rows } = await tx.query<{
      movement_id: string;
      supplier_id: string;
      asset: Asset;
      supplier_earnings_base_units: string;
      hour_start: Date;
      hour_end: Date;
      booked_hours: number;
      ended_at: Date | null;
    }>(
      `select m.movement_id, m.supplier_id, m.asset, m.supplier_earnings_base_units, m.hour_start, m.hour_end, l.booked_hours, l.ended_at
         from money_movements m join lease_accounts l on l.lease_id = m.lease_id
        where m.type = 'charge' and m.payout_id is null
          -- The rule of duePayouts, so charges not due yet cannot crowd out due ones (it re-checks).
          and ((l.booked_hours < $2 and l.ended_at <= $3) or (l.booked_hours >= $2 and m.hour_end <= $4))
        order by m.position limit $1`,
      [RUN_BATCH_MAX * HOURS_PER_DAY, HOURS_PER_DAY, at, new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS)],
    );
    const charges: UnpaidCharge[] = rows.map((r) => ({
      chargeId: r.movement_id,
      supplierId: r.supplier_id,
      asset: r.asset,
      supplierEarningsBaseUnits: BigInt(r.supplier_earnings_base_units),
      hourStart: r.hour_start,
      hourEnd: r.hour_end,
      leaseBookedHours: r.booked_hours,
      leaseEndedAt: r.ended_at,
    }));
    let scheduled = 0;
    for (const due of duePayouts(charges, at)) {
      const payoutId = derivedId('payout', due.supplierId, due.asset, periodStart.toISOString(), periodEnd.toISOString());
      const cause: CommandCause = { correlationId: payoutId, causationId: payoutId, deterministic: true };
      const result = await this.handlers.for(payoutAggregate).handle(payoutId, { type: 'SchedulePayout', payoutId, periodStart, periodEnd, due, at }, cause, { tx });
      if (result.duplicate || result.events.length === 0) continue;
      const e = result.events[0]!;
      await tx.query(
        `insert into payouts (payout_id, supplier_id, asset, amount_base_units, period_start, period_end, device_hours, charge_ids, due_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (payout_id) do nothing`,
        [e.payoutId, e.supplierId, e.asset, e.amountBaseUnits.toString(), e.periodStart, e.periodEnd, e.deviceHours, e.chargeIds, e.at],
      );
      // As for invoices: a charge another run paid meanwhile fails this one (retried) instead of paying twice.
      const marked = await tx.query(`update money_movements set payout_id = $2 where movement_id = any($1::text[]) and payout_id is null`, [e.chargeIds, e.payoutId]);
      if (marked.rowCount !== e.chargeIds.length) throw new Error(`payout ${e.payoutId}: ${e.chargeIds.length - (marked.rowCount ?? 0)} charge(s) were paid meanwhile`);
      scheduled++;
    }
    return scheduled;
  }

  /** A supplier organization's payouts (ops: any supplier's, with `supplierId`). */
  async listPayouts(caller: AuthContext, filter: { supplierId?: string }, limit: number, cursor?: string): Promise<Page<Payout>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (caller.scopes.includes('ops')) {
      if (filter.supplierId) where.push(`supplier_id = $${params.push(filter.supplierId)}`);
    } else {
      // The caller's suppliers, as inventory registered them (billing's directory projection).
      where.push(`supplier_id in (select supplier_id::text from billing_suppliers where tenant_id = $${params.push(caller.tenantId)})`);
      if (filter.supplierId) where.push(`supplier_id = $${params.push(filter.supplierId)}`);
    }
    if (cursor) {
      const position = decodeCursor(cursor, ['dueAt', 'id'] as const);
      where.push(`(due_at, payout_id) > ($${params.push(position.dueAt)}::timestamptz, $${params.push(position.id)})`);
    }
    const { rows } = await this.pool.query(
      `select * from payouts ${where.length ? `where ${where.join(' and ')}` : ''} order by due_at, payout_id limit $${params.push(limit + 1)}`,
      params,
    );
    return toPage(
      rows.map((r: PayoutRow) => ({
        payoutId: r.payout_id,
        supplierId: r.supplier_id,
        asset: r.asset,
        amountBaseUnits: BigInt(r.amount_base_units),
        periodStart: r.period_start,
        periodEnd: r.period_end,
        deviceHours: r.device_hours,
        chainTransactionSignature: r.chain_transaction_signature,
        dueAt: r.due_at,
      })),
      limit,
      (p) => ({ dueAt: p.dueAt.toISOString(), id: p.payoutId }),
    );
  }

  /** A cluster (a lease) hour by hour beside public clouds' list prices for the same GPUs. */
  async costReport(caller: AuthContext, clusterId: string): Promise<CostReport & { clusterId: string; organizationId: string }> {
    const { rows: leases } = await this.pool.query<{ organization_id: string; asset: Asset; io_price_usd_micros: string }>(
      `select organization_id, asset, io_price_usd_micros from lease_accounts where lease_id = $1`,
      [clusterId],
    );
    const lease = leases[0];
    if (!lease || !canAccessTenant(caller, lease.organization_id)) throw new BillingError('BILLING.CLUSTER_NOT_FOUND', `No cluster ${clusterId}.`);
    const { rows } = await this.pool.query<{ type: string; device_id: string; hour_index: number; hour_start: Date | null; gpu_count: number | null; amount_base_units: string; gpu_model: string | null }>(
      `select m.type, m.device_id, m.hour_index, m.hour_start, m.gpu_count, m.amount_base_units, d.gpu_model
         from money_movements m left join billing_devices d on d.device_id::text = m.device_id
        where m.lease_id = $1 and m.device_id is not null and m.type in ('charge', 'refund') order by m.hour_index, m.device_id`,
      [clusterId],
    );
    const report = costReport(
      lease.asset,
      BigInt(lease.io_price_usd_micros),
      rows.map((r) => ({
        hourIndex: r.hour_index,
        hourStart: r.hour_start ?? new Date(0),
        deviceId: r.device_id,
        gpuModel: r.gpu_model,
        gpuCount: r.gpu_count ?? 1,
        costBaseUnits: r.type === 'charge' ? BigInt(r.amount_base_units) : 0n,
        refunded: r.type === 'refund',
      })),
      this.prices,
    );
    return { clusterId, organizationId: lease.organization_id, ...report };
  }
}

interface InvoiceRow {
  invoice_id: string;
  organization_id: string;
  asset: Asset;
  period_start: Date;
  period_end: Date;
  lines: Array<Omit<InvoiceLine, 'unitPriceBaseUnits' | 'amountBaseUnits' | 'hourStart'> & { unitPriceBaseUnits: string; amountBaseUnits: string; hourStart: string | null }>;
  charges_base_units: string;
  fees_base_units: string;
  refunds_base_units: string;
  total_base_units: string;
  issued_at: Date;
}

interface PayoutRow {
  payout_id: string;
  supplier_id: string;
  asset: Asset;
  amount_base_units: string;
  period_start: Date;
  period_end: Date;
  device_hours: number;
  chain_transaction_signature: string | null;
  due_at: Date;
}

function invoiceOf(r: InvoiceRow): Invoice {
  return {
    invoiceId: r.invoice_id,
    organizationId: r.organization_id,
    asset: r.asset,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    lines: r.lines.map((l) => ({ ...l, unitPriceBaseUnits: BigInt(l.unitPriceBaseUnits), amountBaseUnits: BigInt(l.amountBaseUnits), hourStart: l.hourStart ? new Date(l.hourStart) : null })),
    chargesBaseUnits: BigInt(r.charges_base_units),
    feesBaseUnits: BigInt(r.fees_base_units),
    refundsBaseUnits: BigInt(r.refunds_base_units),
    totalBaseUnits: BigInt(r.total_base_units),
    issuedAt: r.issued_at,
  };
}
