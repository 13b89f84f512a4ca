import type { JobAssignment, JobEvent } from '@ionet/agent-protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobRunner, utf8Boundary } from './job-runner';
import { ProcessRuntime } from './process-runtime';

const node = process.execPath;
const job = (over: Partial<JobAssignment>): JobAssignment => ({ jobId: 'job-1', leaseId: 'lease-1', role: 'node', image: 'unused', command: [node, '-e', 'console.log("hello")'], env: {}, ports: [], endsAt: '2100-01-01T00:00:00Z', ...over });

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('jobs as local processes (real processes)', () => {
  let dir: string;
  let delivered: Map<string, JobEvent[]>;
  let reachable: boolean;
  const runners: JobRunner[] = [];
  const newRunner = () => {
    const runner = new JobRunner({
      jobsDir: dir,
      runtime: new ProcessRuntime(),
      poster: {
        post: async (jobId, events) => {
          if (!reachable) throw new Error('ECONNREFUSED');
          const list = delivered.get(jobId) ?? [];
          // The platform keeps one event per sequence.
          for (const e of events) if (!list.some((x) => x.sequence === e.sequence)) list.push(e);
          delivered.set(jobId, list);
        },
      },
      platformNowMs: Date.now,
      log: () => undefined,
      stopGraceMs: 2_000,
    });
    runners.push(runner);
    return runner;
  };
  const kinds = (jobId: string) => (delivered.get(jobId) ?? []).map((e) => e.kind);
  const pump = async (runner: JobRunner, what: string, check: () => boolean) => until(what, () => {
    void runner.tick();
    return check() || undefined;
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ionet-jobs-'));
    delivered = new Map();
    reachable = true;
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) for (const rec of r.all()) if (rec.pid) try { process.kill(-rec.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports accepted, started, running, its output and its exit code, once, in order', async () => {
    const runner = newRunner();
    await runner.accept(job({ command: [node, '-e', 'console.log("hello"); console.error("oops"); setTimeout(() => process.exit(3), 1500)'] }));
    await runner.accept(job({}));
    await pump(runner, 'the exit', () => kinds('job-1').includes('exited'));
    await runner.flushEvents();
    const events = delivered.get('job-1')!;
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i));
    expect(kinds('job-1').filter((k) => k !== 'log')).toEqual(['accepted', 'started', 'running', 'exited']);
    expect(events.find((e) => e.kind === 'exited')?.exitCode).toBe(3);
    expect(events.filter((e) => e.kind === 'log' && e.stream === 'stdout').map((e) => e.text).join('')).toBe('hello\n');
    expect(events.filter((e) => e.kind === 'log' && e.stream === 'stderr').map((e) => e.text).join('')).toBe('oops\n');
  });

  it('reports a command that does not exist as failed_to_start', async () => {
    const runner = newRunner();
    await runner.accept(job({ command: ['no-such-command-ionet'] }));
    await runner.flushEvents();
    expect(delivered.get('job-1')?.map((e) => [e.kind, e.text])).toEqual([['accepted', undefined], ['failed_to_start', 'no-such-command-ionet: not found on this machine']]);
  });

  it('stops a job on a stop item and when its lease ends', async () => {
    const runner = newRunner();
    await runner.accept(job({ jobId: 'a', command: [node, '-e', 'setInterval(() => {}, 1000)'] }));
    await runner.accept(job({ jobId: 'b', command: [node, '-e', 'setInterval(() => {}, 1000)'], endsAt: new Date(Date.now() + 1_500).toISOString() }));
    await runner.stop('a', 'the customer stopped the cluster');
    await runner.flushEvents();
    expect(delivered.get('a')?.slice(-1)[0]).toMatchObject({ kind: 'stopped', text: 'the customer stopped the cluster' });
    await pump(runner, 'the lease end', () => kinds('b').includes('stopped'));
    expect(delivered.get('b')?.find((e) => e.kind === 'stopped')?.text).toBe('the lease ended');
    await runner.stop('never-had', 'lease cancelled');
    await runner.flushEvents();
    expect(kinds('never-had')).toEqual(['stopped']);
  });

  it('stops a job whose stop arrives while it is being started, leaving nothing running', async () => {
    const runner = newRunner();
    const accepting = runner.accept(job({ command: [node, '-e', 'setInterval(() => {}, 1000)'] }));
    await runner.stop('job-1', 'cancelled at once');
    await accepting;
    await runner.flushEvents();
    expect(kinds('job-1').filter((k) => k !== 'log')).toEqual(['accepted', 'started', 'stopped']);
    const pid = runner.get('job-1')!.pid!;
    await until('the job process gone', () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
  });

  it('re-attaches after a restart: the job kept running, events not delivered are sent, the exit is reported', async () => {
    reachable = false;
    const first = newRunner();
    await first.accept(job({ command: [node, '-e', 'console.log("before"); setTimeout(() => { console.log("after"); process.exit(0) }, 2500)'] }));
    await first.tick();
    const pid = first.get('job-1')?.pid;
    expect(pid).toBeDefined();
    // The agent dies here (nothing in memory survives); the job's own process does.
    reachable = true;
    const second = newRunner();
    await second.load();
    expect(second.get('job-1')?.pid).toBe(pid);
    await pump(second, 'the exit after the restart', () => kinds('job-1').includes('exited'));
    await second.flushEvents();
    const events = delivered.get('job-1')!;
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i));
    expect(events.find((e) => e.kind === 'exited')?.exitCode).toBe(0);
    expect(events.filter((e) => e.kind === 'log').map((e) => e.text).join('')).toBe('before\nafter\n');
  });

  it('cuts log chunks at a whole UTF-8 character', () => {
    const text = Buffer.from('ab€', 'utf8');
    expect(utf8Boundary(text.subarray(0, 4), 4)).toBe(2);
    expect(utf8Boundary(text, 5)).toBe(5);
    expect(utf8Boundary(Buffer.from('abcd'), 4)).toBe(4);
  });
});
