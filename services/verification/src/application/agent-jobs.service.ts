import { Inject, Injectable } from '@nestjs/common';
import { CommandHandlers, causedByRequest, derivedId } from '@ionet/eventing';
import { AgentWorkMailbox, CLOCK, PG_POOL, type Clock } from '@ionet/platform';
import type { JobEvent } from '@ionet/agent-protocol';
import type { Pool } from 'pg';
import { jobEventsInvalid, jobEventsProblem } from '../domain/agent-job/agent-job.decider';
import { VerificationError } from '../domain/shared/verification.errors';
import type { KnownDevice } from './device-directory';
import { agentJobAggregate } from './verification-aggregates';

/** Job events from agents -> AgentJobReported (leasing consumes them), each (job, sequence) once. */
@Injectable()
export class AgentJobsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly handlers: CommandHandlers,
    private readonly mailbox: AgentWorkMailbox,
  ) {}

  async report(device: KnownDevice, jobId: string, body: unknown, requestId: string): Promise<{ accepted: number; duplicates: number }> {
    if (typeof jobId !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(jobId)) throw new VerificationError('VERIFICATION.JOB_NOT_FOUND', `no job ${jobId} for this device`);
    const events = (body as { events?: unknown } | null)?.events;
    const problem = body && typeof body === 'object' && Object.keys(body).length === 1 ? jobEventsProblem(events) : 'the body is {events: [...]}';
    if (problem) throw jobEventsInvalid(problem);
    const leaseId = await this.leaseOf(device, jobId);
    const now = this.clock.now();
    const list = events as JobEvent[];
    const result = await this.handlers.for(agentJobAggregate).handle(
      derivedId('agent-job', jobId),
      { type: 'ReportJobEvents', jobId, leaseId, deviceId: device.deviceId, events: list, at: now },
      causedByRequest(requestId),
    );
    const appended = result.duplicate ? 0 : result.events.length;
    // The mailbox item is done once the agent took it (or could not start it), and a stop once stopped.
    if (list.some((e) => e.kind === 'accepted' || e.kind === 'failed_to_start')) await this.mailbox.acknowledge(device.deviceId, `job:${jobId}`);
    if (list.some((e) => e.kind === 'stopped')) await this.mailbox.acknowledge(device.deviceId, `stop:${jobId}`);
    return { accepted: appended, duplicates: list.length - appended };
  }

  /** The lease of a job handed to this device: remembered at its first report, from the job item
   *  in the device's mailbox (leasing posted it there). */
  private async leaseOf(device: KnownDevice, jobId: string): Promise<string> {
    const known = (await this.pool.query<{ device_id: string; lease_id: string }>(`select device_id, lease_id from agent_jobs where job_id = $1`, [jobId])).rows[0];
    if (known) {
      if (known.device_id !== device.deviceId) throw new VerificationError('VERIFICATION.JOB_NOT_FOUND', `no job ${jobId} for this device`);
      return known.lease_id;
    }
    const item = await this.mailbox.item(device.deviceId, `job:${jobId}`);
    if (item?.kind !== 'job') throw new VerificationError('VERIFICATION.JOB_NOT_FOUND', `no job ${jobId} was handed to this device`);
    await this.pool.query(`insert into agent_jobs (job_id, device_id, lease_id, first_reported_at) values ($1, $2, $3, $4) on conflict (job_id) do nothing`, [
      jobId,
      device.deviceId,
      item.job.leaseId,
      this.clock.now(),
    ]);
    return item.job.leaseId;
  }
}
