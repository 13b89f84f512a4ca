import { isOwnProcess, sampleGpus } from './gpu-sampler';

describe('sampling the GPUs for a heartbeat', () => {
  const detected = [
    { model: 'NVIDIA H100 80GB HBM3', vramMib: 81_559, uuid: 'GPU-aaaaaaaa-0000-0000-0000-000000000001' },
    { model: 'NVIDIA H100 80GB HBM3', vramMib: 81_559, uuid: 'GPU-aaaaaaaa-0000-0000-0000-000000000002' },
  ];

  it('reads utilisation in basis points and memory per GPU; with no job running, every process on them is foreign', async () => {
    const run = async (_file: string, args: string[]) =>
      args[0].startsWith('--query-gpu')
        ? { ok: true, stdout: `NVIDIA H100 80GB HBM3, 81559, ${detected[0].uuid}, 87, 40000\nNVIDIA H100 80GB HBM3, 81559, ${detected[1].uuid}, 3, 500\n`, stderr: '' }
        : { ok: true, stdout: '4242, python3, 40000 MiB\n999999, miner, 500 MiB\n', stderr: '' };
    const sample = await sampleGpus({ detected, simulated: false, own: { pids: [], containers: [] }, run });
    expect(sample.gpus).toEqual([
      { uuid: detected[0].uuid, utilisationBasisPoints: 8_700, memoryUsedMib: 40_000 },
      { uuid: detected[1].uuid, utilisationBasisPoints: 300, memoryUsedMib: 500 },
    ]);
    expect(sample.processLines.sort()).toEqual(['process:4242:python3', 'process:999999:miner']);
    expect(sample.foreignProcessCount).toBe(2);
  });

  it('knows a job\'s process by its ancestry or its container\'s cgroup', () => {
    const parents: Record<number, number> = { 4242: 4200, 4200: 100, 100: 1, 777: 1 };
    const parentOf = (pid: number) => parents[pid];
    const cgroup = (pid: number) => (pid === 5555 ? '0::/system.slice/docker-3f2a9c1b7d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4.scope' : '0::/user.slice');
    const own = { pids: [100], containers: [{ id: '3f2a9c1b7d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4', image: 'rayproject/ray' }] };
    expect(isOwnProcess(4242, own, parentOf, cgroup)).toBe(true);
    expect(isOwnProcess(5555, own, parentOf, cgroup)).toBe(true);
    expect(isOwnProcess(777, own, parentOf, cgroup)).toBe(false);
  });

  it('reports simulated GPUs idle, with the job\'s containers in the digest lines and nothing foreign', async () => {
    const sample = await sampleGpus({ detected, simulated: true, own: { pids: [], containers: [{ id: 'abc', image: 'img' }] }, run: async () => { throw new Error('nvidia-smi is not asked for simulated GPUs'); } });
    expect(sample).toEqual({ gpus: detected.map((g) => ({ uuid: g.uuid, utilisationBasisPoints: 0, memoryUsedMib: 0 })), processLines: ['container:abc:img'], foreignProcessCount: 0 });
  });
});
