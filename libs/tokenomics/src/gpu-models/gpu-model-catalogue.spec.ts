import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenomicsError } from '../tokenomics.errors';
import { GPU_MODEL_CATALOGUE, gpuModelKey, isCanonicalGpuModelName, requireGpuModel, resolveGpuModel } from './gpu-model-catalogue';

describe('GPU model catalogue', () => {
  it('resolves canonical names and the names agents report to one entry with its VRAM and multiplier', () => {
    const cases: Array<[string, string, number, number]> = [
      ['H100-80GB', 'H100-80GB', 81_920, 100_000],
      ['NVIDIA H100 80GB HBM3', 'H100-80GB', 81_920, 100_000],
      ['H100 SXM', 'H100-80GB', 81_920, 100_000],
      ['NVIDIA H100 PCIe', 'H100-80GB', 81_920, 100_000],
      ['NVIDIA A100-SXM4-80GB', 'A100-80GB', 81_920, 50_000],
      ['NVIDIA A100-SXM4-40GB', 'A100-40GB', 40_960, 10_000],
      ['NVIDIA L40S', 'L40S', 49_152, 30_000],
      ['NVIDIA GeForce RTX 4090', 'RTX-4090', 24_576, 12_500],
      ['rtx_4090', 'RTX-4090', 24_576, 12_500],
      ['Tesla K80', 'K80', 12_288, 0],
      ['NVIDIA GeForce GTX 1080 Ti', 'GTX-1080-TI', 11_264, 0],
    ];
    for (const [reported, name, vramMib, multiplierBps] of cases) {
      expect([reported, resolveGpuModel(reported)]).toEqual([reported, expect.objectContaining({ name, vramMib, multiplierBps })]);
    }
  });

  it('treats a model it does not know, or an ambiguous family name, as unknown, with a typed refusal on demand', () => {
    for (const reported of ['A100', 'Quantum QPU 9000', '', 'constructor', '__proto__', 'toString']) expect([reported, resolveGpuModel(reported)]).toEqual([reported, undefined]);
    let caught: unknown;
    try {
      requireGpuModel('Quantum QPU 9000');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TokenomicsError);
    expect((caught as TokenomicsError).code).toBe('GPU.UNKNOWN_MODEL');
  });

  it('has unique canonical names in the proto style, unambiguous aliases, and frozen entries', () => {
    const names = GPU_MODEL_CATALOGUE.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
    for (const m of GPU_MODEL_CATALOGUE) {
      expect([m.name, /^[A-Z0-9]+(-[A-Z0-9]+)*$/.test(m.name)]).toEqual([m.name, true]);
      expect(isCanonicalGpuModelName(m.name)).toBe(true);
      expect(Object.isFrozen(m) && Object.isFrozen(m.aliases)).toBe(true);
      for (const alias of m.aliases) expect([alias, resolveGpuModel(alias)?.name]).toEqual([alias, m.name]);
    }
    const keys = GPU_MODEL_CATALOGUE.flatMap((m) => [m.name, ...m.aliases].map((n) => `${gpuModelKey(n)}=${m.name}`));
    const byKey = new Map<string, Set<string>>();
    for (const k of keys) {
      const [key, name] = k.split('=');
      byKey.set(key, (byKey.get(key) ?? new Set()).add(name));
    }
    expect([...byKey].filter(([, models]) => models.size > 1)).toEqual([]);
    expect(Object.isFrozen(GPU_MODEL_CATALOGUE)).toBe(true);
  });

  it('uses the canonical names the device proto gives as examples', () => {
    const proto = readFileSync(join(__dirname, '../../../../proto/ionet/common/v1/device.proto'), 'utf8');
    const examples = [...proto.matchAll(/"([A-Z0-9-]+)"/g)].map((m) => m[1]);
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect([example, isCanonicalGpuModelName(example)]).toEqual([example, true]);
  });
});
