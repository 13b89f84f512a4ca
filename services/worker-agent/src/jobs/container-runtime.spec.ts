import type { JobAssignment } from '@ionet/agent-protocol';
import { ContainerRuntime, containerName, dockerAvailable, dockerRunArgs } from './container-runtime';
import type { JobRecord } from './job-record';

const job = (over: Partial<JobAssignment> = {}): JobAssignment => ({ jobId: 'job-1', leaseId: 'lease-9', role: 'node', image: 'ghcr.io/acme/train:1', command: ['python', 'train.py'], env: { B: '2', A: '1' }, ports: [8000], endsAt: '2026-12-01T01:00:00Z', ...over });

describe('docker commands for jobs (built to the docker CLI; no engine on these machines)', () => {
  it('runs a plain job detached, named and labelled, with every GPU, its env and its ports', () => {
    expect(dockerRunArgs(job())).toEqual([
      'run', '--detach', '--name', 'ionet-job-job-1', '--label', 'net.io.job-id=job-1', '--label', 'net.io.lease-id=lease-9', '--gpus', 'all', '--shm-size', '8g',
      '--publish', '8000:8000',
      '--env', 'A=1', '--env', 'B=2', '--env', 'IONET_JOB_ID=job-1', '--env', 'IONET_JOB_ROLE=node', '--env', 'IONET_LEASE_ID=lease-9',
      'ghcr.io/acme/train:1', 'python', 'train.py',
    ]);
  });

  it('starts a Ray head with ray start --head --block on the host network', () => {
    const args = dockerRunArgs(job({ role: 'head', command: [], ports: [6380] })) as string[];
    expect(args).toContain('--network');
    expect(args[args.indexOf('--network') + 1]).toBe('host');
    expect(args).not.toContain('--publish');
    expect(args.slice(args.indexOf('ghcr.io/acme/train:1'))).toEqual(['ghcr.io/acme/train:1', 'ray', 'start', '--head', '--block', '--port=6380', '--dashboard-host=0.0.0.0']);
  });

  it('joins a Ray worker to its head, and refuses a worker without a head address', () => {
    const args = dockerRunArgs(job({ role: 'worker', command: [], headAddress: '10.0.0.5:6379' })) as string[];
    expect(args.slice(args.indexOf('ghcr.io/acme/train:1') + 1)).toEqual(['ray', 'start', '--address=10.0.0.5:6379', '--block']);
    expect(dockerRunArgs(job({ role: 'worker', command: [] }))).toEqual({ error: 'a Ray worker job names its head address (headAddress)' });
    expect(dockerRunArgs(job({ command: [] }))).toEqual({ error: 'the job has no command' });
  });

  it('keeps odd job ids out of the container name', () => {
    expect(containerName('lease/1:dev 2')).toBe('ionet-job-lease-1-dev-2');
  });

  it('detects the engine by docker info, and drives docker through its CLI', async () => {
    const calls: string[][] = [];
    const fake = async (file: string, args: string[]) => {
      calls.push([file, ...args]);
      if (args[0] === 'inspect') return { ok: true, stdout: 'false 3\n', stderr: '' };
      return { ok: args[0] !== 'info', stdout: 'c0ffee\n', stderr: 'Cannot connect to the Docker daemon' };
    };
    expect(await dockerAvailable(fake)).toBe(false);
    const runtime = new ContainerRuntime(fake);
    const record = { job: job(), containerName: 'ionet-job-job-1' } as JobRecord;
    expect(await runtime.status(record)).toEqual({ state: 'exited', exitCode: 3 });
    await runtime.stop(record, 10_000);
    expect(calls).toEqual([
      ['docker', 'info', '--format', '{{.ServerVersion}}'],
      ['docker', 'inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', 'ionet-job-job-1'],
      ['docker', 'stop', '--time', '10', 'ionet-job-job-1'],
    ]);
  });
});
