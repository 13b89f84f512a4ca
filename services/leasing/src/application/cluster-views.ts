import { currentSlots, hoursServedAt, type LeaseState } from '../domain/lease.decider';

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

/** Why a cluster is where it is, in words (users of the peers cannot tell why a deploy waits). */
export function statusReason(state: LeaseState): string {
  switch (state.status) {
    case 'awaiting_payment':
      return `waiting for the escrow of ${state.totalPrice?.amountBaseUnits ?? 0n} ${state.totalPrice?.asset ?? ''} base units to lock (deposit before ${iso(state.paymentDeadline)})`;
    case 'deploying': {
      const slots = currentSlots(state);
      const waiting = slots.filter((s) => !['started'].includes(state.jobs[s.jobId]?.status ?? ''));
      return `${slots.length - waiting.length} of ${slots.length} jobs started; waiting for ${waiting.map((s) => `${s.deviceId} (${state.jobs[s.jobId]?.status})`).join(', ')}`;
    }
    case 'running':
      return `every job started; ends at ${iso(state.endsAt)}`;
    case 'completed':
      return 'the booked hours were served';
    case 'terminated':
      return state.terminationReason === 'funding_failed' ? 'the escrow was not locked within the quote\'s 20 minutes' : `terminated (${state.terminationReason})`;
    case 'failed':
      return `failed (${state.terminationReason})`;
    default:
      return state.status;
  }
}

export function clusterView(state: LeaseState, now: Date) {
  const served = hoursServedAt(state, now);
  const slots = currentSlots(state);
  return {
    clusterId: state.leaseId,
    quoteId: state.quoteId,
    name: state.workload?.name ?? '',
    clusterType: state.clusterType,
    status: state.status,
    statusReason: statusReason(state),
    image: state.workload?.image ?? '',
    devices: slots.map((s) => ({ deviceId: s.deviceId, supplierId: s.supplierId, role: s.role, gpuCount: s.gpuCount, pricePerGpuHourBaseUnits: s.pricePerGpuHour.amountBaseUnits.toString(), jobStatus: state.jobs[s.jobId]?.status ?? 'pending' })),
    durationHours: state.totalHours,
    hoursServed: served,
    hoursRemaining: state.endedAt ? 0 : state.activatedAt ? Math.max(0, state.totalHours - served) : state.totalHours,
    amountPaid: state.amountPaid ? { amountBaseUnits: state.amountPaid.amountBaseUnits.toString(), asset: state.amountPaid.asset } : null,
    createdAt: iso(state.createdAt),
    paymentDeadline: iso(state.paymentDeadline),
    fundedAt: iso(state.activatedAt),
    dispatchedAt: iso(state.firstDispatchedAt),
    runningAt: iso(state.runningAt),
    endsAt: iso(state.endsAt),
    endedAt: iso(state.endedAt),
    terminationReason: state.terminationReason ?? null,
  };
}

export function workersView(state: LeaseState, now: Date) {
  const end = state.endedAt && state.endedAt < now ? state.endedAt : now;
  return state.slots.map((s) => {
    const job = state.jobs[s.jobId];
    const proven = Object.entries(state.hours).filter(([k, v]) => k.startsWith(`${s.deviceId}/`) && v === 'proven').length;
    const unproven = Object.entries(state.hours).filter(([k, v]) => k.startsWith(`${s.deviceId}/`) && v === 'unproven').length;
    const running = job?.startedAt && (job.status === 'started' || job.status === 'accepted');
    return {
      deviceId: s.deviceId,
      role: s.role,
      jobId: s.jobId,
      jobStatus: job?.status ?? 'pending',
      jobDetail: job?.detail ?? null,
      exitCode: job?.exitCode ?? null,
      dispatchedAt: iso(job?.dispatchedAt),
      startedAt: iso(job?.startedAt),
      uptimeSeconds: running && job.startedAt ? Math.max(0, Math.floor((end.getTime() - job.startedAt.getTime()) / 1000)) : 0,
      provenHours: proven,
      unprovenHours: unproven,
    };
  });
}
