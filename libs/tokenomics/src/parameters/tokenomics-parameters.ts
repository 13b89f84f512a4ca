import { Asset, ASSETS, baseUnitsPerWhole } from '@ionet/ledger';
import { assertBps } from '../math/exact';
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
  /** Multipliers by normalized model name (see normalizeGpuModel), in bps: 10 = 100,000. */
  readonly deviceMultipliersBps: Readonly<Record<string, number>>;
  /** Multiplier of a model missing from the table. */
  readonly defaultMultiplierBps: number;
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

/** Multipliers published by io.net (June 2025); obsolete models earn nothing. */
export const DEFAULT_DEVICE_MULTIPLIERS_BPS: Readonly<Record<string, number>> = {
  H100: 100_000,
  'A100-80GB': 50_000,
  L40S: 30_000,
  'RTX-4090': 12_500,
  // Our list of obsolete models (io.net names none): pre-Turing consumer and data-center cards.
  'GTX-1060': 0,
  'GTX-1070': 0,
  'GTX-1080': 0,
  'GTX-1080-TI': 0,
  'TESLA-K80': 0,
  'TESLA-M60': 0,
};

export const DEFAULT_TOKENOMICS_PARAMETERS: TokenomicsParameters = {
  gpuPoolShareBps: 9_500,
  minimumUptimeHours: 5,
  minimumStakePerGpuBaseUnits: 200n * baseUnitsPerWhole('IO'),
  deviceMultipliersBps: DEFAULT_DEVICE_MULTIPLIERS_BPS,
  defaultMultiplierBps: 10_000,
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

// Model names repeat every epoch; remembering their normalized form keeps allocation cheap. Bounded,
// because model names come from suppliers.
const normalizedModels = new Map<string, string>();
const NORMALIZED_MODELS_MAX = 4_096;

function normalizedCached(model: string): string {
  let normalized = normalizedModels.get(model);
  if (normalized === undefined) {
    normalized = normalizeGpuModel(model);
    if (normalizedModels.size >= NORMALIZED_MODELS_MAX) normalizedModels.clear();
    normalizedModels.set(model, normalized);
  }
  return normalized;
}

export function multiplierBpsFor(model: string, parameters: TokenomicsParameters): number {
  const known = parameters.deviceMultipliersBps[normalizedCached(model)];
  return known ?? parameters.defaultMultiplierBps;
}

/**
 * 200 IO * max(1, multiplier) * GPU count, rounded up to a base unit so that a stake that meets it
 * always meets the exact rational requirement (exact anyway for the published multipliers).
 */
export function minimumStakeBaseUnits(model: string, gpuCount: number, parameters: TokenomicsParameters): bigint {
  if (!Number.isSafeInteger(gpuCount) || gpuCount < 1) throw new RangeError(`gpu count must be a positive integer, got ${gpuCount}`);
  const multiplierBps = BigInt(Math.max(10_000, multiplierBpsFor(model, parameters)));
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
  for (const asset of ASSETS) {
    bps(p.paymentFeeBps[asset], `paymentFeeBps.${asset}`);
    // Each side pays both fees out of the same amount: above 100% together, the supplier would receive less than nothing.
    bps(p.reservationFeeBps + p.paymentFeeBps[asset], `reservationFeeBps + paymentFeeBps.${asset}`);
  }
  // A multiplier above 1,000x is surely a typo in a proposal, not a GPU.
  bps(p.defaultMultiplierBps, 'defaultMultiplierBps', 10_000_000);
  for (const [model, value] of Object.entries(p.deviceMultipliersBps)) {
    if (normalizeGpuModel(model) !== model) invalid(`multiplier key "${model}" is not a normalized model name`);
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
