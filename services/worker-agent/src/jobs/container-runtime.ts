import type { JobAssignment } from '@ionet/agent-protocol';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { runCommand, type CommandRunner } from '../hardware/nvidia-smi';
import type { JobRecord } from './job-record';
import type { JobPaths, JobRuntime, RuntimeStatus, StartResult } from './job-runtime';

export const RAY_HEAD_PORT_DEFAULT = 6379;

export function containerName(jobId: string): string {
  return `ionet-job-${jobId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 100)}`;
}

/** The command a job's container runs: a Ray head starts the cluster (`ray start --head --block`),
 *  a Ray worker joins the head's address, a plain node runs the job's own command. */
export function containerCommand(job: JobAssignment): string[] | { error: string } {
  switch (job.role) {
    case 'head':
      return ['ray', 'start', '--head', '--block', `--port=${job.ports[0] ?? RAY_HEAD_PORT_DEFAULT}`, '--dashboard-host=0.0.0.0', ...job.command];
    case 'worker':
      if (!job.headAddress) return { error: 'a Ray worker job names its head address (headAddress)' };
      return ['ray', 'start', `--address=${job.headAddress}`, '--block', ...job.command];
    case 'node':
      if (job.command.length === 0) return { error: 'the job has no command' };
      return job.command;
  }
}

/** `docker run` for a job: detached, named and labelled after the job and lease (so a restarted
 *  agent finds it), every GPU passed through, the job's environment; Ray roles use the host's
 *  network (Ray opens many ports and must advertise a reachable address), others publish their ports. */
export function dockerRunArgs(job: JobAssignment): string[] | { error: string } {
  const command = containerCommand(job);
  if (!Array.isArray(command)) return command;
  if (!job.image) return { error: 'the job names no image' };
  const args = ['run', '--detach', '--name', containerName(job.jobId), '--label', `net.io.job-id=${job.jobId}`, '--label', `net.io.lease-id=${job.leaseId}`, '--gpus', 'all', '--shm-size', '8g'];
  if (job.role === 'head' || job.role === 'worker') args.push('--network', 'host');
  else for (const port of job.ports) args.push('--publish', `${port}:${port}`);
  const env = { ...job.env, IONET_JOB_ID: job.jobId, IONET_LEASE_ID: job.leaseId, IONET_JOB_ROLE: job.role };
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) args.push('--env', `${k}=${v}`);
  args.push(job.image, ...command);
  return args;
}

/** Whether a Docker engine answers here (`docker info`). */
export async function dockerAvailable(run: CommandRunner = runCommand, docker = 'docker'): Promise<boolean> {
  return (await run(docker, ['info', '--format', '{{.ServerVersion}}'])).ok;
}

/**
 * Jobs as containers. Built to Docker's CLI interface; this repository's machines have no engine, so
 * only its command construction is tested here (ADR 0420).
 */
export class ContainerRuntime implements JobRuntime {
  readonly kind = 'container' as const;

  constructor(
    private readonly run: CommandRunner = runCommand,
    /** The Docker CLI (a path, or a name on PATH). */
    private readonly docker = 'docker',
  ) {}

  async start(record: JobRecord, paths: JobPaths): Promise<StartResult> {
    const args = dockerRunArgs(record.job);
    if (!Array.isArray(args)) return { ok: false, reason: args.error };
    const name = containerName(record.job.jobId);
    // A container of this name left by an earlier attempt is replaced, not reused blindly.
    await this.run(this.docker, ['rm', '--force', name]);
    const result = await this.run(this.docker, args);
    if (!result.ok) return { ok: false, reason: `docker run failed: ${result.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
    this.followLogs(name, paths, false);
    return { ok: true, containerName: name, containerId: result.stdout.trim() };
  }

  async status(record: JobRecord): Promise<RuntimeStatus> {
    const name = record.containerName ?? containerName(record.job.jobId);
    const result = await this.run(this.docker, ['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name]);
    if (!result.ok) return { state: 'exited', exitCode: null, detail: `container ${name} is gone` };
    const [running, code] = result.stdout.trim().split(' ');
    return running === 'true' ? { state: 'running' } : { state: 'exited', exitCode: Number.isInteger(Number(code)) ? Number(code) : null };
  }

  async stop(record: JobRecord, graceMs: number): Promise<void> {
    await this.run(this.docker, ['stop', '--time', String(Math.ceil(graceMs / 1000)), record.containerName ?? containerName(record.job.jobId)]);
  }

  async reattach(record: JobRecord, paths: JobPaths): Promise<void> {
    this.followLogs(record.containerName ?? containerName(record.job.jobId), paths, true);
  }

  /** `docker logs --follow` into the job's log files (detached: it ends with the container). After a
   *  restart it follows from now on, so no line is reported twice (lines while the agent was down
   *  stay in `docker logs`). */
  private followLogs(name: string, paths: JobPaths, fromNow: boolean): void {
    const out = openSync(paths.stdout, 'a', 0o600);
    const err = openSync(paths.stderr, 'a', 0o600);
    try {
      const follower = spawn(this.docker, ['logs', '--follow', ...(fromNow ? ['--since', new Date().toISOString()] : []), name], { detached: true, stdio: ['ignore', out, err] });
      follower.on('error', () => undefined);
      follower.unref();
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }
}
