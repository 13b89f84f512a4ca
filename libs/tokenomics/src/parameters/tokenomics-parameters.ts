import { Asset, ASSETS, baseUnitsPerWhole } from '@ionet/ledger';
import { GPU_MODEL_CATALOGUE, isCanonicalGpuModelName, resolveGpuModel, unknownGpuModel } from '../gpu-models/gpu-model-catalogue';
import { assertBps } from '../math/exact';
import type { RewardPool } from '../rewards/reward-allocation';
import { TokenomicsError } from '../tokenomics.errors';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Every governed number of the economy in one typed set. The fixed rules of the token (max supply,
 * emission schedule) are constants in emission-schedule.ts and are deliberately not here.
 */
export interface TokenomicsParameters {
  /** Share of each epoch's emission for GPU devices; CPU devices get the rest. */
  readonly gpuPoolShareBps: number;
  /** Hours of uptime a device needs before an hour earns rewards. */
  readonly minimumUptimeHours: number;
  /** Stake per GPU before the multiplier: minimum = this * max(1, multiplier) * GPU count. */
  readonly minimumStakePerGpuBaseUnits: bigint;
  /**
   * GPU multipliers by canonical catalogue name (GPU_MODEL_CATALOGUE), in bps: 10x = 100,000. A
   * catalogue model missing here keeps its catalogue default.
   */
  readonly deviceMultipliersBps: Readonly<Record<string, number>>;
  /**
   * Multiplier of a GPU model outside the catalogue; null (the default) refuses such a model
   * (`GPU.UNKNOWN_MODEL`, ineligible for rewards): never a silent 1x (ADR 0107).
   */
  readonly unknownGpuModelMultiplierBps: number | null;
  /** CPU devices earn from the CPU pool at this multiplier, whatever their CPU model. */
  readonly cpuDeviceMultiplierBps: number;
  readonly unstakeCooldownMs: number;
  /** The most of a device's total stake that a co-staker may provide. */
  readonly coStakeMaxShareBps: number;
  /** How many co-staking offers one account may hold at once. */
  readonly coStakeClaimsPerAccountMax: number;
  /** A leaving co-staker's wait, before the unstake cooldown starts. */
  readonly coStakeExitWaitMs: number;
  readonly slashAppealWindowMs: number;
  /** Charged to the customer and to the supplier on the lease amount. */
  readonly reservationFeeBps: number;
  /** Charged to both sides, by the asset the lease is paid in. */
  readonly paymentFeeBps: Readonly<Record<Asset, number>>;
  /** Share of fee revenue spent on buying IO back to burn; the rest funds operations. */
  readonly buybackShareBps: number;
  readonly quoteHoldMs: number;
}

/** The catalogue's multipliers (io.net, June 2025; obsolete models 0; others 1x), by canonical name. */
export const DEFAULT_DEVICE_MULTIPLIERS_BPS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(GPU_MODEL_CATALOGUE.map((m) => [m.name, m.multiplierBps])),
);

export const DEFAULT_TOKENOMICS_PARAMETERS: TokenomicsParameters = {
  gpuPoolShareBps: 9_500,
  minimumUptimeHours: 5,
  minimumStakePerGpuBaseUnits: 200n * baseUnitsPerWhole('IO'),
  deviceMultipliersBps: DEFAULT_DEVICE_MULTIPLIERS_BPS,
  unknownGpuModelMultiplierBps: null,
  cpuDeviceMultiplierBps: 10_000,
  unstakeCooldownMs: 14 * DAY_MS,
  coStakeMaxShareBps: 5_000,
  coStakeClaimsPerAccountMax: 2,
  coStakeExitWaitMs: 7 * DAY_MS,
  // "One month": fixed at 30 days so that it does not depend on a calendar.
  slashAppealWindowMs: 30 * DAY_MS,
  reservationFeeBps: 25,
  // Credits are prepaid US dollars, so our rule charges them the USDC payment fee.
  paymentFeeBps: { USDC: 200, IO: 0, CREDIT: 200 },
  // Our rule: io.net publishes no share; half of the fee revenue is the starting point for governance.
  buybackShareBps: 5_000,
  quoteHoldMs: 20 * 60_000,
};

/** "NVIDIA GeForce RTX 4090" and "rtx_4090" both become "RTX-4090". */
export function normalizeGpuModel(model: string): string {
  return model
    .trim()
    .toUpperCase()
    .replace(/^NVIDIA\s+/, '')
    .replace(/^GEFORCE\s+/, '')
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-');
}

// Model names repeat every epoch; remembering what they resolve to keeps allocation cheap. Bounded,
// because model names come from suppliers.
const resolvedModels = new Map<string, string | null>();
const RESOLVED_MODELS_MAX = 4_096;

function canonicalCached(model: string): string | null {
  let canonical = resolvedModels.get(model);
  if (canonical === undefined) {
    canonical = resolveGpuModel(model)?.name ?? null;
    if (resolvedModels.size >= RESOLVED_MODELS_MAX) resolvedModels.clear();
    resolvedModels.set(model, canonical);
  }
  return canonical;
}

/**
 * The GPU multiplier of a model as reported (canonical name or alias): governance's value for its
 * canonical name, else the catalogue default; for a model outside the catalogue the configured
 * multiplier for unknown models, or undefined when none is configured.
 */
export function gpuMultiplierBpsOrUndefined(model: string, parameters: TokenomicsParameters): number | undefined {
  const canonical = canonicalCached(model);
  if (canonical === null) return parameters.unknownGpuModelMultiplierBps ?? undefined;
  const table = parameters.deviceMultipliersBps;
  return Object.hasOwn(table, canonical) ? table[canonical] : resolveGpuModel(canonical)!.multiplierBps;
}

/** The GPU multiplier of a model; an unknown model without a configured multiplier is `GPU.UNKNOWN_MODEL`. */
export function multiplierBpsFor(model: string, parameters: TokenomicsParameters): number {
  return gpuMultiplierBpsOrUndefined(model, parameters) ?? unknownGpuModel(model);
}

/** A device's multiplier: the CPU multiplier for CPU devices, the model's for GPU devices. */
export function deviceMultiplierBps(device: { readonly pool: RewardPool; readonly model: string }, parameters: TokenomicsParameters): number {
  return device.pool === 'CPU' ? parameters.cpuDeviceMultiplierBps : multiplierBpsFor(device.model, parameters);
}

/**
 * 200 IO * max(1, multiplier) * GPU count, rounded up to a base unit so that a stake that meets it
 * always meets the exact rational requirement (exact anyway for the published multipliers). A CPU
 * device counts as one unit at the CPU multiplier.
 */
export function minimumStakeBaseUnits(model: string, gpuCount: number, parameters: TokenomicsParameters, pool: RewardPool = 'GPU'): bigint {
  if (!Number.isSafeInteger(gpuCount) || gpuCount < 1) throw new TokenomicsError('STAKE.INVALID_DEVICE', `gpu count must be a positive integer, got ${gpuCount}`);
  const multiplierBps = BigInt(Math.max(10_000, deviceMultiplierBps({ pool, model }, parameters)));
  const numerator = parameters.minimumStakePerGpuBaseUnits * multiplierBps * BigInt(gpuCount);
  return (numerator + 9_999n) / 10_000n;
}

function invalid(message: string): never {
  throw new TokenomicsError('PARAMS.INVALID', message);
}

function nonNegativeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) invalid(`${name} must be a non-negative integer, got ${value}`);
}

/** Throws PARAMS.INVALID naming the first bad parameter. */
export function validateParameters(p: TokenomicsParameters): void {
  const bps = (value: number, name: string, max?: number) => {
    try {
      assertBps(value, name, max);
    } catch (error) {
      invalid((error as Error).message);
    }
  };
  bps(p.gpuPoolShareBps, 'gpuPoolShareBps');
  bps(p.coStakeMaxShareBps, 'coStakeMaxShareBps');
  bps(p.reservationFeeBps, 'reservationFeeBps');
  bps(p.buybackShareBps, 'buybackShareBps');
  if (typeof p.paymentFeeBps !== 'object' || p.paymentFeeBps === null) invalid('paymentFeeBps must be a table by asset');
  for (const asset of ASSETS) {
    bps(p.paymentFeeBps[asset], `paymentFeeBps.${asset}`);
    // Each side pays both fees out of the same amount: above 100% together, the supplier would receive less than nothing.
    bps(p.reservationFeeBps + p.paymentFeeBps[asset], `reservationFeeBps + paymentFeeBps.${asset}`);
  }
  // A multiplier above 1,000x is surely a typo in a proposal, not a GPU.
  if (p.unknownGpuModelMultiplierBps !== null) bps(p.unknownGpuModelMultiplierBps, 'unknownGpuModelMultiplierBps', 10_000_000);
  bps(p.cpuDeviceMultiplierBps, 'cpuDeviceMultiplierBps', 10_000_000);
  if (typeof p.deviceMultipliersBps !== 'object' || p.deviceMultipliersBps === null) invalid('deviceMultipliersBps must be a table');
  for (const [model, value] of Object.entries(p.deviceMultipliersBps)) {
    if (!isCanonicalGpuModelName(model)) invalid(`multiplier key "${model}" is not a canonical GPU model name of the catalogue`);
    bps(value, `deviceMultipliersBps.${model}`, 10_000_000);
  }
  if (typeof p.minimumStakePerGpuBaseUnits !== 'bigint' || p.minimumStakePerGpuBaseUnits < 0n) invalid('minimumStakePerGpuBaseUnits must be a non-negative bigint');
  nonNegativeInteger(p.minimumUptimeHours, 'minimumUptimeHours');
  nonNegativeInteger(p.unstakeCooldownMs, 'unstakeCooldownMs');
  nonNegativeInteger(p.coStakeExitWaitMs, 'coStakeExitWaitMs');
  nonNegativeInteger(p.slashAppealWindowMs, 'slashAppealWindowMs');
  nonNegativeInteger(p.quoteHoldMs, 'quoteHoldMs');
  nonNegativeInteger(p.coStakeClaimsPerAccountMax, 'coStakeClaimsPerAccountMax');
}
