import { leaseFees, type TokenomicsParameters } from '@ionet/tokenomics';
import { priceInAsset, type Asset, type Priced } from '../money/billing-money';
import { BillingError } from '../shared/billing.errors';

/**
 * The money of one lease (stream id = lease id): escrow funded from the customer's available balance
 * (now, or by a deposit within the quote's hold), each device-hour charged (proven) or refunded
 * (unproven), early termination refunding the unused hours except the first hour and the fees, and
 * what is left released. Every amount is in the escrow's one asset (ADR 0320).
 */

/** One device of the lease with its hourly price already in the escrow's asset. */
export interface EscrowSlot {
  deviceId: string;
  supplierId: string;
  gpuCount: number;
  pricePerGpuHourBaseUnits: bigint;
}

/** What one funding buys: the lease's creation (slots given) or an extension (slots empty: the lease's). */
export interface FundingTerms {
  slots: EscrowSlot[];
  hours: number;
  computeBaseUnits: bigint;
  reservationFeeBaseUnits: bigint;
  paymentFeeBaseUnits: bigint;
  /** compute + the customer's fees: what the escrow locks. */
  requiredBaseUnits: bigint;
  /** USDC base units per whole IO the dollar prices were converted at; 0n when not paid in IO. */
  ioPriceUsdMicros: bigint;
}

export type RefundReason = 'time_lock_violated' | 'early_termination';

interface Common {
  leaseId: string;
  customerId: string;
  asset: Asset;
  /** The event (leasing's, a deposit, a job) this decision answers. */
  sourceEventId: string;
  at: Date;
}

export type LeaseEscrowEvent =
  | (Common & { type: 'EscrowFundingDeferred'; fundingId: string; terms: FundingTerms; availableBaseUnits: bigint; deadline: Date })
  | (Common & { type: 'EscrowLocked'; fundingId: string; terms: FundingTerms })
  | (Common & { type: 'EscrowLockFailed'; fundingId: string; requiredBaseUnits: bigint; availableBaseUnits: bigint; reason: 'funding_window_expired' | 'lease_terminated' })
  | (Common & {
      type: 'UsageCharged';
      chargeId: string;
      supplierId: string;
      deviceId: string;
      hourIndex: number;
      gpuCount: number;
      pricePerGpuHourBaseUnits: bigint;
      computeBaseUnits: bigint;
      customerFeeBaseUnits: bigint;
      supplierFeeBaseUnits: bigint;
      /** compute + customer fee: what leaves the escrow. */
      grossBaseUnits: bigint;
      supplierEarningsBaseUnits: bigint;
      platformFeeBaseUnits: bigint;
      hourStart: Date;
      hourEnd: Date;
    })
  | (Common & { type: 'RefundIssued'; refundId: string; amountBaseUnits: bigint; reason: RefundReason; deviceId: string; hourIndex: number; deviceHours: number; gpuCount: number; hourStart?: Date })
  | (Common & { type: 'FeeRetained'; feeId: string; amountBaseUnits: bigint; reason: string })
  | (Common & {
      type: 'EscrowTerminationRecorded';
      bookedHours: number;
      /** Hours leasing reported as used: hours below it are still charged or refunded, none above. */
      hoursUsed: number;
      hoursRefunded: number;
      pendingDeviceHours: number;
      terminationReason: string;
    })
  | (Common & { type: 'EscrowReleased'; escrowId: string; amountBaseUnits: bigint });

export type LeaseEscrowCommand =
  | {
      type: 'OpenFunding';
      fundingId: string;
      /** True for the lease's creation, false for an extension. */
      creation: boolean;
      leaseId: string;
      customerId: string;
      asset: Asset;
      /** Creation: the lease's devices with their dollar prices; an extension: empty. */
      slots: Array<{ deviceId: string; supplierId: string; gpuCount: number; pricePerGpuHour: Priced }>;
      hours: number;
      ioPriceUsdMicros: bigint;
      parameters: TokenomicsParameters;
      availableBaseUnits: bigint;
      deadline: Date;
      sourceEventId: string;
      at: Date;
    }
  | { type: 'FundFromBalance'; fundingId: string; availableBaseUnits: bigint; sourceEventId: string; at: Date }
  | { type: 'ExpireFunding'; fundingId: string; availableBaseUnits: bigint; sourceEventId: string; at: Date }
  | {
      type: 'SettleHour';
      /** The charge's or refund's id (derived from the hour by the caller). */
      settlementId: string;
      leaseId: string;
      deviceId: string;
      supplierId: string;
      hourIndex: number;
      gpuCount: number;
      pricePerGpuHour: Priced;
      outcome: 'proven' | 'unproven';
      hourStart: Date;
      hourEnd: Date;
      parameters: TokenomicsParameters;
      sourceEventId: string;
      at: Date;
    }
  | {
      type: 'Terminate';
      leaseId: string;
      hoursUsed: number;
      terminationReason: string;
      parameters: TokenomicsParameters;
      ids: { refundId: string; feeId: string; minimumId: string; releaseId: string };
      sourceEventId: string;
      at: Date;
    };

interface Funding {
  fundingId: string;
  status: 'deferred' | 'locked' | 'failed';
  terms: FundingTerms;
  deadline: Date | null;
}

export type LeaseEscrowState =
  | { status: 'absent' }
  | {
      status: 'open' | 'closing';
      leaseId: string;
      customerId: string;
      asset: Asset;
      ioPriceUsdMicros: bigint;
      slots: EscrowSlot[];
      fundings: Readonly<Record<string, Funding>>;
      /** Hours bought by locked fundings. */
      bookedHours: number;
      escrowBaseUnits: bigint;
      /** `${deviceId}/${hourIndex}` of every hour charged or refunded. */
      settled: ReadonlySet<string>;
      /** Set once terminated: hours below it are still charged, none above. */
      hoursUsed: number | null;
    };

export const initialLeaseEscrowState: LeaseEscrowState = { status: 'absent' };

const hourKey = (deviceId: string, hourIndex: number) => `${deviceId}/${hourIndex}`;

/** The compute price of one device-hour of a slot, in the escrow's asset. */
export function slotHourComputeBaseUnits(slot: EscrowSlot): bigint {
  return slot.pricePerGpuHourBaseUnits * BigInt(slot.gpuCount);
}

/** The device-hours below `hoursUsed` not yet charged or refunded, and what they may still draw from
 *  escrow (each hour's compute plus the customer's fees on it). */
export function pendingHours(state: Extract<LeaseEscrowState, { status: 'open' | 'closing' }>, hoursUsed: number, parameters: TokenomicsParameters): { deviceHours: number; reserveBaseUnits: bigint } {
  let deviceHours = 0;
  let reserveBaseUnits = 0n;
  for (const slot of state.slots) {
    const hourGross = leaseFees(slotHourComputeBaseUnits(slot), state.asset, parameters).customerPaysBaseUnits;
    for (let hour = 0; hour < hoursUsed; hour++) {
      if (state.settled.has(hourKey(slot.deviceId, hour))) continue;
      deviceHours++;
      reserveBaseUnits += hourGross;
    }
  }
  return { deviceHours, reserveBaseUnits };
}

function assertCount(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new BillingError('BILLING.INVALID_AMOUNT', `${name} must be an integer of at least ${min}, got ${value}`);
}

function termsOf(command: Extract<LeaseEscrowCommand, { type: 'OpenFunding' }>, state: LeaseEscrowState): FundingTerms {
  assertCount(command.hours, 'hours', 1);
  const slots: EscrowSlot[] = command.slots.map((s) => {
    assertCount(s.gpuCount, 'gpu count', 1);
    return { deviceId: s.deviceId, supplierId: s.supplierId, gpuCount: s.gpuCount, pricePerGpuHourBaseUnits: priceInAsset(s.pricePerGpuHour, command.asset, command.ioPriceUsdMicros) };
  });
  // An extension buys more hours of the lease's own devices.
  const priced = command.creation ? slots : state.status === 'absent' ? [] : state.slots;
  if (priced.length === 0) throw new BillingError('BILLING.INVALID_AMOUNT', 'a lease needs at least one device');
  const computeBaseUnits = priced.reduce((sum, s) => sum + slotHourComputeBaseUnits(s), 0n) * BigInt(command.hours);
  const fees = leaseFees(computeBaseUnits, command.asset, command.parameters);
  return {
    slots,
    hours: command.hours,
    computeBaseUnits,
    reservationFeeBaseUnits: fees.customer.reservationFeeBaseUnits,
    paymentFeeBaseUnits: fees.customer.paymentFeeBaseUnits,
    requiredBaseUnits: fees.customerPaysBaseUnits,
    ioPriceUsdMicros: command.ioPriceUsdMicros,
  };
}

export function decideLeaseEscrow(command: LeaseEscrowCommand, state: LeaseEscrowState): LeaseEscrowEvent[] {
  switch (command.type) {
    case 'OpenFunding': {
      if (state.status !== 'absent' && (state.fundings[command.fundingId] || state.status === 'closing')) return [];
      if (!command.creation && state.status === 'absent') throw new BillingError('BILLING.LEASE_NOT_FOUND', `lease ${command.leaseId} has no escrow to extend`);
      if (command.availableBaseUnits < 0n) throw new BillingError('BILLING.INVALID_AMOUNT', 'available balance cannot be negative');
      const terms = termsOf(command, state);
      const common = { leaseId: command.leaseId, customerId: command.customerId, asset: command.asset, sourceEventId: command.sourceEventId, at: command.at };
      if (command.availableBaseUnits >= terms.requiredBaseUnits) return [{ type: 'EscrowLocked', fundingId: command.fundingId, terms, ...common }];
      return [{ type: 'EscrowFundingDeferred', fundingId: command.fundingId, terms, availableBaseUnits: command.availableBaseUnits, deadline: command.deadline, ...common }];
    }
    case 'FundFromBalance': {
      if (state.status === 'absent') return [];
      const funding = state.fundings[command.fundingId];
      if (!funding || funding.status !== 'deferred' || state.status === 'closing') return [];
      // The hold has passed: the expiry job decides the failure, never a late deposit.
      if (command.at.getTime() >= funding.deadline!.getTime()) return [];
      if (command.availableBaseUnits < funding.terms.requiredBaseUnits) return [];
      return [{ type: 'EscrowLocked', fundingId: funding.fundingId, terms: funding.terms, leaseId: state.leaseId, customerId: state.customerId, asset: state.asset, sourceEventId: command.sourceEventId, at: command.at }];
    }
    case 'ExpireFunding': {
      if (state.status === 'absent') return [];
      const funding = state.fundings[command.fundingId];
      if (!funding || funding.status !== 'deferred') return [];
      if (command.at.getTime() < funding.deadline!.getTime()) return [];
      return [
        {
          type: 'EscrowLockFailed',
          fundingId: funding.fundingId,
          requiredBaseUnits: funding.terms.requiredBaseUnits,
          availableBaseUnits: command.availableBaseUnits,
          reason: 'funding_window_expired',
          leaseId: state.leaseId,
          customerId: state.customerId,
          asset: state.asset,
          sourceEventId: command.sourceEventId,
          at: command.at,
        },
      ];
    }
    case 'SettleHour':
      return settleHour(command, state);
    case 'Terminate':
      return terminate(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${String((unhandled as { type: string }).type)}`);
    }
  }
}

function settleHour(command: Extract<LeaseEscrowCommand, { type: 'SettleHour' }>, state: LeaseEscrowState): LeaseEscrowEvent[] {
  if (state.status === 'absent' || state.bookedHours === 0) throw new BillingError('BILLING.LEASE_NOT_FUNDED', `lease ${command.leaseId} has no locked escrow to charge hour ${command.hourIndex} from`);
  assertCount(command.hourIndex, 'hour index', 0);
  assertCount(command.gpuCount, 'gpu count', 1);
  const key = hourKey(command.deviceId, command.hourIndex);
  if (state.settled.has(key)) return [];
  if (state.hoursUsed !== null && command.hourIndex >= state.hoursUsed) {
    throw new BillingError('BILLING.LEASE_NOT_FUNDED', `lease ${command.leaseId} ended after ${state.hoursUsed} hour(s); hour ${command.hourIndex} cannot be charged`);
  }
  const pricePerGpuHourBaseUnits = priceInAsset(command.pricePerGpuHour, state.asset, state.ioPriceUsdMicros);
  const computeBaseUnits = pricePerGpuHourBaseUnits * BigInt(command.gpuCount);
  const fees = leaseFees(computeBaseUnits, state.asset, command.parameters);
  const grossBaseUnits = fees.customerPaysBaseUnits;
  if (grossBaseUnits > state.escrowBaseUnits) {
    throw new BillingError('BILLING.ESCROW_EXHAUSTED', `hour ${command.hourIndex} of device ${command.deviceId} needs ${grossBaseUnits} ${state.asset} base units; the escrow holds ${state.escrowBaseUnits}`);
  }
  const common = { leaseId: state.leaseId, customerId: state.customerId, asset: state.asset, sourceEventId: command.sourceEventId, at: command.at };
  const events: LeaseEscrowEvent[] =
    command.outcome === 'proven'
      ? [
          {
            type: 'UsageCharged',
            chargeId: command.settlementId,
            supplierId: command.supplierId,
            deviceId: command.deviceId,
            hourIndex: command.hourIndex,
            gpuCount: command.gpuCount,
            pricePerGpuHourBaseUnits,
            computeBaseUnits,
            customerFeeBaseUnits: fees.customer.totalFeeBaseUnits,
            supplierFeeBaseUnits: fees.supplier.totalFeeBaseUnits,
            grossBaseUnits,
            supplierEarningsBaseUnits: fees.supplierReceivesBaseUnits,
            platformFeeBaseUnits: fees.platformFeesBaseUnits,
            hourStart: command.hourStart,
            hourEnd: command.hourEnd,
            ...common,
          },
        ]
      : [{ type: 'RefundIssued', refundId: command.settlementId, amountBaseUnits: grossBaseUnits, reason: 'time_lock_violated', deviceId: command.deviceId, hourIndex: command.hourIndex, deviceHours: 1, gpuCount: command.gpuCount, hourStart: command.hourStart, ...common }];
  // The last hour of a terminated lease settles the escrow: what is left goes back to the customer.
  if (state.hoursUsed !== null) {
    const after = events.reduce(evolveLeaseEscrow, state) as Extract<LeaseEscrowState, { status: 'open' | 'closing' }>;
    if (pendingHours(after, state.hoursUsed, command.parameters).deviceHours === 0 && after.escrowBaseUnits > 0n) {
      events.push({ type: 'EscrowReleased', escrowId: `${command.settlementId}.release`, amountBaseUnits: after.escrowBaseUnits, ...common });
    }
  }
  return events;
}

function terminate(command: Extract<LeaseEscrowCommand, { type: 'Terminate' }>, state: LeaseEscrowState): LeaseEscrowEvent[] {
  if (state.status === 'absent' || state.status === 'closing') return [];
  assertCount(command.hoursUsed, 'hours used', 0);
  const common = { leaseId: state.leaseId, customerId: state.customerId, asset: state.asset, sourceEventId: command.sourceEventId, at: command.at };
  const events: LeaseEscrowEvent[] = Object.values(state.fundings)
    .filter((f) => f.status === 'deferred')
    .map((f) => ({ type: 'EscrowLockFailed', fundingId: f.fundingId, requiredBaseUnits: f.terms.requiredBaseUnits, availableBaseUnits: 0n, reason: 'lease_terminated', ...common }));
  // The first hour is never refunded, and neither is an hour already used. Leasing reports (proven
  // or not) the hours it counts as used; a first hour it never reported is kept as a minimum charge.
  const hoursReported = Math.min(state.bookedHours, command.hoursUsed);
  const hoursUsed = state.bookedHours === 0 ? 0 : Math.max(1, hoursReported);
  const hoursRefunded = state.bookedHours - hoursUsed;
  let refundBaseUnits = 0n;
  let feesBaseUnits = 0n;
  let minimumBaseUnits = 0n;
  for (const slot of state.slots) {
    const hour = leaseFees(slotHourComputeBaseUnits(slot), state.asset, command.parameters);
    refundBaseUnits += hour.amountBaseUnits * BigInt(hoursRefunded);
    feesBaseUnits += hour.customer.totalFeeBaseUnits * BigInt(hoursRefunded);
    for (let index = hoursReported; index < hoursUsed; index++) if (!state.settled.has(hourKey(slot.deviceId, index))) minimumBaseUnits += hour.customerPaysBaseUnits;
  }
  const pending = pendingHours(state, hoursReported, command.parameters);
  const releaseBaseUnits = state.escrowBaseUnits - refundBaseUnits - feesBaseUnits - minimumBaseUnits - pending.reserveBaseUnits;
  if (releaseBaseUnits < 0n) {
    throw new BillingError('BILLING.ESCROW_EXHAUSTED', `terminating lease ${state.leaseId} needs ${-releaseBaseUnits} ${state.asset} base units more than its escrow holds`);
  }
  events.push({
    type: 'EscrowTerminationRecorded',
    bookedHours: state.bookedHours,
    hoursUsed: hoursReported,
    hoursRefunded,
    pendingDeviceHours: pending.deviceHours,
    terminationReason: command.terminationReason,
    ...common,
  });
  if (refundBaseUnits > 0n) {
    events.push({ type: 'RefundIssued', refundId: command.ids.refundId, amountBaseUnits: refundBaseUnits, reason: 'early_termination', deviceId: '', hourIndex: 0, deviceHours: hoursRefunded * state.slots.length, gpuCount: 0, ...common });
  }
  if (feesBaseUnits > 0n) events.push({ type: 'FeeRetained', feeId: command.ids.feeId, amountBaseUnits: feesBaseUnits, reason: 'early_termination_fees', ...common });
  if (minimumBaseUnits > 0n) events.push({ type: 'FeeRetained', feeId: command.ids.minimumId, amountBaseUnits: minimumBaseUnits, reason: 'first_hour_minimum', ...common });
  if (pending.deviceHours === 0 && releaseBaseUnits > 0n) events.push({ type: 'EscrowReleased', escrowId: command.ids.releaseId, amountBaseUnits: releaseBaseUnits, ...common });
  return events;
}

export function evolveLeaseEscrow(state: LeaseEscrowState, event: LeaseEscrowEvent): LeaseEscrowState {
  switch (event.type) {
    case 'EscrowFundingDeferred':
    case 'EscrowLocked': {
      const base =
        state.status === 'absent'
          ? { status: 'open' as const, leaseId: event.leaseId, customerId: event.customerId, asset: event.asset, ioPriceUsdMicros: event.terms.ioPriceUsdMicros, slots: event.terms.slots, fundings: {}, bookedHours: 0, escrowBaseUnits: 0n, settled: new Set<string>(), hoursUsed: null }
          : state;
      const locked = event.type === 'EscrowLocked';
      return {
        ...base,
        slots: base.slots.length ? base.slots : event.terms.slots,
        fundings: { ...base.fundings, [event.fundingId]: { fundingId: event.fundingId, status: locked ? 'locked' : 'deferred', terms: event.terms, deadline: locked ? (base.fundings[event.fundingId]?.deadline ?? null) : event.deadline } },
        bookedHours: base.bookedHours + (locked ? event.terms.hours : 0),
        escrowBaseUnits: base.escrowBaseUnits + (locked ? event.terms.requiredBaseUnits : 0n),
      };
    }
    case 'EscrowLockFailed': {
      if (state.status === 'absent') return state;
      const funding = state.fundings[event.fundingId];
      return funding ? { ...state, fundings: { ...state.fundings, [event.fundingId]: { ...funding, status: 'failed' } } } : state;
    }
    case 'UsageCharged':
    case 'RefundIssued': {
      if (state.status === 'absent') return state;
      const amount = event.type === 'UsageCharged' ? event.grossBaseUnits : event.amountBaseUnits;
      const settled = event.deviceId ? new Set(state.settled).add(hourKey(event.deviceId, event.hourIndex)) : state.settled;
      return { ...state, escrowBaseUnits: state.escrowBaseUnits - amount, settled };
    }
    case 'FeeRetained':
    case 'EscrowReleased':
      return state.status === 'absent' ? state : { ...state, escrowBaseUnits: state.escrowBaseUnits - event.amountBaseUnits };
    case 'EscrowTerminationRecorded':
      return state.status === 'absent' ? state : { ...state, status: 'closing', hoursUsed: event.hoursUsed };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${String((unhandled as { type: string }).type)}`);
    }
  }
}
