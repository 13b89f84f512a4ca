import { parseComputeApps, parseGpuQuery, queryGpus } from './nvidia-smi';

describe('nvidia-smi output', () => {
  it('reads several GPUs, odd names and unavailable readings', () => {
    const output = [
      'NVIDIA H100 80GB HBM3, 81559, GPU-0a1b2c3d-1111-2222-3333-444455556666, 37, 1024',
      'NVIDIA H100 80GB HBM3, 81559, GPU-0a1b2c3d-1111-2222-3333-444455556667, 0, 0',
      // A name with a comma in it (nvidia-smi does not quote) and a virtual GPU without readings.
      'GRID A100, 80C, 81920, GPU-ffffffff-1111-2222-3333-444455556666, [N/A], [N/A]',
      '',
    ].join('\n');
    const { gpus, problems } = parseGpuQuery(output);
    expect(problems).toEqual([]);
    expect(gpus).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', memoryTotalMib: 81559, uuid: 'GPU-0a1b2c3d-1111-2222-3333-444455556666', utilisationPercent: 37, memoryUsedMib: 1024 },
      { name: 'NVIDIA H100 80GB HBM3', memoryTotalMib: 81559, uuid: 'GPU-0a1b2c3d-1111-2222-3333-444455556667', utilisationPercent: 0, memoryUsedMib: 0 },
      { name: 'GRID A100, 80C', memoryTotalMib: 81920, uuid: 'GPU-ffffffff-1111-2222-3333-444455556666', utilisationPercent: undefined, memoryUsedMib: undefined },
    ]);
  });

  it('returns lines it does not understand as problems instead of guessing', () => {
    const { gpus, problems } = parseGpuQuery('Unable to determine the device handle for GPU 0000:3B:00.0: Unknown Error\nNVIDIA A10, 23028, GPU-12345678-aaaa-bbbb-cccc-000000000000, 5, 10\n');
    expect(gpus.map((g) => g.name)).toEqual(['NVIDIA A10']);
    expect(problems).toEqual(['Unable to determine the device handle for GPU 0000:3B:00.0: Unknown Error']);
    expect(parseGpuQuery('No devices were found\n')).toEqual({ gpus: [], problems: ['No devices were found'] });
  });

  it('reads the processes on the GPUs, with units and names holding commas', () => {
    const apps = parseComputeApps('1234, python3, 20480 MiB\n99, /usr/bin/my app, v2, [N/A]\nNo running processes found\n');
    expect(apps).toEqual([
      { pid: 1234, processName: 'python3', usedMemoryMib: 20480 },
      { pid: 99, processName: '/usr/bin/my app, v2', usedMemoryMib: undefined },
    ]);
  });

  it('makes a machine without nvidia-smi a CPU device and says why', async () => {
    const missing = await queryGpus(async () => ({ ok: false, stdout: '', stderr: 'spawn nvidia-smi ENOENT' }));
    expect(missing).toEqual({ gpus: [], note: 'nvidia-smi unavailable: spawn nvidia-smi ENOENT' });
    const failing = await queryGpus(async () => ({ ok: false, stdout: '', stderr: 'NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.\nMake sure...' }));
    expect(failing.gpus).toEqual([]);
    expect(failing.note).toContain("couldn't communicate with the NVIDIA driver");
  });
});
