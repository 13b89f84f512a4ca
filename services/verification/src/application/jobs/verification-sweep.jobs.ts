import { QueueJob, type JobContext, type JobProcessor, type JobSchedule } from '@ionet/platform';
import { VERIFICATION_QUEUES } from '../../infrastructure/queues/queues';
import { VerificationSweeps } from '../verification-sweeps.service';
import { ChallengesService } from '../challenges.service';

type NoPayload = Record<string, never>;

/** Every platform minute: silence, overdue challenges, new challenges, qualification. */
@QueueJob(VERIFICATION_QUEUES.sweeps, 'device-sweep')
export class DeviceSweepJob implements JobProcessor<NoPayload> {
  constructor(
    private readonly sweeps: VerificationSweeps,
    private readonly challenges: ChallengesService,
  ) {}

  async process(_payload: NoPayload, context: JobContext): Promise<void> {
    await this.sweeps.detectSilence();
    await this.challenges.expireOverdue(200);
    await this.challenges.repostOutstanding(200);
    await this.sweeps.issueChallenges(`period-${context.period?.index ?? context.jobId}`);
    await this.sweeps.qualifyPending();
  }
}

/** Every five platform minutes: lease-hours due and epoch roots due. */
@QueueJob(VERIFICATION_QUEUES.sweeps, 'proof-sweep')
export class ProofSweepJob implements JobProcessor<NoPayload> {
  constructor(private readonly sweeps: VerificationSweeps) {}

  async process(): Promise<void> {
    await this.sweeps.decideLeaseHours();
    await this.sweeps.commitEpochRoots();
  }
}

/** Every platform hour: reputations. */
@QueueJob(VERIFICATION_QUEUES.sweeps, 'reputation-sweep')
export class ReputationSweepJob implements JobProcessor<NoPayload> {
  constructor(private readonly sweeps: VerificationSweeps) {}

  async process(): Promise<void> {
    await this.sweeps.updateReputations();
  }
}

export const VERIFICATION_JOBS = [DeviceSweepJob, ProofSweepJob, ReputationSweepJob];

export const VERIFICATION_SCHEDULES: JobSchedule<NoPayload>[] = [
  { job: DeviceSweepJob, schedulerId: 'verification-device-sweep', everyClockMs: 60_000, payload: {} },
  { job: ProofSweepJob, schedulerId: 'verification-proof-sweep', everyClockMs: 300_000, payload: {} },
  { job: ReputationSweepJob, schedulerId: 'verification-reputation-sweep', everyClockMs: 3_600_000, payload: {} },
];
