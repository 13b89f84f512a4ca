import { deviceSpec } from './detect-spec';
import { parseSimulatedGpus, simulatedGpus } from './simulated-gpus';

describe('simulated GPUs', () => {
  it('parses model and count groups into the catalogue\'s names and memory', () => {
    expect(parseSimulatedGpus('H100x8')).toEqual([{ model: 'H100-80GB', vramMib: 81_920, count: 8 }]);
    expect(parseSimulatedGpus('A100-80GBx2,RTX4090x1')).toEqual([
      { model: 'A100-80GB', vramMib: 81_920, count: 2 },
      { model: 'RTX-4090', vramMib: 24_576, count: 1 },
    ]);
    expect(parseSimulatedGpus(' L40S , rtx_4090 X 2 ')).toEqual([
      { model: 'L40S', vramMib: 49_152, count: 1 },
      { model: 'RTX-4090', vramMib: 24_576, count: 2 },
    ]);
  });

  it('refuses unknown models, zero counts, empty sets and oversized machines', () => {
    expect(() => parseSimulatedGpus('H10x8')).toThrow('"H10" is not a GPU model');
    expect(() => parseSimulatedGpus('H100x0')).toThrow('asks for 0 GPUs');
    expect(() => parseSimulatedGpus(' , ')).toThrow('at least one model');
    expect(() => parseSimulatedGpus('H100x9,A100-80GBx8')).toThrow('at most 16');
  });

  it('derives the same uuids from the same key, and other ones from another key', () => {
    const groups = parseSimulatedGpus('H100x2,RTX4090x1');
    const a = simulatedGpus('AddressA1111111111111111111111111111111111', groups);
    expect(simulatedGpus('AddressA1111111111111111111111111111111111', groups)).toEqual(a);
    expect(a).toHaveLength(3);
    expect(new Set(a.map((g) => g.uuid)).size).toBe(3);
    for (const g of a) expect(g.uuid).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const b = simulatedGpus('AddressB2222222222222222222222222222222222', groups);
    expect(b.map((g) => g.uuid).some((u) => a.some((g) => g.uuid === u))).toBe(false);
  });
});

describe('the enrollment spec', () => {
  const host = { cpuCores: 16, ramMib: 128_000, diskGib: 900, hostname: 'rig-7' };
  const base = { address: 'Addr', host, nvidiaGpus: [], simulated: undefined, countryCode: 'DE', region: 'eu-central', downloadMbps: undefined, uploadMbps: undefined, agentVersion: '0.1.0' };

  it('is a CPU device without GPUs, and declares connectivity as not measured', () => {
    expect(deviceSpec(base)).toEqual({ gpus: [], simulated: false, cpuCores: 16, ramMib: 128_000, diskGib: 900, countryCode: 'DE', region: 'eu-central', connectivity: { downloadMbps: 0, uploadMbps: 0, measured: false }, agentVersion: '0.1.0', hostname: 'rig-7' });
    expect(deviceSpec({ ...base, downloadMbps: 800, uploadMbps: 600 }).connectivity).toEqual({ downloadMbps: 800, uploadMbps: 600, measured: false });
  });

  it('reports real GPUs as nvidia-smi names them, and simulated ones instead of real ones', () => {
    const nvidiaGpus = [{ name: 'NVIDIA A10', memoryTotalMib: 23_028, uuid: 'GPU-1', utilisationPercent: 0, memoryUsedMib: 0 }];
    expect(deviceSpec({ ...base, nvidiaGpus }).gpus).toEqual([{ model: 'NVIDIA A10', vramMib: 23_028, uuid: 'GPU-1' }]);
    const simulated = deviceSpec({ ...base, nvidiaGpus, simulated: parseSimulatedGpus('H100x2') });
    expect(simulated.simulated).toBe(true);
    expect(simulated.gpus.map((g) => g.model)).toEqual(['H100-80GB', 'H100-80GB']);
  });

  it('refuses a country that is not a code and a blank region', () => {
    expect(() => deviceSpec({ ...base, countryCode: 'Germany' })).toThrow('ISO 3166');
    expect(() => deviceSpec({ ...base, region: ' ' })).toThrow('region');
  });
});
