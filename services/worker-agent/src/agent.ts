import {
  AGENT_PATHS,
  chainHeartbeat,
  processDigest,
  type AgentKey,
  type ChallengeResultResponse,
  type DetectedGpu,
  type HeartbeatBatchResponse,
  type ProofOfWorkChallenge,
  type ProofOfWorkResult,
  type WorkItem,
  type WorkResponse,
} from '@ionet/agent-protocol';
import { AgentApiClient, PlatformError } from './platform/api-client';
import { PlatformClock } from './platform/platform-clock';
import { HeartbeatJournal } from './heartbeats/heartbeat-journal';
import { HeartbeatSender, type FlushOutcome } from './heartbeats/heartbeat-sender';
import { sampleGpus } from './heartbeats/gpu-sampler';
import { JobRunner } from './jobs/job-runner';
import type { JobRuntime } from './jobs/job-runtime';
import { solveInWorker, type UnsafeTestHooks } from './work/challenge-solver';
import type { Enrollment, StateDir } from './state/state-dir';
import type { Logger } from './log';

export interface AgentConfig {
  state: StateDir;
  key: AgentKey;
  enrollment: Enrollment;
  apiUrl: string;
  gpus: DetectedGpu[];
  simulated: boolean;
  heartbeatIntervalMs: number;
  workWaitMs: number;
  runtime: JobRuntime;
  hooks: UnsafeTestHooks;
  log: Logger;
}

const BACKOFF_MS_MIN = 1_000;
const BACKOFF_MS_MAX = 30_000;
const JOB_TICK_MS = 1_000;
const WORK_POLL_SLACK_MS = 10_000;
const SHUTDOWN_FLUSH_MS = 3_000;
const REPOLL_KNOWN_ITEMS_MS = 2_000;
const CHALLENGES_REMEMBERED_MAX = 1_000;

/** `ionet-agent run`: the heartbeat chain, the work long poll and the job supervisor, until stopped. */
export class Agent {
  private readonly clock: PlatformClock;
  private readonly api: AgentApiClient;
  private readonly journal: HeartbeatJournal;
  private readonly sender: HeartbeatSender;
  private readonly jobs: JobRunner;
  private readonly abort = new AbortController();
  private readonly challenges = new Map<string, { state: 'solving' | 'solved' | 'done'; result?: ProofOfWorkResult }>();
  private flushing: Promise<FlushOutcome> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private jobTimer: NodeJS.Timeout | undefined;
  private wasUnreachable = false;

  constructor(private readonly config: AgentConfig) {
    const { state, key } = config;
    this.clock = new PlatformClock(state.loadClock(), Date.now, (sync) => state.saveClock(sync));
    this.api = new AgentApiClient(config.apiUrl, key, this.clock);
    this.journal = HeartbeatJournal.open(state.journalDir);
    const journalDevice = this.journal.deviceId();
    if (journalDevice && journalDevice !== config.enrollment.deviceId) {
      config.log('the heartbeat journal belongs to another device id; starting a new chain', { journalDevice, deviceId: config.enrollment.deviceId });
      this.journal.reset();
    }
    this.sender = new HeartbeatSender(
      this.journal,
      { post: (body) => this.api.post<HeartbeatBatchResponse>(AGENT_PATHS.heartbeats, body, { timeoutMs: 20_000 }) },
      (previous, body) => chainHeartbeat(previous, body, key),
      async () => {
        const view = await this.api.get<{ chain?: { lastHeartbeatAt?: string } | null }>(AGENT_PATHS.verification, { timeoutMs: 10_000 });
        const at = view.chain?.lastHeartbeatAt;
        return at ? Date.parse(at) : undefined;
      },
    );
    this.jobs = new JobRunner({
      jobsDir: state.jobsDir,
      runtime: config.runtime,
      poster: {
        post: async (jobId, events) => {
          try {
            await this.api.post(AGENT_PATHS.jobEvents(jobId), { events }, { timeoutMs: 20_000 });
            return undefined;
          } catch (err) {
            if (err instanceof PlatformError && isFinalRefusal(err)) return { refused: `${err.status} ${err.code}: ${err.detail}` };
            throw err;
          }
        },
      },
      platformNowMs: () => this.clock.nowMs(),
      log: config.log,
    });
  }

  async start(): Promise<void> {
    const head = this.journal.head();
    this.config.log('agent running', {
      deviceId: this.config.enrollment.deviceId,
      address: this.config.key.address,
      api: this.config.apiUrl,
      gpus: this.config.gpus.length,
      simulated: this.config.simulated,
      runtime: this.config.runtime.kind,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      resumedChainAt: head ? head.sequence : null,
      pendingHeartbeats: this.journal.pendingCount(),
    });
    await this.jobs.load();
    await this.beat();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.config.heartbeatIntervalMs);
    this.jobTimer = setInterval(() => void this.jobs.tick().catch((err) => this.config.log('job supervision failed', { error: (err as Error).message })), JOB_TICK_MS);
    void this.pollWork();
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.jobTimer);
    this.abort.abort();
    await Promise.race([this.flushing, new Promise((r) => setTimeout(r, SHUTDOWN_FLUSH_MS))]);
    await Promise.race([this.jobs.flushEvents(), new Promise((r) => setTimeout(r, SHUTDOWN_FLUSH_MS))]);
    this.journal.close();
    this.config.log('agent stopped', { pendingHeartbeats: this.journal.pendingCount(), chainHead: this.journal.head()?.sequence ?? null });
  }

  /** One heartbeat: sampled, chained, written to the journal (fsync) and only then sent. */
  private async beat(): Promise<void> {
    try {
      const sample = await sampleGpus({ detected: this.config.gpus, simulated: this.config.simulated, own: this.jobs.ownWork() });
      const at = new Date(this.clock.stampMs(this.journal.lastStampMs())).toISOString();
      const head = this.journal.head();
      const heartbeat = chainHeartbeat(head && { sequence: head.sequence, hash: head.hash }, {
        deviceId: this.config.enrollment.deviceId,
        at,
        leaseId: this.jobs.activeLeaseId(),
        gpus: sample.gpus,
        processDigest: processDigest(sample.processLines),
        foreignProcessCount: sample.foreignProcessCount,
      }, this.config.key);
      this.journal.append(heartbeat);
    } catch (err) {
      this.config.log('heartbeat not written', { error: (err as Error).message });
    }
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = this.sender.flush();
    try {
      const outcome = await this.flushing;
      this.report(outcome);
    } catch (err) {
      this.config.log('sending heartbeats failed', { error: (err as Error).message });
    } finally {
      this.flushing = undefined;
    }
  }

  private report(outcome: FlushOutcome): void {
    const log = this.config.log;
    switch (outcome.kind) {
      case 'sent':
        if (this.wasUnreachable) log('platform reachable again; buffered heartbeats delivered', { lastSequence: outcome.lastSequence });
        this.wasUnreachable = false;
        log('heartbeats sent', { accepted: outcome.accepted, duplicates: outcome.duplicates, lastSequence: outcome.lastSequence, pending: outcome.pending });
        return;
      case 'nothing':
        return;
      case 'unreachable':
        this.wasUnreachable = true;
        log('platform unreachable; heartbeats kept on disk', { pending: outcome.pending, error: outcome.error });
        return;
      case 'rechained':
        log('chain broken at the platform; resent from its head', { expectedSequence: outcome.expectedSequence, how: outcome.resent, count: outcome.count, droppedAsOlderThanHead: outcome.dropped, pending: outcome.pending });
        return;
      case 'refused':
        log('heartbeats refused; kept on disk', { status: outcome.status, code: outcome.code, detail: outcome.detail, pending: outcome.pending });
        return;
    }
  }

  private async pollWork(): Promise<void> {
    let backoff = BACKOFF_MS_MIN;
    while (!this.abort.signal.aborted) {
      try {
        const answer = await this.api.get<WorkResponse>(`${AGENT_PATHS.work}?waitMs=${this.config.workWaitMs}`, { timeoutMs: this.config.workWaitMs + WORK_POLL_SLACK_MS, signal: this.abort.signal });
        backoff = BACKOFF_MS_MIN;
        let fresh = 0;
        for (const item of answer.items ?? []) if (this.handle(item)) fresh++;
        // Items are re-delivered until acknowledged (a result, an accepted or a stopped event): an
        // answer of items already in hand is not a reason to ask again at once.
        if ((answer.items ?? []).length > 0 && fresh === 0) await new Promise((r) => setTimeout(r, REPOLL_KNOWN_ITEMS_MS));
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const e = err as Error;
        this.config.log('work poll failed; retrying', { error: e.message, retryInMs: backoff });
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(BACKOFF_MS_MAX, backoff * 2);
      }
    }
  }

  /** Starts what an item asks; false when it is one already in hand (a re-delivery). */
  private handle(item: WorkItem): boolean {
    switch (item.kind) {
      case 'challenge': {
        const known = this.challenges.get(item.challenge.challengeId);
        if (known && known.state !== 'solved') return false;
        void this.prove(item.challenge);
        return known === undefined;
      }
      case 'job':
        if (this.jobs.has(item.job.jobId)) {
          void this.jobs.flushEvents();
          return false;
        }
        void this.jobs.accept(item.job).then(() => this.jobs.flushEvents()).catch((err) => this.config.log('job failed', { jobId: item.job.jobId, error: (err as Error).message }));
        return true;
      case 'stop': {
        const record = this.jobs.get(item.jobId);
        if (record && (record.phase === 'stopping' || record.phase === 'stopped')) {
          void this.jobs.flushEvents();
          return false;
        }
        void this.jobs.stop(item.jobId, item.reason).then(() => this.jobs.flushEvents()).catch((err) => this.config.log('stopping a job failed', { jobId: item.jobId, error: (err as Error).message }));
        return true;
      }
      default:
        this.config.log('work item of an unknown kind ignored', { kind: (item as { kind?: unknown }).kind });
        return false;
    }
  }

  /** Solves a challenge once (a re-delivered one re-sends the answer if it was not delivered). */
  private async prove(challenge: ProofOfWorkChallenge): Promise<void> {
    const known = this.challenges.get(challenge.challengeId);
    if (known && known.state !== 'solved') return;
    let result = known?.result;
    if (!result) {
      if (this.challenges.size >= CHALLENGES_REMEMBERED_MAX) this.challenges.delete(this.challenges.keys().next().value as string);
      this.challenges.set(challenge.challengeId, { state: 'solving' });
      this.config.log('proof of work: solving', { challengeId: challenge.challengeId, memoryMib: challenge.memoryMib, difficultyBits: challenge.difficultyBits });
      try {
        result = await solveInWorker(challenge, this.config.hooks);
      } catch (err) {
        this.challenges.delete(challenge.challengeId);
        this.config.log('proof of work: solving failed', { challengeId: challenge.challengeId, error: (err as Error).message });
        return;
      }
      this.challenges.set(challenge.challengeId, { state: 'solved', result });
    } else {
      this.challenges.set(challenge.challengeId, { state: 'solving', result });
    }
    try {
      const verdict = await this.api.post<ChallengeResultResponse>(AGENT_PATHS.challengeResult(challenge.challengeId), { nonce: result.nonce, memoryDigest: result.memoryDigest, solveMs: result.solveMs });
      this.challenges.set(challenge.challengeId, { state: 'done', result });
      this.config.log(`proof of work: ${verdict.verdict}`, { challengeId: challenge.challengeId, solveMs: result.solveMs, reason: verdict.reason });
    } catch (err) {
      if (err instanceof PlatformError && isFinalRefusal(err)) {
        this.challenges.set(challenge.challengeId, { state: 'done', result });
        this.config.log('proof of work: result refused', { challengeId: challenge.challengeId, status: err.status, code: err.code, detail: err.detail });
        return;
      }
      // Kept: the challenge is delivered again until answered, and the answer is re-sent then.
      this.challenges.set(challenge.challengeId, { state: 'solved', result });
      this.config.log('proof of work: result not delivered yet', { challengeId: challenge.challengeId, error: (err as Error).message });
    }
  }
}

/** A 4xx the platform will answer again to the same request (not a rate limit or a timeout). */
function isFinalRefusal(err: PlatformError): boolean {
  return !err.unreachable && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}
