import { Inject, Injectable } from '@nestjs/common';
import { causedByEvent, CommandHandlers, derivedId } from '@ionet/eventing';
import { CLOCK, JobQueues, QueueJob, type Clock, type JobContext, type JobProcessor, type JobSchedule } from '@ionet/platform';
import { TOKENOMICS_QUEUES } from '../../infrastructure/queues/queues';
import { EpochCloser } from '../epoch-closer';
import { applyToBook } from '../staking.service';

/** Slashes whose window one sweep closes at most; the rest on the next. */
const SLASH_WINDOWS_PER_SWEEP_MAX = 100;

/** Close jobs one sweep queues at most; the rest on the next sweep. */
const EPOCHS_QUEUED_PER_SWEEP_MAX = 500;

/** Closes one epoch (and any before it still open): its id derives from the epoch number, so a
 *  sweep that queues it again while it waits or runs adds nothing. */
@QueueJob(TOKENOMICS_QUEUES.epochs, 'close-epoch')
export class CloseEpochJob implements JobProcessor<{ epoch?: number }> {
  constructor(private readonly closer: EpochCloser) {}

  async process(payload: { epoch?: number }, context: JobContext): Promise<void> {
    if (payload.epoch === undefined) return;
    await this.closer.closeThrough(context.tx, payload.epoch);
  }
}

/** Every sweep period: queues a close job for each epoch that is due and not closed, oldest first
 *  (after an outage, every missed hour). */
@QueueJob(TOKENOMICS_QUEUES.epochs, 'epoch-sweep')
@Injectable()
export class EpochSweepJob implements JobProcessor<{ epoch?: number }> {
  constructor(
    private readonly closer: EpochCloser,
    private readonly jobs: JobQueues,
  ) {}

  async process(): Promise<void> {
    for (const epoch of await this.closer.dueEpochs(EPOCHS_QUEUED_PER_SWEEP_MAX)) await this.jobs.add(CloseEpochJob, { epoch }, ['epoch', epoch]);
  }
}

/** Every sweep period: an unappealed slash whose month-long window has ended is due to be burned
 *  (SlashAppealWindowClosed, caused by the window itself: once per slash). */
@QueueJob(TOKENOMICS_QUEUES.epochs, 'slash-window-sweep')
@Injectable()
export class SlashWindowSweepJob implements JobProcessor<{ epoch?: number }> {
  constructor(
    private readonly handlers: CommandHandlers,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async process(_payload: { epoch?: number }, context: JobContext): Promise<void> {
    const now = this.clock.now();
    const { rows } = await context.tx.query<{ slash_id: string; device_id: string; owner_tenant_id: string }>(
      `select slash_id, device_id, owner_tenant_id from slashes where status = 'open' and appeal_deadline_at <= $1 order by appeal_deadline_at limit $2`,
      [now, SLASH_WINDOWS_PER_SWEEP_MAX],
    );
    for (const slash of rows) {
      const cause = derivedId('slash-window', slash.slash_id);
      await applyToBook(this.handlers, context.tx, { type: 'BurnSlash', slashId: slash.slash_id, atMs: now.getTime() }, causedByEvent({ eventId: cause, correlationId: slash.slash_id }), {
        deviceIds: [slash.device_id],
        ownerTenants: { [slash.device_id]: slash.owner_tenant_id },
        now,
      });
    }
  }
}

export const TOKENOMICS_JOBS = [CloseEpochJob, EpochSweepJob, SlashWindowSweepJob];

export function tokenomicsSchedules(sweepEveryClockMs: number): JobSchedule<{ epoch?: number }>[] {
  return [
    { job: EpochSweepJob, schedulerId: 'tokenomics-epoch-sweep', everyClockMs: sweepEveryClockMs, payload: {} },
    { job: SlashWindowSweepJob, schedulerId: 'tokenomics-slash-window-sweep', everyClockMs: sweepEveryClockMs, payload: {} },
  ];
}
