import { billingV1, CONTRACT_ERROR_CODES, ContractError, type DomainMoney } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import type { DepositEvent, DepositMethod } from '../../domain/deposit/deposit.decider';
import type { EscrowSlot, FundingTerms, LeaseEscrowEvent, RefundReason } from '../../domain/escrow/lease-escrow.decider';
import type { InvoiceEvent, InvoiceLine, InvoiceLineKind } from '../../domain/invoice/invoice.decider';
import { assetOf, type Asset } from '../../domain/money/billing-money';
import type { PayoutEvent } from '../../domain/payout/payout.decider';

const money = (amountBaseUnits: bigint, asset: Asset): DomainMoney => ({ amountBaseUnits, asset });
/** Money of an event that is all in one asset: a field in another asset is a broken contract. */
function amountIn(value: DomainMoney, asset: Asset, field: string): bigint {
  if (value.asset !== asset) throw new ContractError(CONTRACT_ERROR_CODES.violation, `${field} is in ${value.asset}, the event's asset is ${asset}`);
  return value.amountBaseUnits;
}


const slotToWire = (s: EscrowSlot, asset: Asset) => ({ deviceId: s.deviceId, supplierId: s.supplierId, gpuCount: s.gpuCount, pricePerGpuHour: money(s.pricePerGpuHourBaseUnits, asset) });
const slotFromWire = (s: { deviceId: string; supplierId: string; gpuCount: number; pricePerGpuHour?: DomainMoney }, asset: Asset): EscrowSlot => ({
  deviceId: s.deviceId,
  supplierId: s.supplierId,
  gpuCount: s.gpuCount,
  pricePerGpuHourBaseUnits: amountIn(s.pricePerGpuHour!, asset, 'slot price'),
});

function termsToWire(t: FundingTerms, asset: Asset) {
  return {
    computeAmount: money(t.computeBaseUnits, asset),
    reservationFee: money(t.reservationFeeBaseUnits, asset),
    paymentFee: money(t.paymentFeeBaseUnits, asset),
    ioPriceUsdMicros: t.ioPriceUsdMicros,
    slots: t.slots.map((s) => slotToWire(s, asset)),
    hours: t.hours,
  };
}

function termsFromWire(
  w: { computeAmount?: DomainMoney; reservationFee?: DomainMoney; paymentFee?: DomainMoney; ioPriceUsdMicros: bigint; slots: Array<Parameters<typeof slotFromWire>[0]>; hours: number },
  asset: Asset,
): FundingTerms {
  const computeBaseUnits = amountIn(w.computeAmount!, asset, 'compute_amount');
  const reservationFeeBaseUnits = amountIn(w.reservationFee!, asset, 'reservation_fee');
  const paymentFeeBaseUnits = amountIn(w.paymentFee!, asset, 'payment_fee');
  return {
    slots: w.slots.map((s) => slotFromWire(s, asset)),
    hours: w.hours,
    computeBaseUnits,
    reservationFeeBaseUnits,
    paymentFeeBaseUnits,
    requiredBaseUnits: computeBaseUnits + reservationFeeBaseUnits + paymentFeeBaseUnits,
    ioPriceUsdMicros: w.ioPriceUsdMicros,
  };
}

export const depositEventCodec = eventCodec<DepositEvent>()({
  DepositReceived: {
    schema: billingV1.DepositReceivedSchema,
    toWire: (e) => ({ depositId: e.depositId, customerId: e.organizationId, amount: money(e.amountBaseUnits, e.asset), method: e.method, externalReference: e.externalReference, receivedAt: e.at }),
    fromWire: (w) => {
      const asset = assetOf(w.amount!.asset);
      return { type: 'DepositReceived', depositId: w.depositId, organizationId: w.customerId, asset, amountBaseUnits: w.amount!.amountBaseUnits, method: w.method as DepositMethod, externalReference: w.externalReference, at: w.receivedAt! };
    },
  },
});

export const leaseEscrowEventCodec = eventCodec<LeaseEscrowEvent>()({
  EscrowFundingDeferred: {
    schema: billingV1.EscrowFundingDeferredSchema,
    toWire: (e) => ({
      fundingId: e.fundingId,
      leaseId: e.leaseId,
      customerId: e.customerId,
      required: money(e.terms.requiredBaseUnits, e.asset),
      available: money(e.availableBaseUnits, e.asset),
      deadline: e.deadline,
      sourceEventId: e.sourceEventId,
      deferredAt: e.at,
      ...termsToWire(e.terms, e.asset),
    }),
    fromWire: (w) => {
      const asset = assetOf(w.required!.asset);
      const terms = termsFromWire(w, asset);
      if (terms.requiredBaseUnits !== amountIn(w.required!, asset, 'required')) throw new ContractError(CONTRACT_ERROR_CODES.violation, 'required is not compute plus fees');
      return {
        type: 'EscrowFundingDeferred',
        fundingId: w.fundingId,
        leaseId: w.leaseId,
        customerId: w.customerId,
        asset,
        terms,
        availableBaseUnits: amountIn(w.available!, asset, 'available'),
        deadline: w.deadline!,
        sourceEventId: w.sourceEventId,
        at: w.deferredAt!,
      };
    },
  },
  EscrowLocked: {
    schema: billingV1.EscrowLockedSchema,
    toWire: (e) => ({
      escrowId: e.fundingId,
      fundingId: e.fundingId,
      leaseId: e.leaseId,
      customerId: e.customerId,
      amount: money(e.terms.requiredBaseUnits, e.asset),
      lockedAt: e.at,
      sourceEventId: e.sourceEventId,
      ...termsToWire(e.terms, e.asset),
    }),
    fromWire: (w) => {
      const asset = assetOf(w.amount!.asset);
      const terms = termsFromWire(w, asset);
      if (terms.requiredBaseUnits !== amountIn(w.amount!, asset, 'amount')) throw new ContractError(CONTRACT_ERROR_CODES.violation, 'amount is not compute plus fees');
      // An escrow locked before fundings had ids funded the lease's creation (funding id = lease id).
      return { type: 'EscrowLocked', fundingId: w.fundingId ?? w.leaseId, leaseId: w.leaseId, customerId: w.customerId, asset, terms, sourceEventId: w.sourceEventId ?? '', at: w.lockedAt! };
    },
  },
  EscrowLockFailed: {
    schema: billingV1.EscrowLockFailedSchema,
    toWire: (e) => ({
      leaseId: e.leaseId,
      customerId: e.customerId,
      required: money(e.requiredBaseUnits, e.asset),
      available: money(e.availableBaseUnits, e.asset),
      failedAt: e.at,
      fundingId: e.fundingId,
      sourceEventId: e.sourceEventId,
      reason: e.reason,
    }),
    fromWire: (w) => {
      const asset = assetOf(w.required!.asset);
      if (w.reason !== 'funding_window_expired' && w.reason !== 'lease_terminated') throw new ContractError(CONTRACT_ERROR_CODES.violation, `unknown escrow failure reason ${w.reason}`);
      return {
        type: 'EscrowLockFailed',
        fundingId: w.fundingId ?? w.leaseId,
        leaseId: w.leaseId,
        customerId: w.customerId,
        asset,
        requiredBaseUnits: w.required!.amountBaseUnits,
        availableBaseUnits: amountIn(w.available!, asset, 'available'),
        reason: w.reason,
        sourceEventId: w.sourceEventId ?? '',
        at: w.failedAt!,
      };
    },
  },
  UsageCharged: {
    schema: billingV1.UsageChargedSchema,
    toWire: (e) => ({
      chargeId: e.chargeId,
      leaseId: e.leaseId,
      customerId: e.customerId,
      supplierId: e.supplierId,
      deviceId: e.deviceId,
      hourIndex: e.hourIndex,
      gross: money(e.grossBaseUnits, e.asset),
      supplierEarnings: money(e.supplierEarningsBaseUnits, e.asset),
      platformFee: money(e.platformFeeBaseUnits, e.asset),
      sourceEventId: e.sourceEventId,
      chargedAt: e.at,
      computeAmount: money(e.computeBaseUnits, e.asset),
      customerFee: money(e.customerFeeBaseUnits, e.asset),
      supplierFee: money(e.supplierFeeBaseUnits, e.asset),
      gpuCount: e.gpuCount,
      pricePerGpuHour: money(e.pricePerGpuHourBaseUnits, e.asset),
      hourStart: e.hourStart,
      hourEnd: e.hourEnd,
    }),
    fromWire: (w) => {
      const asset = assetOf(w.gross!.asset);
      const event = {
        type: 'UsageCharged' as const,
        chargeId: w.chargeId,
        leaseId: w.leaseId,
        customerId: w.customerId,
        supplierId: w.supplierId,
        deviceId: w.deviceId,
        hourIndex: w.hourIndex,
        asset,
        gpuCount: w.gpuCount,
        pricePerGpuHourBaseUnits: amountIn(w.pricePerGpuHour!, asset, 'price_per_gpu_hour'),
        computeBaseUnits: amountIn(w.computeAmount!, asset, 'compute_amount'),
        customerFeeBaseUnits: amountIn(w.customerFee!, asset, 'customer_fee'),
        supplierFeeBaseUnits: amountIn(w.supplierFee!, asset, 'supplier_fee'),
        grossBaseUnits: w.gross!.amountBaseUnits,
        supplierEarningsBaseUnits: amountIn(w.supplierEarnings!, asset, 'supplier_earnings'),
        platformFeeBaseUnits: amountIn(w.platformFee!, asset, 'platform_fee'),
        hourStart: w.hourStart!,
        hourEnd: w.hourEnd!,
        sourceEventId: w.sourceEventId,
        at: w.chargedAt!,
      };
      if (event.grossBaseUnits !== event.supplierEarningsBaseUnits + event.platformFeeBaseUnits) throw new ContractError(CONTRACT_ERROR_CODES.violation, 'gross is not supplier earnings plus platform fee');
      return event;
    },
  },
  RefundIssued: {
    schema: billingV1.RefundIssuedSchema,
    toWire: (e) => ({
      refundId: e.refundId,
      leaseId: e.leaseId,
      customerId: e.customerId,
      amount: money(e.amountBaseUnits, e.asset),
      reason: e.reason,
      sourceEventId: e.sourceEventId,
      refundedAt: e.at,
      deviceId: e.deviceId || undefined,
      hourIndex: e.hourIndex,
      deviceHours: e.deviceHours,
      gpuCount: e.gpuCount,
      hourStart: e.hourStart,
    }),
    fromWire: (w) => {
      if (w.reason !== 'time_lock_violated' && w.reason !== 'early_termination') throw new ContractError(CONTRACT_ERROR_CODES.violation, `billing does not issue ${w.reason} refunds`);
      return {
        type: 'RefundIssued',
        refundId: w.refundId,
        leaseId: w.leaseId,
        customerId: w.customerId,
        asset: assetOf(w.amount!.asset),
        amountBaseUnits: w.amount!.amountBaseUnits,
        reason: w.reason as RefundReason,
        deviceId: w.deviceId ?? '',
        hourIndex: w.hourIndex,
        deviceHours: w.deviceHours,
        gpuCount: w.gpuCount,
        ...(w.hourStart ? { hourStart: w.hourStart } : {}),
        sourceEventId: w.sourceEventId,
        at: w.refundedAt!,
      };
    },
  },
  FeeRetained: {
    schema: billingV1.FeeRetainedSchema,
    toWire: (e) => ({ feeId: e.feeId, leaseId: e.leaseId, customerId: e.customerId, amount: money(e.amountBaseUnits, e.asset), reason: e.reason, sourceEventId: e.sourceEventId, retainedAt: e.at }),
    fromWire: (w) => ({
      type: 'FeeRetained',
      feeId: w.feeId,
      leaseId: w.leaseId,
      customerId: w.customerId,
      asset: assetOf(w.amount!.asset),
      amountBaseUnits: w.amount!.amountBaseUnits,
      reason: w.reason,
      sourceEventId: w.sourceEventId,
      at: w.retainedAt!,
    }),
  },
  EscrowTerminationRecorded: {
    schema: billingV1.EscrowTerminationRecordedSchema,
    toWire: (e) => ({
      leaseId: e.leaseId,
      customerId: e.customerId,
      bookedHours: e.bookedHours,
      hoursUsed: e.hoursUsed,
      hoursRefunded: e.hoursRefunded,
      pendingDeviceHours: e.pendingDeviceHours,
      terminationReason: e.terminationReason,
      sourceEventId: e.sourceEventId,
      recordedAt: e.at,
      asset: e.asset.toLowerCase(),
    }),
    fromWire: (w) => ({
      type: 'EscrowTerminationRecorded',
      leaseId: w.leaseId,
      customerId: w.customerId,
      asset: assetOf(w.asset.toUpperCase()),
      bookedHours: w.bookedHours,
      hoursUsed: w.hoursUsed,
      hoursRefunded: w.hoursRefunded,
      pendingDeviceHours: w.pendingDeviceHours,
      terminationReason: w.terminationReason,
      sourceEventId: w.sourceEventId,
      at: w.recordedAt!,
    }),
  },
  EscrowReleased: {
    schema: billingV1.EscrowReleasedSchema,
    toWire: (e) => ({ escrowId: e.escrowId, leaseId: e.leaseId, customerId: e.customerId, amount: money(e.amountBaseUnits, e.asset), releasedAt: e.at, sourceEventId: e.sourceEventId }),
    fromWire: (w) => ({
      type: 'EscrowReleased',
      escrowId: w.escrowId,
      leaseId: w.leaseId,
      customerId: w.customerId,
      asset: assetOf(w.amount!.asset),
      amountBaseUnits: w.amount!.amountBaseUnits,
      sourceEventId: w.sourceEventId ?? '',
      at: w.releasedAt!,
    }),
  },
});

const LINE_KINDS: readonly InvoiceLineKind[] = ['charge', 'fee', 'refund'];

function lineFromWire(l: { leaseId: string; description: string; quantity: bigint; unitPrice?: DomainMoney; amount?: DomainMoney; kind: string; deviceId?: string; hourIndex: number; hourStart?: Date; sourceId?: string }, asset: Asset): InvoiceLine {
  if (!LINE_KINDS.includes(l.kind as InvoiceLineKind)) throw new ContractError(CONTRACT_ERROR_CODES.violation, `unknown invoice line kind ${l.kind}`);
  return {
    kind: l.kind as InvoiceLineKind,
    leaseId: l.leaseId,
    deviceId: l.deviceId ?? '',
    hourIndex: l.hourIndex,
    hourStart: l.hourStart ?? null,
    description: l.description,
    quantity: Number(l.quantity),
    unitPriceBaseUnits: amountIn(l.unitPrice!, asset, 'unit_price'),
    amountBaseUnits: amountIn(l.amount!, asset, 'amount'),
    sourceId: l.sourceId ?? '',
  };
}

export const invoiceEventCodec = eventCodec<InvoiceEvent>()({
  InvoiceIssued: {
    schema: billingV1.InvoiceIssuedSchema,
    toWire: (e) => ({
      invoiceId: e.invoiceId,
      customerId: e.organizationId,
      periodStart: e.periodStart,
      periodEnd: e.periodEnd,
      lines: e.lines.map((l) => ({
        leaseId: l.leaseId,
        description: l.description,
        quantity: BigInt(l.quantity),
        unitPrice: money(l.unitPriceBaseUnits, e.asset),
        amount: money(l.amountBaseUnits, e.asset),
        kind: l.kind,
        deviceId: l.deviceId || undefined,
        hourIndex: l.hourIndex,
        hourStart: l.hourStart ?? undefined,
        sourceId: l.sourceId,
      })),
      total: money(e.totals.totalBaseUnits, e.asset),
      issuedAt: e.at,
      chargesTotal: money(e.totals.chargesBaseUnits, e.asset),
      feesTotal: money(e.totals.feesBaseUnits, e.asset),
      refundsTotal: money(e.totals.refundsBaseUnits, e.asset),
    }),
    fromWire: (w) => {
      const asset = assetOf(w.total!.asset);
      return {
        type: 'InvoiceIssued',
        invoiceId: w.invoiceId,
        organizationId: w.customerId,
        asset,
        periodStart: w.periodStart!,
        periodEnd: w.periodEnd!,
        lines: w.lines.map((l) => lineFromWire(l, asset)),
        totals: {
          chargesBaseUnits: amountIn(w.chargesTotal!, asset, 'charges_total'),
          feesBaseUnits: amountIn(w.feesTotal!, asset, 'fees_total'),
          refundsBaseUnits: amountIn(w.refundsTotal!, asset, 'refunds_total'),
          totalBaseUnits: w.total!.amountBaseUnits,
        },
        at: w.issuedAt!,
      };
    },
  },
});

export const payoutEventCodec = eventCodec<PayoutEvent>()({
  PayoutScheduled: {
    schema: billingV1.PayoutScheduledSchema,
    toWire: (e) => ({
      payoutId: e.payoutId,
      supplierId: e.supplierId,
      amount: money(e.amountBaseUnits, e.asset),
      periodStart: e.periodStart,
      periodEnd: e.periodEnd,
      chargeIds: e.chargeIds,
      deviceHours: e.deviceHours,
      dueAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'PayoutScheduled',
      payoutId: w.payoutId,
      supplierId: w.supplierId,
      asset: assetOf(w.amount!.asset),
      amountBaseUnits: w.amount!.amountBaseUnits,
      periodStart: w.periodStart!,
      periodEnd: w.periodEnd!,
      chargeIds: w.chargeIds,
      deviceHours: w.deviceHours,
      at: w.dueAt!,
    }),
  },
});
