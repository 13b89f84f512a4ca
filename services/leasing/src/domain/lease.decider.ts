import { LeasingError } from './leasing.errors';

export const HOUR_MS = 3_600_000;

export type ClusterType = 'ray' | 'mega_ray' | 'kubernetes' | 'container';
export type ClusterRole = 'head' | 'worker' | 'node';
export type LeaseStatus = 'absent' | 'awaiting_payment' | 'deploying' | 'running' | 'completed' | 'terminated' | 'failed';
export type JobStatus = 'pending' | 'dispatched' | 'accepted' | 'started' | 'exited' | 'failed' | 'stopped' | 'unacknowledged' | 'replaced';
export type TerminationReason = 'completed' | 'customer_cancelled' | 'funding_failed' | 'device_failure' | 'operator';
export type HourOutcome = 'proven' | 'unproven';
/** The agent's job event kinds (ADR 0400). */
export type AgentJobEventKind = 'accepted' | 'started' | 'running' | 'exited' | 'log' | 'stopped' | 'failed_to_start';

/** Money is exact: base units of one asset (the lease's payment asset). */
export interface Amount {
  amountBaseUnits: bigint;
  asset: string;
}

export interface LeaseSlot {
  deviceId: string;
  supplierId: string;
  gpuCount: number;
  pricePerGpuHour: Amount;
  role: ClusterRole;
  jobId: string;
}

export interface Workload {
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  ports: number[];
}

export interface QuoteTerms {
  quoteId: string;
  requestId: string;
  customerId: string;
  clusterType: ClusterType;
  /** A reservation's role as matching placed it; absent: by the cluster type (rolesFor). */
  reservations: Array<Omit<LeaseSlot, 'role' | 'jobId'> & { role?: ClusterRole }>;
  durationHours: number;
  computePrice: Amount;
  reservationFee: Amount;
  paymentFee: Amount;
  totalPrice: Amount;
  expiresAt: Date;
}

export type LeaseEvent =
  | {
      type: 'LeaseCreated';
      leaseId: string;
      requestId: string;
      quoteId: string;
      customerId: string;
      clusterType: ClusterType;
      slots: LeaseSlot[];
      durationHours: number;
      computePrice: Amount;
      reservationFee: Amount;
      paymentFee: Amount;
      totalPrice: Amount;
      workload: Workload;
      paymentDeadline: Date;
      at: Date;
    }
  | { type: 'LeaseActivated'; leaseId: string; customerId: string; endsAt: Date; at: Date }
  | { type: 'JobDispatched'; leaseId: string; jobId: string; deviceId: string; role: ClusterRole; image: string; at: Date }
  | { type: 'LeaseJobStatusChanged'; leaseId: string; jobId: string; deviceId: string; status: Exclude<JobStatus, 'pending' | 'replaced'>; exitCode: number | null; detail: string; at: Date }
  | { type: 'LeaseJobsStarted'; leaseId: string; customerId: string; at: Date }
  | {
      type: 'LeaseHourCompleted';
      leaseId: string;
      customerId: string;
      deviceId: string;
      supplierId: string;
      hourIndex: number;
      gpuCount: number;
      pricePerGpuHour: Amount;
      hourStart: Date;
      hourEnd: Date;
      outcome: HourOutcome;
      verificationEventId: string;
      at: Date;
    }
  | { type: 'LeaseExtended'; leaseId: string; customerId: string; additionalHours: number; additionalPrice: Amount; newEndsAt: Date; at: Date }
  | { type: 'LeaseDeviceReplaced'; leaseId: string; failedDeviceId: string; replacement: LeaseSlot; at: Date }
  | { type: 'LeaseTerminated'; leaseId: string; customerId: string; reason: TerminationReason; hoursUsed: number; hoursRefundable: number; at: Date };

export type LeaseCommand =
  | { type: 'CreateLease'; leaseId: string; quote: QuoteTerms; customerId: string; workload: Workload; jobIds: Record<string, string>; at: Date }
  | { type: 'ActivateLease'; at: Date }
  | { type: 'FailFunding'; at: Date }
  | { type: 'ExpirePaymentWindow'; at: Date }
  | { type: 'RecordDispatch'; jobId: string; at: Date }
  | { type: 'RecordJobEvent'; jobId: string; kind: AgentJobEventKind; exitCode: number | null; text: string; at: Date }
  | { type: 'MarkJobUnacknowledged'; jobId: string; attempts: number; at: Date }
  | { type: 'CompleteHour'; deviceId: string; hourIndex: number; outcome: HourOutcome; hourStart: Date; hourEnd: Date; verificationEventId: string; at: Date }
  | { type: 'ExtendLease'; hours: number; at: Date }
  | { type: 'TerminateLease'; reason: 'customer_cancelled' | 'operator' | 'device_failure'; at: Date }
  | { type: 'CompleteLease'; at: Date }
  | { type: 'ReplaceDevice'; failedDeviceId: string; replacement: Omit<LeaseSlot, 'role' | 'jobId'>; jobId: string; at: Date };

export interface JobState {
  jobId: string;
  deviceId: string;
  role: ClusterRole;
  status: JobStatus;
  dispatchedAt?: Date;
  startedAt?: Date;
  exitCode?: number;
  detail?: string;
}

export interface LeaseState {
  status: LeaseStatus;
  leaseId: string;
  customerId: string;
  quoteId: string;
  clusterType: ClusterType;
  /** Every slot the lease ever had (a replaced device keeps its slot, marked by its job). */
  slots: LeaseSlot[];
  workload?: Workload;
  durationHours: number;
  /** The original hours plus every extension. */
  totalHours: number;
  totalPrice?: Amount;
  /** What was priced: the quote's total plus every extension's price. */
  amountPaid?: Amount;
  createdAt?: Date;
  paymentDeadline?: Date;
  activatedAt?: Date;
  endsAt?: Date;
  runningAt?: Date;
  firstDispatchedAt?: Date;
  endedAt?: Date;
  terminationReason?: TerminationReason;
  hoursUsed?: number;
  jobs: Record<string, JobState>;
  /** `${deviceId}/${hourIndex}` -> outcome: each device-hour completes once. */
  hours: Record<string, HourOutcome>;
}

export const initialLeaseState: LeaseState = {
  status: 'absent',
  leaseId: '',
  customerId: '',
  quoteId: '',
  clusterType: 'container',
  slots: [],
  durationHours: 0,
  totalHours: 0,
  jobs: {},
  hours: {},
};

const ACTIVE: ReadonlySet<LeaseStatus> = new Set(['deploying', 'running']);
const ENDED: ReadonlySet<LeaseStatus> = new Set(['completed', 'terminated', 'failed']);

export const isActive = (s: LeaseState) => ACTIVE.has(s.status);
export const isEnded = (s: LeaseState) => ENDED.has(s.status);

/** Roles by cluster type: Ray (and Mega-Ray) is a head plus workers; Kubernetes and containers are nodes. */
export function rolesFor(type: ClusterType, count: number): ClusterRole[] {
  if (type === 'ray' || type === 'mega_ray') return Array.from({ length: count }, (_, i) => (i === 0 ? 'head' : 'worker'));
  return Array.from({ length: count }, () => 'node');
}

/** The compute price of `hours` of these slots: sum(gpus x price per GPU-hour) x hours, exact. */
export function computePriceOf(slots: ReadonlyArray<Pick<LeaseSlot, 'gpuCount' | 'pricePerGpuHour'>>, hours: number, asset: string): Amount {
  let perHour = 0n;
  for (const s of slots) perHour += BigInt(s.gpuCount) * s.pricePerGpuHour.amountBaseUnits;
  return { amountBaseUnits: perHour * BigInt(hours), asset };
}

/** The slots whose job is live (not replaced). */
export function currentSlots(state: LeaseState): LeaseSlot[] {
  return state.slots.filter((s) => state.jobs[s.jobId]?.status !== 'replaced');
}

/** Hours used at `at` (started hours, at least 1 once activated, at most the total). */
export function hoursUsedAt(state: LeaseState, at: Date): number {
  if (!state.activatedAt) return 0;
  const started = Math.ceil(Math.max(0, at.getTime() - state.activatedAt.getTime()) / HOUR_MS);
  return Math.min(state.totalHours, Math.max(1, started));
}

/** Hours served, whole, at `at` (for the status view). */
export function hoursServedAt(state: LeaseState, at: Date): number {
  if (!state.activatedAt) return 0;
  const end = state.endedAt && state.endedAt < at ? state.endedAt : at;
  return Math.min(state.totalHours, Math.floor(Math.max(0, end.getTime() - state.activatedAt.getTime()) / HOUR_MS));
}

const JOB_RANK: Record<JobStatus, number> = { pending: 0, dispatched: 1, unacknowledged: 1, accepted: 2, started: 3, exited: 4, failed: 4, stopped: 5, replaced: 6 };

function jobStatusOf(kind: AgentJobEventKind, exitCode: number | null): Exclude<JobStatus, 'pending' | 'replaced'> | undefined {
  switch (kind) {
    case 'accepted':
      return 'accepted';
    case 'started':
    case 'running':
      return 'started';
    case 'exited':
      return exitCode === 0 ? 'exited' : 'failed';
    case 'failed_to_start':
      return 'failed';
    case 'stopped':
      return 'stopped';
    default:
      return undefined;
  }
}

/** The lease: a cluster from a quote, paid, dispatched, metered, extended, ended (ADR 0510). */
export function decideLease(command: LeaseCommand, state: LeaseState): LeaseEvent[] {
  switch (command.type) {
    case 'CreateLease': {
      if (state.status !== 'absent') throw new LeasingError('LEASING.QUOTE_ALREADY_USED', `quote ${command.quote.quoteId} already made cluster ${state.leaseId}`, { clusterId: state.leaseId });
      const q = command.quote;
      if (command.at.getTime() >= q.expiresAt.getTime()) throw new LeasingError('LEASING.QUOTE_EXPIRED', `quote ${q.quoteId} expired at ${q.expiresAt.toISOString()}; request a new quote`);
      const roles = rolesFor(q.clusterType, q.reservations.length);
      const slots = q.reservations.map((r, i) => {
        const jobId = command.jobIds[r.deviceId];
        if (!jobId) throw new Error(`no job id for device ${r.deviceId}`);
        return { deviceId: r.deviceId, supplierId: r.supplierId, gpuCount: r.gpuCount, pricePerGpuHour: r.pricePerGpuHour, role: r.role ?? roles[i]!, jobId };
      });
      return [
        {
          type: 'LeaseCreated',
          leaseId: command.leaseId,
          requestId: q.requestId,
          quoteId: q.quoteId,
          customerId: command.customerId,
          clusterType: q.clusterType,
          slots,
          durationHours: q.durationHours,
          computePrice: q.computePrice,
          reservationFee: q.reservationFee,
          paymentFee: q.paymentFee,
          totalPrice: q.totalPrice,
          workload: command.workload,
          paymentDeadline: q.expiresAt,
          at: command.at,
        },
      ];
    }
    case 'ActivateLease':
      // Funded once: a second funding fact (an extension's, a redelivery) activates nothing.
      if (state.status !== 'awaiting_payment') return [];
      return [{ type: 'LeaseActivated', leaseId: state.leaseId, customerId: state.customerId, endsAt: new Date(command.at.getTime() + state.totalHours * HOUR_MS), at: command.at }];
    case 'FailFunding':
      if (state.status !== 'awaiting_payment') return [];
      return [terminated(state, 'funding_failed', 0, command.at)];
    case 'ExpirePaymentWindow':
      if (state.status !== 'awaiting_payment' || !state.paymentDeadline || command.at.getTime() < state.paymentDeadline.getTime()) return [];
      return [terminated(state, 'funding_failed', 0, command.at)];
    case 'RecordDispatch': {
      const job = state.jobs[command.jobId];
      if (!job || !isActive(state) || job.status !== 'pending') return [];
      return [dispatchedOf(state, job, command.at)];
    }
    case 'MarkJobUnacknowledged': {
      const job = state.jobs[command.jobId];
      if (!job || !isActive(state) || job.status !== 'dispatched') return [];
      return [jobChanged(state, job, 'unacknowledged', null, `no accepted after ${command.attempts} deliveries`, command.at)];
    }
    case 'RecordJobEvent': {
      const job = state.jobs[command.jobId];
      if (!job || state.status === 'absent' || job.status === 'replaced') return [];
      const next = jobStatusOf(command.kind, command.exitCode);
      if (!next || JOB_RANK[next] <= JOB_RANK[job.status]) return [];
      const detail = next === 'failed' ? command.text : '';
      const out: LeaseEvent[] = [];
      // The agent took the job from the activation's fast path before its dispatch job ran: the
      // hand-over happened, so it is recorded first (the dispatch job then finds it taken). Every
      // job an agent reported on has its JobDispatched, whichever path handed it over.
      if (job.status === 'pending' && isActive(state)) out.push(dispatchedOf(state, job, command.at));
      out.push(jobChanged(state, job, next, command.kind === 'exited' ? command.exitCode : null, detail, command.at));
      if (next === 'started' && state.status === 'deploying') {
        const allStarted = currentSlots(state).every((s) => s.jobId === job.jobId || JOB_RANK[state.jobs[s.jobId]!.status] >= JOB_RANK.started);
        if (allStarted) out.push({ type: 'LeaseJobsStarted', leaseId: state.leaseId, customerId: state.customerId, at: command.at });
      }
      return out;
    }
    case 'CompleteHour': {
      if (state.status === 'absent' || state.status === 'awaiting_payment') throw new LeasingError('LEASING.CLUSTER_NOT_ACTIVE', `lease ${state.leaseId || '?'} was never activated`);
      const key = `${command.deviceId}/${command.hourIndex}`;
      if (state.hours[key]) return [];
      const slot = state.slots.find((s) => s.deviceId === command.deviceId);
      if (!slot) throw new LeasingError('LEASING.UNKNOWN_DEVICE', `device ${command.deviceId} never served lease ${state.leaseId}`);
      if (command.hourIndex >= state.totalHours) return [];
      return [
        {
          type: 'LeaseHourCompleted',
          leaseId: state.leaseId,
          customerId: state.customerId,
          deviceId: slot.deviceId,
          supplierId: slot.supplierId,
          hourIndex: command.hourIndex,
          gpuCount: slot.gpuCount,
          pricePerGpuHour: slot.pricePerGpuHour,
          hourStart: command.hourStart,
          hourEnd: command.hourEnd,
          outcome: command.outcome,
          verificationEventId: command.verificationEventId,
          at: command.at,
        },
      ];
    }
    case 'ExtendLease': {
      if (!Number.isSafeInteger(command.hours) || command.hours < 1 || command.hours > 8_760) throw new LeasingError('LEASING.INVALID_HOURS', 'hours must be a whole number from 1 to 8760');
      if (isEnded(state)) throw new LeasingError('LEASING.CLUSTER_ENDED', `cluster ${state.leaseId} has ended (${state.status})`);
      if (!isActive(state) || !state.endsAt) throw new LeasingError('LEASING.CLUSTER_NOT_ACTIVE', `cluster ${state.leaseId} is ${state.status}: it can be extended once funded`);
      const asset = state.totalPrice!.asset;
      return [
        {
          type: 'LeaseExtended',
          leaseId: state.leaseId,
          customerId: state.customerId,
          additionalHours: command.hours,
          additionalPrice: computePriceOf(currentSlots(state), command.hours, asset),
          newEndsAt: new Date(state.endsAt.getTime() + command.hours * HOUR_MS),
          at: command.at,
        },
      ];
    }
    case 'TerminateLease': {
      if (isEnded(state)) return [];
      if (state.status === 'absent') throw new LeasingError('LEASING.CLUSTER_NOT_FOUND', 'no such cluster');
      const used = hoursUsedAt(state, command.at);
      return [terminated(state, command.reason, used, command.at)];
    }
    case 'CompleteLease':
      if (!isActive(state) || !state.endsAt || command.at.getTime() < state.endsAt.getTime()) return [];
      return [terminated(state, 'completed', state.totalHours, command.at)];
    case 'ReplaceDevice': {
      if (!isActive(state)) return [];
      const failed = currentSlots(state).find((s) => s.deviceId === command.failedDeviceId);
      if (!failed) return [];
      if (currentSlots(state).some((s) => s.deviceId === command.replacement.deviceId)) return [];
      return [{ type: 'LeaseDeviceReplaced', leaseId: state.leaseId, failedDeviceId: failed.deviceId, replacement: { ...command.replacement, role: failed.role, jobId: command.jobId }, at: command.at }];
    }
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

function terminated(state: LeaseState, reason: TerminationReason, hoursUsed: number, at: Date): LeaseEvent {
  // DOMAIN.md: early termination refunds the unused hours, except the first hour (and the fees).
  const kept = state.activatedAt ? Math.max(1, hoursUsed) : 0;
  const hoursRefundable = state.activatedAt ? Math.max(0, state.totalHours - kept) : 0;
  return { type: 'LeaseTerminated', leaseId: state.leaseId, customerId: state.customerId, reason, hoursUsed, hoursRefundable, at };
}

function dispatchedOf(state: LeaseState, job: JobState, at: Date): LeaseEvent {
  return { type: 'JobDispatched', leaseId: state.leaseId, jobId: job.jobId, deviceId: job.deviceId, role: job.role, image: state.workload?.image ?? '', at };
}

function jobChanged(state: LeaseState, job: JobState, status: Exclude<JobStatus, 'pending' | 'replaced'>, exitCode: number | null, detail: string, at: Date): LeaseEvent {
  return { type: 'LeaseJobStatusChanged', leaseId: state.leaseId, jobId: job.jobId, deviceId: job.deviceId, status, exitCode, detail, at };
}

export function evolveLease(state: LeaseState, event: LeaseEvent): LeaseState {
  switch (event.type) {
    case 'LeaseCreated': {
      const jobs: Record<string, JobState> = {};
      for (const s of event.slots) jobs[s.jobId] = { jobId: s.jobId, deviceId: s.deviceId, role: s.role, status: 'pending' };
      return {
        ...state,
        status: 'awaiting_payment',
        leaseId: event.leaseId,
        customerId: event.customerId,
        quoteId: event.quoteId,
        clusterType: event.clusterType,
        slots: event.slots,
        workload: event.workload,
        durationHours: event.durationHours,
        totalHours: event.durationHours,
        totalPrice: event.totalPrice,
        amountPaid: event.totalPrice,
        createdAt: event.at,
        paymentDeadline: event.paymentDeadline,
        jobs,
      };
    }
    case 'LeaseActivated':
      return { ...state, status: 'deploying', activatedAt: event.at, endsAt: event.endsAt };
    case 'JobDispatched':
      return { ...state, firstDispatchedAt: state.firstDispatchedAt ?? event.at, jobs: { ...state.jobs, [event.jobId]: { ...state.jobs[event.jobId]!, status: 'dispatched', dispatchedAt: event.at } } };
    case 'LeaseJobStatusChanged': {
      const job = state.jobs[event.jobId];
      if (!job) return state;
      const next: JobState = { ...job, status: event.status };
      if (event.status === 'started') next.startedAt = event.at;
      if (event.exitCode !== null) next.exitCode = event.exitCode;
      if (event.detail) next.detail = event.detail;
      return { ...state, jobs: { ...state.jobs, [event.jobId]: next } };
    }
    case 'LeaseJobsStarted':
      return { ...state, status: 'running', runningAt: event.at };
    case 'LeaseHourCompleted':
      return { ...state, hours: { ...state.hours, [`${event.deviceId}/${event.hourIndex}`]: event.outcome } };
    case 'LeaseExtended':
      return {
        ...state,
        totalHours: state.totalHours + event.additionalHours,
        endsAt: event.newEndsAt,
        amountPaid: state.amountPaid ? { ...state.amountPaid, amountBaseUnits: state.amountPaid.amountBaseUnits + event.additionalPrice.amountBaseUnits } : event.additionalPrice,
      };
    case 'LeaseDeviceReplaced': {
      const failed = currentSlots(state).find((s) => s.deviceId === event.failedDeviceId);
      const jobs = { ...state.jobs, [event.replacement.jobId]: { jobId: event.replacement.jobId, deviceId: event.replacement.deviceId, role: event.replacement.role, status: 'pending' as const } };
      if (failed) jobs[failed.jobId] = { ...jobs[failed.jobId]!, status: 'replaced' };
      // A running cluster deploys again until the replacement's job starts.
      return { ...state, status: state.status === 'running' ? 'deploying' : state.status, slots: [...state.slots, event.replacement], jobs };
    }
    case 'LeaseTerminated':
      return {
        ...state,
        status: event.reason === 'completed' ? 'completed' : event.reason === 'device_failure' ? 'failed' : 'terminated',
        endedAt: event.at,
        terminationReason: event.reason,
        hoursUsed: event.hoursUsed,
      };
    default:
      return state;
  }
}
