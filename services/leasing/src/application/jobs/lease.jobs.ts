import { Inject, Injectable } from '@nestjs/common';
import { CommandHandlers, derivedId, type CommandCause } from '@ionet/eventing';
import { AgentWorkMailbox, CLOCK, CONFIG, JobQueues, QueueJob, type Clock, type JobContext, type JobProcessor } from '@ionet/platform';
import type { JobAssignment, WorkItem } from '@ionet/agent-protocol';
import { currentSlots, isActive, isEnded, type LeaseState } from '../../domain/lease.decider';
import { LEASING_QUEUES } from '../../infrastructure/queues/queues';
import type { LeasingConfig } from '../../leasing.config';
import { leaseAggregate } from '../leasing-aggregates';

export interface DeviceJobPayload {
  leaseId: string;
  deviceId: string;
}
export interface AckCheckPayload extends DeviceJobPayload {
  attempt: number;
}
export interface StopPayload extends DeviceJobPayload {
  jobId: string;
}
export interface LeasePayload {
  leaseId: string;
}
export interface CompletionPayload extends LeasePayload {
  endsAtMs: number;
}

/** A job's commands carry the job's effect id as their cause: a re-run appends nothing twice. They
 *  run in their own transaction, not the effect's: the 8 dispatch jobs of a cluster write one
 *  stream at once, and only a fresh transaction can reload the head another one just wrote (the
 *  kit's conflict retries). */
const causeOf = (context: JobContext, step: string): CommandCause => {
  const id = derivedId('leasing-job', context.effectId, step);
  return { correlationId: id, causationId: id, deterministic: true };
};

/** A lease not yet visible as funded: the job ran before the funding transaction committed. */
export class LeaseNotReadyError extends Error {
  override readonly name = 'LeaseNotReadyError';
}

/** The job a device runs, as the work item its agent long-polls (ADR 0400). */
export function jobItemOf(state: LeaseState, deviceId: string, headHost: (headDeviceId: string) => string): WorkItem | undefined {
  const slots = currentSlots(state);
  const slot = slots.find((s) => s.deviceId === deviceId);
  if (!slot || !state.workload || !state.endsAt) return undefined;
  const head = slots.find((s) => s.role === 'head');
  const job: JobAssignment = {
    jobId: slot.jobId,
    leaseId: state.leaseId,
    role: slot.role,
    image: state.workload.image,
    command: state.workload.command,
    env: state.workload.env,
    ports: state.workload.ports,
    endsAt: state.endsAt.toISOString(),
    ...(slot.role === 'worker' && head ? { headAddress: headHost(head.deviceId) } : {}),
  };
  return { kind: 'job', job };
}

/** A `stop` item for every live job of a lease (it ended); none for a lease never funded (no job
 *  was ever handed out). */
async function stopAll(jobs: JobQueues, state: LeaseState): Promise<void> {
  if (!state.activatedAt) return;
  await Promise.all(currentSlots(state).map((s) => jobs.add(StopJob, { leaseId: state.leaseId, deviceId: s.deviceId, jobId: s.jobId }, [s.jobId])));
}

/** The fast path of a funded lease: every job item posted to its device's mailbox as soon as the
 *  activation committed, before the dispatch jobs run (they post the same ids, record
 *  JobDispatched and check the acks: the durable path). Never posts an acknowledged item again. */
export async function postJobItems(mailbox: AgentWorkMailbox, config: LeasingConfig, state: LeaseState, nowMs: number): Promise<void> {
  await Promise.all(
    currentSlots(state).map(async (s) => {
      const item = jobItemOf(state, s.deviceId, (head) => headAddress(config, head));
      if (item) await mailbox.post(s.deviceId, item, nowMs, { unlessAcknowledged: true });
    }),
  );
}

/** Enqueues leasing's side effects, each under a deterministic id. */
@Injectable()
export class LeaseScheduler {
  constructor(
    private readonly jobs: JobQueues,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async dispatchAll(state: LeaseState): Promise<void> {
    await Promise.all(currentSlots(state).map((s) => this.dispatch(state.leaseId, s.deviceId)));
  }

  async dispatch(leaseId: string, deviceId: string): Promise<void> {
    await this.jobs.add(DispatchJob, { leaseId, deviceId }, [leaseId, deviceId]);
  }

  async scheduleCompletion(state: LeaseState): Promise<void> {
    if (!state.endsAt || isEnded(state)) return;
    const delay = Math.max(1, state.endsAt.getTime() - this.clock.now().getTime());
    await this.jobs.add(LeaseCompletionJob, { leaseId: state.leaseId, endsAtMs: state.endsAt.getTime() }, [state.leaseId, state.endsAt.getTime()], { delayClockMs: delay });
  }

  async schedulePaymentWindow(state: LeaseState): Promise<void> {
    if (!state.paymentDeadline) return;
    const delay = Math.max(1, state.paymentDeadline.getTime() - this.clock.now().getTime());
    await this.jobs.add(PaymentWindowJob, { leaseId: state.leaseId }, [state.leaseId], { delayClockMs: delay });
  }

  /** A `stop` item for a device's job (the lease ended, or the device was replaced). */
  async stop(leaseId: string, deviceId: string, jobId: string): Promise<void> {
    await this.jobs.add(StopJob, { leaseId, deviceId, jobId }, [jobId]);
  }

  stopAll(state: LeaseState): Promise<void> {
    return stopAll(this.jobs, state);
  }
}

/**
 * One per (lease, device): posts the job item to the device's mailbox (its id is the job id, so a
 * re-post is the same item) and records JobDispatched once; an ack check follows. Runs once per
 * effect id (job_effects); before the funding commit is visible it retries.
 */
@QueueJob(LEASING_QUEUES.dispatch, 'dispatch-job')
export class DispatchJob implements JobProcessor<DeviceJobPayload> {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly mailbox: AgentWorkMailbox,
    private readonly jobs: JobQueues,
    @Inject(CONFIG) private readonly config: LeasingConfig,
  ) {}

  async process(payload: DeviceJobPayload, context: JobContext): Promise<void> {
    const state = (await this.handlers.for(leaseAggregate).load(payload.leaseId)).state;
    if (isEnded(state)) return;
    if (!isActive(state)) throw new LeaseNotReadyError(`lease ${payload.leaseId} is ${state.status}`);
    // A device the lease does not name yet: the replacement's commit is not visible yet.
    if (!state.slots.some((s) => s.deviceId === payload.deviceId)) throw new LeaseNotReadyError(`lease ${payload.leaseId} names no device ${payload.deviceId} yet`);
    const item = jobItemOf(state, payload.deviceId, (head) => headAddress(this.config, head));
    if (!item || item.kind !== 'job') return; // replaced meanwhile: its replacement has its own job
    const status = state.jobs[item.job.jobId]?.status;
    // Past dispatched (the agent took it) nothing is handed again; dispatched by an earlier
    // attempt that stopped before its post, it is posted (the same item id).
    if (status !== 'pending' && status !== 'dispatched') return;
    // Posted first (the agent's long poll wakes at once), then recorded; the record retries its
    // stream conflicts itself, and a run that still fails re-posts the same item id.
    await this.mailbox.post(payload.deviceId, item, context.clock.now().getTime(), { unlessAcknowledged: true });
    await this.handlers.for(leaseAggregate).handle(payload.leaseId, { type: 'RecordDispatch', jobId: item.job.jobId, at: context.clock.now() }, causeOf(context, 'dispatched'));
    await this.jobs.add(AckCheckJob, { ...payload, attempt: 1 }, [payload.leaseId, payload.deviceId, 1], { delayClockMs: ackDelayClockMs(this.config) });
  }
}

/**
 * After the ack timeout: the agent's `accepted` arrived (done), or the item is posted again (the
 * same id: an agent that took it meanwhile de-duplicates) and checked again; after the last
 * attempt the job shows as unacknowledged, and the item stays for the agent's return.
 */
@QueueJob(LEASING_QUEUES.dispatch, 'ack-check')
export class AckCheckJob implements JobProcessor<AckCheckPayload> {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly mailbox: AgentWorkMailbox,
    private readonly jobs: JobQueues,
    @Inject(CONFIG) private readonly config: LeasingConfig,
  ) {}

  async process(payload: AckCheckPayload, context: JobContext): Promise<void> {
    const state = (await this.handlers.for(leaseAggregate).load(payload.leaseId)).state;
    if (!isActive(state)) return;
    const item = jobItemOf(state, payload.deviceId, (head) => headAddress(this.config, head));
    if (!item || item.kind !== 'job') return;
    const status = state.jobs[item.job.jobId]?.status;
    if (status !== 'dispatched' && status !== 'unacknowledged') return;
    if (payload.attempt >= this.config.LEASING_DISPATCH_ATTEMPTS) {
      await this.handlers.for(leaseAggregate).handle(payload.leaseId, { type: 'MarkJobUnacknowledged', jobId: item.job.jobId, attempts: payload.attempt, at: context.clock.now() }, causeOf(context, 'unacknowledged'));
      return;
    }
    // Still in the mailbox: every poll re-delivers it. Acknowledged there (the agent took it; its
    // `accepted` is on its way to leasing): done, never handed again.
    const posted = await this.mailbox.post(payload.deviceId, item, context.clock.now().getTime(), { unlessAcknowledged: true });
    if (posted.acknowledged) return;
    const next = payload.attempt + 1;
    await this.jobs.add(AckCheckJob, { ...payload, attempt: next }, [payload.leaseId, payload.deviceId, next], { delayClockMs: ackDelayClockMs(this.config) * next });
  }
}

/** A `stop` item to a device's agent. */
@QueueJob(LEASING_QUEUES.dispatch, 'stop-job')
export class StopJob implements JobProcessor<StopPayload> {
  constructor(private readonly mailbox: AgentWorkMailbox) {}

  async process(payload: StopPayload, context: JobContext): Promise<void> {
    // The job item, if the agent never took it, goes: a stopped lease hands out nothing more.
    await this.mailbox.acknowledge(payload.deviceId, `job:${payload.jobId}`);
    await this.mailbox.post(payload.deviceId, { kind: 'stop', jobId: payload.jobId, reason: `lease ${payload.leaseId} ended` }, context.clock.now().getTime());
  }
}

/** At the quote's payment deadline: a lease still unpaid ends (FUNDING_FAILED). */
@QueueJob(LEASING_QUEUES.lifecycle, 'payment-window')
export class PaymentWindowJob implements JobProcessor<LeasePayload> {
  constructor(private readonly handlers: CommandHandlers) {}

  async process(payload: LeasePayload, context: JobContext): Promise<void> {
    const state = (await this.handlers.for(leaseAggregate).load(payload.leaseId)).state;
    if (state.status !== 'awaiting_payment') return;
    // A job that fires early (clock skew between replicas) retries rather than pass the deadline by.
    if (state.paymentDeadline && context.clock.now().getTime() < state.paymentDeadline.getTime()) throw new LeaseNotReadyError(`lease ${payload.leaseId}'s payment window is still open`);
    await this.handlers.for(leaseAggregate).handle(payload.leaseId, { type: 'ExpirePaymentWindow', at: context.clock.now() }, causeOf(context, 'expired'));
  }
}

/** At the lease's end (rescheduled by each extension): completed, and every agent told to stop. */
@QueueJob(LEASING_QUEUES.lifecycle, 'lease-completion')
export class LeaseCompletionJob implements JobProcessor<CompletionPayload> {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly jobs: JobQueues,
  ) {}

  async process(payload: CompletionPayload, context: JobContext): Promise<void> {
    const state = (await this.handlers.for(leaseAggregate).load(payload.leaseId)).state;
    if (!isActive(state) || !state.endsAt) return;
    // Extended meanwhile: the job of the new end completes it.
    if (state.endsAt.getTime() !== payload.endsAtMs) return;
    if (context.clock.now().getTime() < payload.endsAtMs) throw new LeaseNotReadyError(`lease ${payload.leaseId} ends at ${state.endsAt.toISOString()}`);
    const result = await this.handlers.for(leaseAggregate).handle(payload.leaseId, { type: 'CompleteLease', at: context.clock.now() }, causeOf(context, 'completed'));
    await stopAll(this.jobs, result.state);
  }
}

export function headAddress(config: LeasingConfig, headDeviceId: string): string {
  return `${headDeviceId}${config.LEASING_HEAD_HOST_SUFFIX}:${config.LEASING_RAY_HEAD_PORT}`;
}

/** The ack timeout is wall time; BullMQ's delay is given on the service's clock. */
function ackDelayClockMs(config: LeasingConfig): number {
  return config.LEASING_DISPATCH_ACK_TIMEOUT_MS * config.CLOCK_RATE;
}

export const LEASING_JOBS = [DispatchJob, AckCheckJob, StopJob, PaymentWindowJob, LeaseCompletionJob];
