import { InventoryError } from '../shared/inventory.errors';
import { connectivityTierOf, deviceFromAgentSpec, type AgentSpec } from './agent-spec';

const h100 = (i: number) => ({ model: 'NVIDIA H100 80GB HBM3', vramMib: 81_559, uuid: `GPU-${i}` });
const report: AgentSpec = {
  gpus: [h100(0), h100(1)],
  simulated: false,
  cpuCores: 32,
  ramMib: 262_144,
  diskGib: 2_000,
  countryCode: 'de',
  region: 'eu-central',
  connectivity: { downloadMbps: 900, uploadMbps: 700, measured: true },
  agentVersion: '0.1.0',
  hostname: 'rig-1',
};
const noDefaults = { connectivityTier: null, securityTier: null };
const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof InventoryError) return err.code;
    throw err;
  }
  return 'accepted';
};

describe('the device an agent enrolls (ADR 0402)', () => {
  it("normalises nvidia-smi's names through the catalogue and keeps what the agent reported", () => {
    const { spec, details, simulated } = deviceFromAgentSpec(report, noDefaults, false);
    expect(spec).toEqual({
      deviceClass: 'gpu',
      gpu: { model: 'H100-80GB', vramMib: 81_559, count: 2 },
      cpuCores: 32,
      ramMib: 262_144,
      diskGib: 2_000,
      countryCode: 'DE',
      region: 'eu-central',
      connectivityTier: 'high',
      securityTier: 'standard',
    });
    expect(details).toEqual({ gpuUuids: ['GPU-0', 'GPU-1'], reportedGpuModel: 'NVIDIA H100 80GB HBM3', hostname: 'rig-1', agentVersion: '0.1.0' });
    expect(simulated).toBe(false);
  });

  it('accepts an unknown model under its reported name, and a machine without GPUs as a CPU device', () => {
    expect(deviceFromAgentSpec({ ...report, gpus: [{ model: 'Acme Tensor 9000', vramMib: 32_768, uuid: 'X-1' }] }, noDefaults, false).spec.gpu).toEqual({ model: 'Acme Tensor 9000', vramMib: 32_768, count: 1 });
    const cpu = deviceFromAgentSpec({ ...report, gpus: [] }, noDefaults, false).spec;
    expect(cpu).toMatchObject({ deviceClass: 'cpu', gpu: null });
  });

  it('refuses a machine with two GPU models, naming them', () => {
    try {
      deviceFromAgentSpec({ ...report, gpus: [h100(0), { model: 'NVIDIA GeForce RTX 4090', vramMib: 24_564, uuid: 'GPU-9' }] }, noDefaults, false);
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVENTORY.MIXED_GPU_MODELS', context: { models: ['H100-80GB', 'RTX-4090'] } });
    }
  });

  it('accepts simulated GPUs only where the platform allows them', () => {
    expect(codeOf(() => deviceFromAgentSpec({ ...report, simulated: true }, noDefaults, false))).toBe('INVENTORY.SIMULATED_DEVICES_NOT_ALLOWED');
    expect(deviceFromAgentSpec({ ...report, simulated: true }, noDefaults, true).simulated).toBe(true);
  });

  it('refuses duplicated GPU uuids and more GPUs than a device may hold', () => {
    expect(codeOf(() => deviceFromAgentSpec({ ...report, gpus: [h100(0), h100(0)] }, noDefaults, false))).toBe('DEVICE.INVALID_SPEC');
    expect(codeOf(() => deviceFromAgentSpec({ ...report, gpus: Array.from({ length: 17 }, (_, i) => h100(i)) }, noDefaults, false))).toBe('DEVICE.INVALID_SPEC');
  });

  it("takes the token's declared tiers over the measured bandwidth", () => {
    expect(deviceFromAgentSpec(report, { connectivityTier: 'ultra_high', securityTier: 'compliant' }, false).spec).toMatchObject({ connectivityTier: 'ultra_high', securityTier: 'compliant' });
  });

  it("maps bandwidth onto DOMAIN.md's tiers, both directions at once", () => {
    expect(connectivityTierOf(1600, 1200)).toBe('ultra_high');
    expect(connectivityTierOf(1600, 1199)).toBe('high');
    expect(connectivityTierOf(400, 300)).toBe('medium');
    expect(connectivityTierOf(399, 300)).toBe('low');
    expect(connectivityTierOf(0, 0)).toBe('low');
  });
});
