import type { JobAssignment, JobEvent } from '@ionet/agent-protocol';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRuntime, dockerAvailable } from './container-runtime';
import { JobRunner } from './job-runner';

/**
 * The container path through the job runner, against a stand-in `docker` that answers as
 * the Docker CLI does (these machines have no engine). It proves the runner drives the CLI in the
 * right order and reads its answers; it proves nothing about a real engine or GPU pass-through.
 */
const FAKE_DOCKER = `#!/bin/sh
HERE=$(dirname "$0")
echo "$*" >> "$HERE/calls"
case "$1" in
  info) echo 27.3.1 ;;
  rm) exit 0 ;;
  run) echo 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4 ;;
  logs) echo "Ray runtime started." ;;
  inspect) if [ -f "$HERE/stopped" ]; then echo "false 143"; else echo "true 0"; fi ;;
  stop) touch "$HERE/stopped" ;;
  *) echo "unknown command $1" >&2; exit 1 ;;
esac
`;

describe('jobs as containers (a stand-in docker CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ionet-fake-docker-'));
    writeFileSync(join(dir, 'docker'), FAKE_DOCKER);
    chmodSync(join(dir, 'docker'), 0o755);

  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a Ray head container with every GPU, reports it running with its output, and stops it', async () => {
    const docker = join(dir, 'docker');
    expect(await dockerAvailable(undefined, docker)).toBe(true);
    const delivered: JobEvent[] = [];
    const runner = new JobRunner({
      jobsDir: join(dir, 'jobs'),
      runtime: new ContainerRuntime(undefined, docker),
      poster: { post: async (_jobId, events) => void delivered.push(...events.filter((e) => !delivered.some((d) => d.sequence === e.sequence))) },
      platformNowMs: Date.now,
      log: () => undefined,
    });
    const job: JobAssignment = { jobId: 'job-ray-1', leaseId: 'lease-1', role: 'head', image: 'rayproject/ray:2.40.0-gpu', command: [], env: { RAY_LOG: 'info' }, ports: [6379], endsAt: '2100-01-01T00:00:00Z' };
    await runner.accept(job);
    expect(runner.ownWork().containers).toEqual([{ id: '3f2a9c1b7d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4', image: 'rayproject/ray:2.40.0-gpu' }]);
    const deadline = Date.now() + 10_000;
    while (!delivered.some((e) => e.kind === 'log') && Date.now() < deadline) {
      await runner.tick();
      await new Promise((r) => setTimeout(r, 100));
    }
    await runner.stop('job-ray-1', 'the lease ended');
    await runner.flushEvents();
    expect(delivered.filter((e) => e.kind !== 'log').map((e) => e.kind)).toEqual(['accepted', 'started', 'running', 'stopped']);
    expect(delivered.find((e) => e.kind === 'stopped')).toMatchObject({ exitCode: 143, text: 'the lease ended' });
    expect(delivered.filter((e) => e.kind === 'log').map((e) => e.text).join('')).toBe('Ray runtime started.\n');
    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls[0]).toBe('info --format {{.ServerVersion}}');
    expect(calls[1]).toBe('rm --force ionet-job-job-ray-1');
    expect(calls[2]).toBe(
      'run --detach --name ionet-job-job-ray-1 --label net.io.job-id=job-ray-1 --label net.io.lease-id=lease-1 --gpus all --shm-size 8g --network host ' +
        '--env IONET_JOB_ID=job-ray-1 --env IONET_JOB_ROLE=head --env IONET_LEASE_ID=lease-1 --env RAY_LOG=info rayproject/ray:2.40.0-gpu ray start --head --block --port=6379 --dashboard-host=0.0.0.0',
    );
    expect(calls).toContain('logs --follow ionet-job-job-ray-1');
    expect(calls).toContain('stop --time 10 ionet-job-job-ray-1');
  });
});
