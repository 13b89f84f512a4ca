import { TokenomicsError } from '../tokenomics.errors';

/**
 * One GPU model as the whole platform names it. `name` is the canonical name of
 * `proto/ionet/common/v1/device.proto` (`GpuSpec.model`, e.g. "H100-80GB"); `aliases` are the names
 * agents and suppliers report (`nvidia-smi --query-gpu=name`, marketing names). Inventory, matching,
 * verification and tokenomics resolve names through this one table (ADR 0107).
 */
export interface GpuModel {
  readonly name: string;
  readonly vendor: 'NVIDIA' | 'AMD';
  /** Memory as sold (GiB * 1,024); nvidia-smi reports a little less, which verification tolerates. */
  readonly vramMib: number;
  readonly aliases: readonly string[];
  /**
   * Default reward and stake multiplier in bps (DOMAIN.md, io.net June 2025): H100 10x, A100-80GB 5x,
   * L40S 3x, RTX 4090 1.25x, obsolete models 0; every other model listed here is explicitly 1x.
   * Governance overrides it per canonical name with `deviceMultipliersBps`.
   */
  readonly multiplierBps: number;
}

const GIB = 1_024;

function model(name: string, vramGib: number, multiplierBps: number, aliases: readonly string[], vendor: GpuModel['vendor'] = 'NVIDIA'): GpuModel {
  return Object.freeze({ name, vendor, vramMib: vramGib * GIB, multiplierBps, aliases: Object.freeze([...aliases]) });
}

/** Sorted by name. A model missing here is unknown: refused, unless governance set a multiplier for unknown models. */
export const GPU_MODEL_CATALOGUE: readonly GpuModel[] = Object.freeze([
  model('A10', 24, 10_000, ['NVIDIA A10']),
  model('A100-40GB', 40, 10_000, ['NVIDIA A100-SXM4-40GB', 'NVIDIA A100-PCIE-40GB', 'A100 40GB', 'A100 SXM4 40GB', 'A100 PCIe 40GB']),
  model('A100-80GB', 80, 50_000, ['NVIDIA A100-SXM4-80GB', 'NVIDIA A100 80GB PCIe', 'A100 80GB', 'A100 SXM4 80GB', 'A100 PCIe 80GB', 'A100 SXM']),
  model('A10G', 24, 10_000, ['NVIDIA A10G']),
  model('A40', 48, 10_000, ['NVIDIA A40']),
  model('GTX-1060', 6, 0, ['NVIDIA GeForce GTX 1060', 'NVIDIA GeForce GTX 1060 6GB', 'GTX 1060']),
  model('GTX-1070', 8, 0, ['NVIDIA GeForce GTX 1070', 'GTX 1070']),
  model('GTX-1080', 8, 0, ['NVIDIA GeForce GTX 1080', 'GTX 1080']),
  model('GTX-1080-TI', 11, 0, ['NVIDIA GeForce GTX 1080 Ti', 'GTX 1080 Ti']),
  model('H100-80GB', 80, 100_000, [
    'H100',
    'NVIDIA H100 80GB HBM3',
    'NVIDIA H100 PCIe',
    'H100 SXM',
    'H100 SXM5',
    'H100 SXM5 80GB',
    'H100 PCIe',
    'H100 80GB',
    'H100 80GB HBM3',
  ]),
  model('H100-NVL', 94, 100_000, ['NVIDIA H100 NVL', 'H100 NVL']),
  // io.net publishes no H200 multiplier; DOMAIN.md makes unlisted models 1x until governance decides.
  model('H200', 141, 10_000, ['NVIDIA H200', 'H200 SXM', 'H200 141GB HBM3e']),
  model('K80', 12, 0, ['Tesla K80', 'NVIDIA Tesla K80']),
  model('L4', 24, 10_000, ['NVIDIA L4']),
  model('L40', 48, 10_000, ['NVIDIA L40']),
  model('L40S', 48, 30_000, ['NVIDIA L40S']),
  model('M60', 8, 0, ['Tesla M60', 'NVIDIA Tesla M60']),
  model('RTX-3080', 10, 10_000, ['NVIDIA GeForce RTX 3080', 'RTX 3080']),
  model('RTX-3090', 24, 10_000, ['NVIDIA GeForce RTX 3090', 'RTX 3090']),
  model('RTX-3090-TI', 24, 10_000, ['NVIDIA GeForce RTX 3090 Ti', 'RTX 3090 Ti']),
  model('RTX-4070', 12, 10_000, ['NVIDIA GeForce RTX 4070', 'RTX 4070']),
  model('RTX-4080', 16, 10_000, ['NVIDIA GeForce RTX 4080', 'RTX 4080']),
  model('RTX-4090', 24, 12_500, ['NVIDIA GeForce RTX 4090', 'GeForce RTX 4090', 'RTX 4090']),
  model('RTX-6000-ADA', 48, 10_000, ['NVIDIA RTX 6000 Ada Generation', 'RTX 6000 Ada']),
  model('RTX-A6000', 48, 10_000, ['NVIDIA RTX A6000', 'RTX A6000']),
  model('T4', 16, 10_000, ['Tesla T4', 'NVIDIA Tesla T4']),
  model('V100-16GB', 16, 10_000, ['Tesla V100-SXM2-16GB', 'Tesla V100-PCIE-16GB', 'V100 16GB']),
  model('V100-32GB', 32, 10_000, ['Tesla V100-SXM2-32GB', 'Tesla V100-PCIE-32GB', 'V100 32GB']),
]);

/**
 * The lookup key of a reported name: upper case, the vendor and brand words dropped, and everything
 * but letters and digits removed, so "NVIDIA GeForce RTX 4090", "rtx_4090" and "RTX-4090" meet.
 */
export function gpuModelKey(reported: string): string {
  return reported
    .toUpperCase()
    .replace(/\b(NVIDIA|GEFORCE|TESLA)\b/g, '')
    .replace(/[^A-Z0-9]/g, '');
}

const BY_KEY: ReadonlyMap<string, GpuModel> = (() => {
  const byKey = new Map<string, GpuModel>();
  for (const m of GPU_MODEL_CATALOGUE) {
    for (const name of [m.name, ...m.aliases]) {
      const key = gpuModelKey(name);
      const other = byKey.get(key);
      // Two models answering to one name would make a supplier's multiplier depend on table order.
      if (other && other !== m) throw new Error(`GPU catalogue: "${name}" names both ${other.name} and ${m.name}`);
      byKey.set(key, m);
    }
  }
  return byKey;
})();

const BY_NAME: ReadonlyMap<string, GpuModel> = new Map(GPU_MODEL_CATALOGUE.map((m) => [m.name, m]));

/** The catalogue entry for a canonical name or any alias, or undefined for an unknown model. */
export function resolveGpuModel(reported: string): GpuModel | undefined {
  if (typeof reported !== 'string') return undefined;
  return BY_NAME.get(reported) ?? BY_KEY.get(gpuModelKey(reported));
}

export function isCanonicalGpuModelName(name: string): boolean {
  return BY_NAME.has(name);
}

/** Like resolveGpuModel, but an unknown model is a typed refusal (`GPU.UNKNOWN_MODEL`). */
export function requireGpuModel(reported: string): GpuModel {
  return resolveGpuModel(reported) ?? unknownGpuModel(reported);
}

export function unknownGpuModel(reported: string): never {
  throw new TokenomicsError('GPU.UNKNOWN_MODEL', `GPU model "${String(reported)}" is not in the catalogue and no multiplier for unknown models is configured`);
}
