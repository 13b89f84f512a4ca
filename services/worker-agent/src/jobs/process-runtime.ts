import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { pidAlive } from '../state/state-dir';
import type { JobRecord } from './job-record';
import type { JobPaths, JobRuntime, RuntimeStatus, StartResult } from './job-runtime';

/**
 * The supervisor of a process job: started detached (its own process group, output to files, not
 * pipes), so the job outlives a crash of the agent; it writes the job's exit to a file the agent
 * reads whenever it looks again, before or after a restart.
 */
const SUPERVISOR = `
const { spawn } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const [exitFile, command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { stdio: 'inherit' });
const done = (value) => { try { writeFileSync(exitFile, JSON.stringify(value)); } catch {} };
child.on('error', (err) => { done({ code: 127, error: err.message }); process.exit(127); });
child.on('exit', (code, signal) => { done({ code, signal }); process.exit(code ?? 1); });
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s));
`;

/** The executable a command names (a path, or a name on PATH), or undefined when there is none. */
export function resolveExecutable(command: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  const candidates = command.includes('/') ? [isAbsolute(command) ? command : join(process.cwd(), command)] : pathVariable.split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class ProcessRuntime implements JobRuntime {
  readonly kind = 'process' as const;

  async start(record: JobRecord, paths: JobPaths): Promise<StartResult> {
    const [command, ...args] = record.job.command;
    if (!command) return { ok: false, reason: 'the job has no command to run as a local process' };
    const executable = resolveExecutable(command);
    if (!executable) return { ok: false, reason: `${command}: not found on this machine` };
    const out = openSync(paths.stdout, 'a', 0o600);
    const err = openSync(paths.stderr, 'a', 0o600);
    try {
      const child = spawn(process.execPath, ['-e', SUPERVISOR, paths.exitFile, executable, ...args], {
        cwd: paths.dir,
        detached: true,
        stdio: ['ignore', out, err],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? paths.dir, ...record.job.env, IONET_JOB_ID: record.job.jobId, IONET_LEASE_ID: record.job.leaseId, IONET_JOB_ROLE: record.job.role },
      });
      const pid = child.pid;
      child.unref();
      if (pid === undefined) return { ok: false, reason: 'the process could not be started' };
      return { ok: true, pid };
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  async status(record: JobRecord, paths: JobPaths): Promise<RuntimeStatus> {
    if (existsSync(paths.exitFile)) {
      try {
        const exit = JSON.parse(readFileSync(paths.exitFile, 'utf8')) as { code: number | null; signal?: string | null; error?: string };
        return { state: 'exited', exitCode: exit.code ?? null, detail: exit.error ?? (exit.signal ? `killed by ${exit.signal}` : undefined) };
      } catch {
        // being written; look again next time
        return { state: 'running' };
      }
    }
    if (record.pid !== undefined && pidAlive(record.pid)) return { state: 'running' };
    return { state: 'exited', exitCode: null, detail: 'the job process is gone and left no exit code (killed with its supervisor)' };
  }

  async stop(record: JobRecord, graceMs: number): Promise<void> {
    const pid = record.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && pidAlive(pid)) await new Promise((r) => setTimeout(r, 100));
    if (pidAlive(pid)) signalGroup(pid, 'SIGKILL');
  }

  async reattach(): Promise<void> {
    // Output goes to files already: nothing to reconnect.
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}
