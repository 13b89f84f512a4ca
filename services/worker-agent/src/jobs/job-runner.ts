import { JOB_LOG_CHUNK_BYTES_MAX, type JobAssignment, type JobEvent, type JobEventKind } from '@ionet/agent-protocol';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../state/files';
import { isActive, jobDirName, type JobRecord } from './job-record';
import type { JobPaths, JobRuntime } from './job-runtime';
import type { OwnWork } from '../heartbeats/gpu-sampler';

/** Delivers a job's events: resolves when the platform took them, or with the reason it refused
 *  them for good (a job it does not know); throws when it could not be asked (tried again later). */
export interface JobEventPoster {
  post(jobId: string, events: JobEvent[]): Promise<void | { refused: string }>;
}

export interface JobRunnerOptions {
  jobsDir: string;
  runtime: JobRuntime;
  poster: JobEventPoster;
  /** Platform time now (ms), for event times and the lease's end. */
  platformNowMs: () => number;
  log: (message: string, fields?: Record<string, unknown>) => void;
  stopGraceMs?: number;
}

const LOG_CHUNKS_PER_TICK_MAX = 16;
const EVENTS_PER_POST_MAX = 100;
const STOP_GRACE_MS_DEFAULT = 10_000;

/**
 * Runs the platform's jobs and reports them: accepted, started, running, log chunks (at most 64 KiB
 * each), exited with its code, stopped (on a stop item or when the lease ends), failed_to_start.
 * Every change is written to jobs/<id>/job.json before it is reported, events carry sequence numbers
 * that never repeat, and unacknowledged events are re-sent (the platform de-duplicates by sequence).
 */
export class JobRunner {
  private readonly records = new Map<string, JobRecord>();
  private readonly stopping = new Set<string>();
  private readonly busy = new Set<'ticking' | 'flushing'>();
  private readonly launching = new Map<string, Promise<void>>();

  constructor(private readonly options: JobRunnerOptions) {
    mkdirSync(options.jobsDir, { recursive: true, mode: 0o700 });
  }

  /** Loads the jobs of an earlier run: active ones are re-attached, unsent events re-sent. */
  async load(): Promise<void> {
    for (const name of readdirSync(this.options.jobsDir)) {
      const record = readJsonFile<JobRecord>(join(this.options.jobsDir, name, 'job.json'));
      if (!record) continue;
      this.records.set(record.job.jobId, record);
      if (record.phase === 'starting') {
        // The agent died between accepting and starting it: start it now.
        await this.launch(record);
      } else if (isActive(record)) {
        this.options.log('re-attaching to a job', { jobId: record.job.jobId, phase: record.phase });
        await this.options.runtime.reattach(record, this.paths(record.job.jobId));
        // A stop that the crash interrupted is finished now.
        if (record.phase === 'stopping') {
          record.phase = 'running';
          void this.stop(record.job.jobId, record.stopReason ?? 'stopped before the agent restarted');
        }
      }
    }
  }

  has(jobId: string): boolean {
    return this.records.has(jobId);
  }

  get(jobId: string): JobRecord | undefined {
    return this.records.get(jobId);
  }

  all(): JobRecord[] {
    return [...this.records.values()];
  }

  /** The lease the machine works for now (heartbeats carry it), if any job of one runs. */
  activeLeaseId(): string | null {
    for (const r of this.records.values()) if (isActive(r)) return r.job.leaseId;
    return null;
  }

  ownWork(): OwnWork {
    const active = [...this.records.values()].filter(isActive);
    return {
      pids: active.flatMap((r) => (r.pid === undefined ? [] : [r.pid])),
      containers: active.flatMap((r) => (r.containerId ? [{ id: r.containerId, image: r.job.image }] : [])),
    };
  }

  /** A job item from the platform: started once; a re-delivered item changes nothing. */
  async accept(job: JobAssignment): Promise<void> {
    if (this.records.has(job.jobId)) return;
    const record: JobRecord = { job, runtime: this.options.runtime.kind, phase: 'starting', runningReported: false, logOffsets: { stdout: 0, stderr: 0 }, nextSequence: 0, unsent: [] };
    this.records.set(job.jobId, record);
    mkdirSync(this.paths(job.jobId).dir, { recursive: true, mode: 0o700 });
    this.event(record, 'accepted');
    this.save(record);
    this.options.log('job accepted', { jobId: job.jobId, leaseId: job.leaseId, role: job.role, runtime: record.runtime });
    if (this.options.platformNowMs() >= Date.parse(job.endsAt)) {
      record.phase = 'stopped';
      record.stopReason = 'the lease had ended before the job started';
      this.event(record, 'stopped', { text: record.stopReason });
      this.save(record);
      return;
    }
    await this.launch(record);
  }

  private async launch(record: JobRecord): Promise<void> {
    const launching = this.startJob(record);
    this.launching.set(record.job.jobId, launching);
    try {
      await launching;
    } finally {
      this.launching.delete(record.job.jobId);
    }
  }

  private async startJob(record: JobRecord): Promise<void> {
    const job = record.job;
    const started = await this.options.runtime.start(record, this.paths(job.jobId));
    if (!started.ok) {
      record.phase = 'failed_to_start';
      this.event(record, 'failed_to_start', { text: started.reason });
      this.options.log('job failed to start', { jobId: job.jobId, reason: started.reason });
    } else {
      record.phase = 'running';
      record.pid = started.pid;
      record.containerName = started.containerName;
      record.containerId = started.containerId;
      this.event(record, 'started');
      this.options.log('job started', { jobId: job.jobId, pid: started.pid, container: started.containerName });
    }
    this.save(record);
  }

  /** A stop item (or the lease's end). A job this agent never had is reported stopped too, so the
   *  platform's item is acknowledged and not delivered forever. */
  async stop(jobId: string, reason: string): Promise<void> {
    let record = this.records.get(jobId);
    if (!record) {
      record = { job: { jobId, leaseId: '', role: 'node', image: '', command: [], env: {}, ports: [], endsAt: new Date(0).toISOString() }, runtime: this.options.runtime.kind, phase: 'stopped', stopReason: reason, runningReported: false, logOffsets: { stdout: 0, stderr: 0 }, nextSequence: 0, unsent: [] };
      this.records.set(jobId, record);
      mkdirSync(this.paths(jobId).dir, { recursive: true, mode: 0o700 });
      this.event(record, 'stopped', { text: `${reason} (this agent had no such job)` });
      this.save(record);
      return;
    }
    if (!isActive(record)) {
      if (record.phase !== 'stopped') {
        // It ended before the stop arrived: say so, once, so the stop is acknowledged.
        this.event(record, 'stopped', { text: `${reason} (the job had already ended: ${record.phase})`, exitCode: record.exitCode ?? undefined });
        record.stopReason = reason;
        record.phase = 'stopped';
        this.save(record);
      }
      return;
    }
    if (this.stopping.has(jobId)) return;
    this.stopping.add(jobId);
    // A stop that arrives while the job is being started waits for the start, then stops it.
    await this.launching.get(jobId);
    if (!isActive(record)) {
      this.stopping.delete(jobId);
      return this.stop(jobId, reason);
    }
    record.phase = 'stopping';
    record.stopReason = reason;
    this.save(record);
    this.options.log('stopping job', { jobId, reason });
    try {
      await this.options.runtime.stop(record, this.options.stopGraceMs ?? STOP_GRACE_MS_DEFAULT);
      await this.supervise(record);
    } finally {
      this.stopping.delete(jobId);
    }
  }

  /** One supervision pass: output to log events, liveness, the lease's end; then events sent. */
  async tick(): Promise<void> {
    // One pass at a time: a slow platform must not make two passes report one exit twice.
    await this.alone('ticking', () => this.supervisePass());
  }

  private async supervisePass(): Promise<void> {
    for (const record of this.records.values()) {
      if (!isActive(record) || record.phase === 'starting') continue;
      if (record.phase === 'running' && this.options.platformNowMs() >= Date.parse(record.job.endsAt) && !this.stopping.has(record.job.jobId)) {
        void this.stop(record.job.jobId, 'the lease ended');
        continue;
      }
      if (!this.stopping.has(record.job.jobId)) await this.supervise(record);
    }
    await this.flushEvents();
  }

  async flushEvents(): Promise<void> {
    await this.alone('flushing', () => this.sendUnsent());
  }

  /** Runs `work` unless the same kind of work is under way (then it is skipped, not queued). */
  private async alone(kind: 'ticking' | 'flushing', work: () => Promise<void>): Promise<void> {
    if (this.busy.has(kind)) return;
    this.busy.add(kind);
    try {
      await work();
    } finally {
      this.busy.delete(kind);
    }
  }

  private async sendUnsent(): Promise<void> {
    for (const record of this.records.values()) {
      while (record.unsent.length > 0) {
        const batch = record.unsent.slice(0, EVENTS_PER_POST_MAX);
        try {
          const answer = await this.options.poster.post(record.job.jobId, batch);
          if (answer && 'refused' in answer) this.options.log('job events refused by the platform; dropped', { jobId: record.job.jobId, sequences: batch.map((e) => e.sequence), reason: answer.refused });
        } catch (err) {
          this.options.log('job events not delivered yet; kept for the next try', { jobId: record.job.jobId, error: (err as Error).message });
          return;
        }
        const sent = new Set(batch.map((e) => e.sequence));
        record.unsent = record.unsent.filter((e) => !sent.has(e.sequence));
        this.save(record);
      }
    }
  }

  private async supervise(record: JobRecord): Promise<void> {
    const paths = this.paths(record.job.jobId);
    this.readLogs(record, paths);
    const status = await this.options.runtime.status(record, paths);
    if (status.state === 'running') {
      if (!record.runningReported && record.phase === 'running') {
        record.runningReported = true;
        this.event(record, 'running');
      }
      this.save(record);
      return;
    }
    this.readLogs(record, paths);
    record.exitCode = status.exitCode;
    if (record.phase === 'stopping') {
      record.phase = 'stopped';
      this.event(record, 'stopped', { text: record.stopReason, exitCode: status.exitCode ?? undefined });
    } else {
      record.phase = 'exited';
      this.event(record, 'exited', { exitCode: status.exitCode ?? undefined, text: status.detail });
    }
    this.options.log(`job ${record.phase}`, { jobId: record.job.jobId, exitCode: status.exitCode, detail: status.detail });
    this.save(record);
  }

  private readLogs(record: JobRecord, paths: JobPaths): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const file = paths[stream];
      if (!existsSync(file)) continue;
      const fd = openSync(file, 'r');
      try {
        const size = fstatSync(fd).size;
        for (let i = 0; i < LOG_CHUNKS_PER_TICK_MAX && record.logOffsets[stream] < size; i++) {
          const buffer = Buffer.alloc(Math.min(JOB_LOG_CHUNK_BYTES_MAX, size - record.logOffsets[stream]));
          const read = readSync(fd, buffer, 0, buffer.length, record.logOffsets[stream]);
          if (read === 0) break;
          const length = utf8Boundary(buffer, read);
          record.logOffsets[stream] += length;
          this.event(record, 'log', { stream, text: buffer.subarray(0, length).toString('utf8') });
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  private event(record: JobRecord, kind: JobEventKind, extra: Partial<Pick<JobEvent, 'exitCode' | 'text' | 'stream'>> = {}): void {
    const event: JobEvent = { sequence: record.nextSequence, kind, at: new Date(this.options.platformNowMs()).toISOString() };
    if (extra.exitCode !== undefined) event.exitCode = extra.exitCode;
    if (extra.text !== undefined) event.text = extra.text;
    if (extra.stream !== undefined) event.stream = extra.stream;
    record.nextSequence += 1;
    record.unsent.push(event);
  }

  private save(record: JobRecord): void {
    writeFileAtomic(join(this.paths(record.job.jobId).dir, 'job.json'), JSON.stringify(record));
  }

  private paths(jobId: string): JobPaths {
    const dir = join(this.options.jobsDir, jobDirName(jobId));
    return { dir, stdout: join(dir, 'stdout.log'), stderr: join(dir, 'stderr.log'), exitFile: join(dir, 'exit.json') };
  }
}

/** The length of the buffer's first `read` bytes cut back to a whole UTF-8 character, so a chunk
 *  never ends inside one (unless the whole chunk is one broken sequence). */
export function utf8Boundary(buffer: Buffer, read: number): number {
  if (read < buffer.length) return read;
  for (let back = 0; back < 4 && back < read; back++) {
    const byte = buffer[read - 1 - back];
    if ((byte & 0xc0) !== 0x80) {
      const expected = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return expected === back + 1 ? read : read - 1 - back || read;
    }
  }
  return read;
}
