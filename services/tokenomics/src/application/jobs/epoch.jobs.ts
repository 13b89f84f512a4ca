import { Injectable } from '@nestjs/common';
import { JobQueues, QueueJob, type JobContext, type JobProcessor, type JobSchedule } from '@ionet/platform';
import { TOKENOMICS_QUEUES } from '../../infrastructure/queues/queues';
import { EpochCloser } from '../epoch-closer';

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

export const TOKENOMICS_JOBS = [CloseEpochJob, EpochSweepJob];

export function tokenomicsSchedules(sweepEveryClockMs: number): JobSchedule<{ epoch?: number }>[] {
  return [{ job: EpochSweepJob, schedulerId: 'tokenomics-epoch-sweep', everyClockMs: sweepEveryClockMs, payload: {} }];
}
