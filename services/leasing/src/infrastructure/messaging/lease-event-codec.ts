import { CONTRACT_ERROR_CODES, ContractError, enumCodec, leasingV1, type DomainMoney } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import type { Amount, ClusterRole, ClusterType, LeaseEvent, LeaseSlot, TerminationReason } from '../../domain/lease.decider';

// Asserted at start-up: the domain's names are exactly the contract's, so the casts below hold.
enumCodec(leasingV1.LeaseTerminationReasonSchema, ['completed', 'customer_cancelled', 'funding_failed', 'device_failure', 'operator']);
enumCodec(leasingV1.ClusterRoleSchema, ['head', 'worker', 'node']);
enumCodec(leasingV1.LeaseJobStatusSchema, ['dispatched', 'accepted', 'started', 'exited', 'failed', 'stopped', 'unacknowledged']);
enumCodec(leasingV1.LeaseHourOutcomeSchema, ['proven', 'unproven']);

const CLUSTER_TYPES: readonly ClusterType[] = ['ray', 'mega_ray', 'kubernetes', 'container'];
const ROLES: readonly ClusterRole[] = ['head', 'worker', 'node'];

const amount = (m: DomainMoney | undefined, field: string): Amount => {
  if (!m) throw new ContractError(CONTRACT_ERROR_CODES.violation, `${field} is missing`);
  return { amountBaseUnits: m.amountBaseUnits, asset: m.asset };
};

type WireSlot = { deviceId: string; supplierId: string; gpuCount: number; pricePerGpuHour: DomainMoney | undefined; role: string; jobId: string | undefined };

const slotToWire = (s: LeaseSlot): WireSlot => ({ deviceId: s.deviceId, supplierId: s.supplierId, gpuCount: s.gpuCount, pricePerGpuHour: s.pricePerGpuHour, role: s.role, jobId: s.jobId });
const slotFromWire = (s: WireSlot): LeaseSlot => {
  if (!(ROLES as readonly string[]).includes(s.role)) throw new ContractError(CONTRACT_ERROR_CODES.violation, `slot ${s.deviceId} has no role`);
  return { deviceId: s.deviceId, supplierId: s.supplierId, gpuCount: s.gpuCount, pricePerGpuHour: amount(s.pricePerGpuHour, 'price_per_gpu_hour'), role: s.role as ClusterRole, jobId: s.jobId ?? '' };
};

export const leaseEventCodec = eventCodec<LeaseEvent>()({
  LeaseCreated: {
    schema: leasingV1.LeaseCreatedSchema,
    toWire: (e) => ({
      leaseId: e.leaseId,
      requestId: e.requestId,
      quoteId: e.quoteId,
      customerId: e.customerId,
      slots: e.slots.map(slotToWire),
      durationHours: e.durationHours,
      computePrice: e.computePrice,
      reservationFee: e.reservationFee,
      paymentFee: e.paymentFee,
      totalPrice: e.totalPrice,
      paymentAsset: e.totalPrice.asset.toLowerCase(),
      createdAt: e.at,
      workload: { name: e.workload.name, image: e.workload.image, command: e.workload.command, env: Object.entries(e.workload.env).map(([name, value]) => ({ name, value })), ports: e.workload.ports },
      clusterType: e.clusterType,
      paymentDeadline: e.paymentDeadline,
    }),
    fromWire: (w) => {
      if (!(CLUSTER_TYPES as readonly string[]).includes(w.clusterType)) throw new ContractError(CONTRACT_ERROR_CODES.violation, `cluster type ${w.clusterType} is unknown`);
      return {
        type: 'LeaseCreated',
        leaseId: w.leaseId,
        requestId: w.requestId,
        quoteId: w.quoteId,
        customerId: w.customerId,
        clusterType: w.clusterType as ClusterType,
        slots: w.slots.map(slotFromWire),
        durationHours: w.durationHours,
        computePrice: amount(w.computePrice, 'compute_price'),
        reservationFee: amount(w.reservationFee, 'reservation_fee'),
        paymentFee: amount(w.paymentFee, 'payment_fee'),
        totalPrice: amount(w.totalPrice, 'total_price'),
        workload: { name: w.workload?.name ?? '', image: w.workload?.image ?? '', command: [...(w.workload?.command ?? [])], env: Object.fromEntries((w.workload?.env ?? []).map((v) => [v.name, v.value])), ports: [...(w.workload?.ports ?? [])] },
        paymentDeadline: w.paymentDeadline ?? w.createdAt!,
        at: w.createdAt!,
      };
    },
  },
  LeaseActivated: {
    schema: leasingV1.LeaseActivatedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, customerId: e.customerId, activatedAt: e.at, endsAt: e.endsAt }),
    fromWire: (w) => ({ type: 'LeaseActivated', leaseId: w.leaseId, customerId: w.customerId, endsAt: w.endsAt!, at: w.activatedAt! }),
  },
  JobDispatched: {
    schema: leasingV1.JobDispatchedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, jobId: e.jobId, deviceId: e.deviceId, clusterRole: e.role, image: e.image, dispatchedAt: e.at }),
    fromWire: (w) => ({ type: 'JobDispatched', leaseId: w.leaseId, jobId: w.jobId, deviceId: w.deviceId, role: w.clusterRole as ClusterRole, image: w.image, at: w.dispatchedAt! }),
  },
  LeaseJobStatusChanged: {
    schema: leasingV1.LeaseJobStatusChangedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, jobId: e.jobId, deviceId: e.deviceId, status: e.status, detail: e.detail, changedAt: e.at, exitCode: e.exitCode ?? undefined }),
    fromWire: (w) => ({
      type: 'LeaseJobStatusChanged',
      leaseId: w.leaseId,
      jobId: w.jobId,
      deviceId: w.deviceId,
      status: w.status as Extract<LeaseEvent, { type: 'LeaseJobStatusChanged' }>['status'],
      exitCode: w.exitCode ?? null,
      detail: w.detail,
      at: w.changedAt!,
    }),
  },
  LeaseJobsStarted: {
    schema: leasingV1.LeaseJobsStartedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, customerId: e.customerId, startedAt: e.at }),
    fromWire: (w) => ({ type: 'LeaseJobsStarted', leaseId: w.leaseId, customerId: w.customerId, at: w.startedAt! }),
  },
  LeaseHourCompleted: {
    schema: leasingV1.LeaseHourCompletedSchema,
    toWire: (e) => ({
      leaseId: e.leaseId,
      customerId: e.customerId,
      deviceId: e.deviceId,
      supplierId: e.supplierId,
      hourIndex: e.hourIndex,
      gpuCount: e.gpuCount,
      pricePerGpuHour: e.pricePerGpuHour,
      hourStart: e.hourStart,
      hourEnd: e.hourEnd,
      completedAt: e.at,
      outcome: e.outcome,
      verificationEventId: e.verificationEventId,
    }),
    fromWire: (w) => {
      if (w.outcome !== 'proven' && w.outcome !== 'unproven') throw new ContractError(CONTRACT_ERROR_CODES.violation, 'a completed lease-hour names its outcome');
      return {
        type: 'LeaseHourCompleted',
        leaseId: w.leaseId,
        customerId: w.customerId,
        deviceId: w.deviceId,
        supplierId: w.supplierId,
        hourIndex: w.hourIndex,
        gpuCount: w.gpuCount,
        pricePerGpuHour: amount(w.pricePerGpuHour, 'price_per_gpu_hour'),
        hourStart: w.hourStart!,
        hourEnd: w.hourEnd!,
        outcome: w.outcome,
        verificationEventId: w.verificationEventId ?? '',
        at: w.completedAt!,
      };
    },
  },
  LeaseExtended: {
    schema: leasingV1.LeaseExtendedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, customerId: e.customerId, additionalHours: e.additionalHours, additionalPrice: e.additionalPrice, newEndsAt: e.newEndsAt, extendedAt: e.at }),
    fromWire: (w) => ({
      type: 'LeaseExtended',
      leaseId: w.leaseId,
      customerId: w.customerId,
      additionalHours: w.additionalHours,
      additionalPrice: amount(w.additionalPrice, 'additional_price'),
      newEndsAt: w.newEndsAt!,
      at: w.extendedAt!,
    }),
  },
  LeaseDeviceReplaced: {
    schema: leasingV1.LeaseDeviceReplacedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, failedDeviceId: e.failedDeviceId, replacement: slotToWire(e.replacement), replacedAt: e.at }),
    fromWire: (w) => ({ type: 'LeaseDeviceReplaced', leaseId: w.leaseId, failedDeviceId: w.failedDeviceId, replacement: slotFromWire(w.replacement!), at: w.replacedAt! }),
  },
  LeaseTerminated: {
    schema: leasingV1.LeaseTerminatedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, customerId: e.customerId, reason: e.reason, hoursUsed: e.hoursUsed, hoursRefundable: e.hoursRefundable, terminatedAt: e.at }),
    fromWire: (w) => ({
      type: 'LeaseTerminated',
      leaseId: w.leaseId,
      customerId: w.customerId,
      reason: w.reason as TerminationReason,
      hoursUsed: w.hoursUsed,
      hoursRefundable: w.hoursRefundable,
      at: w.terminatedAt!,
    }),
  },
});
