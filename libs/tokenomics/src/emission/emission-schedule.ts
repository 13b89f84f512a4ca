import { baseUnitsPerWhole } from '@ionet/ledger';
import { TokenomicsError } from '../tokenomics.errors';

/** Hourly epochs of io.net's published schedule: T = 1 .. 175,319 (20 years). */
export const EMISSION_EPOCHS = 175_319;

const IO = baseUnitsPerWhole('IO');

/** Fixed by the token: 500M at genesis, 300M emitted, 800M at most. */
export const GENESIS_SUPPLY_BASE_UNITS = 500_000_000n * IO;
export const EMISSION_TOTAL_BASE_UNITS = 300_000_000n * IO;
export const MAX_SUPPLY_BASE_UNITS = 800_000_000n * IO;

/** rate_1 = 8% / 8760, exactly 8 / 876,000. */
export const FIRST_EPOCH_RATE = { numerator: 8n, denominator: 876_000n } as const;

/** The hourly decay 0.0013886952395979300 %, exactly 138,869,523,959,793 / 10^19. */
export const HOURLY_DECAY = { numerator: 138_869_523_959_793n, denominator: 10n ** 19n } as const;

/**
 * The exact series: S(T) = sum of the first T emissions = G * rate_1 * (1 - q^T) / (1 - q), with
 * G = 500M IO in base units and q = 1 - decay. Written as K * (1 - q^T) / D with integers K and D.
 */
const K = GENESIS_SUPPLY_BASE_UNITS * FIRST_EPOCH_RATE.numerator * HOURLY_DECAY.denominator;
const D = FIRST_EPOCH_RATE.denominator * HOURLY_DECAY.numerator;
const Q_NUMERATOR = HOURLY_DECAY.denominator - HOURLY_DECAY.numerator;
const Q_DENOMINATOR = HOURLY_DECAY.denominator;

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Bounds lo <= q^T * scale <= hi, by squaring with floors for lo and ceilings for hi. */
function powerBounds(exponent: number, scale: bigint): [bigint, bigint] {
  let lo = scale;
  let hi = scale;
  let baseLo = (Q_NUMERATOR * scale) / Q_DENOMINATOR;
  let baseHi = ceilDiv(Q_NUMERATOR * scale, Q_DENOMINATOR);
  let e = exponent;
  while (e > 0) {
    if (e & 1) {
      lo = (lo * baseLo) / scale;
      hi = ceilDiv(hi * baseHi, scale);
    }
    e >>>= 1;
    if (e > 0) {
      baseLo = (baseLo * baseLo) / scale;
      baseHi = ceilDiv(baseHi * baseHi, scale);
    }
  }
  return [lo, hi];
}

/** floor(K (1 - x) / D) for both ends of x in [lo, hi] / scale; equal ends give floor(S) exactly. */
function floorSeriesBounds(lo: bigint, hi: bigint, scale: bigint): [bigint, bigint] {
  return [(K * (scale - hi)) / (D * scale), (K * (scale - lo)) / (D * scale)];
}

// S(T) is never an integer for T >= 1: q^T has denominator 10^(19T) with a numerator prime to 10, so
// S(T) keeps a factor 5^(19T - 33) in its denominator for T >= 2, and S(1) = 10^14 / 219. Refining the
// bounds therefore always separates S(T) from the integers; the precision limit is only a safety net.
const PRECISION_DIGITS_START = 60;
const PRECISION_DIGITS_MAX = 60 * 2 ** 6;

/**
 * floor(S(T)), the exact floor of the exact rational series, in O(log T) multiplications: interval
 * arithmetic at 10^60 decides it unless S(T) lies within ~10^-40 base units of an integer, in which
 * case the precision doubles until it does.
 */
export function exactSeriesFloor(epoch: number): bigint {
  assertEpochIndex(epoch);
  if (epoch === 0) return 0n;
  for (let digits = PRECISION_DIGITS_START; digits <= PRECISION_DIGITS_MAX; digits *= 2) {
    const scale = 10n ** BigInt(digits);
    const [lo, hi] = powerBounds(epoch, scale);
    const [floorLo, floorHi] = floorSeriesBounds(lo, hi, scale);
    if (floorLo === floorHi) return floorLo;
  }
  throw new Error(`emission series at epoch ${epoch} not decided at 10^${PRECISION_DIGITS_MAX}`);
}

function assertEpochIndex(epoch: number): void {
  if (!Number.isSafeInteger(epoch)) throw new TokenomicsError('EMISSION.INVALID_EPOCH', `epoch must be an integer, got ${epoch}`);
}

const TABLE_PRECISION = 10n ** 50n;
let table: BigInt64Array | undefined;

/**
 * The cumulative emission after every epoch, C[0..175,319], built once on first use (about 0.2 s).
 * C[T] = floor(S(T)) for T < 175,319 and C[175,319] = 300,000,000 IO: the last epoch takes the
 * remainder. Values stay below 2^63, so a BigInt64Array holds them in 1.4 MB.
 */
export function cumulativeEmissionTable(): BigInt64Array {
  if (table) return table;
  const built = new BigInt64Array(EMISSION_EPOCHS + 1);
  // The recurrence widens the interval by at most one unit of 10^-50 per epoch, so the bounds stay
  // far tighter than one base unit; an epoch they cannot decide falls back to the adaptive closed form.
  let lo = TABLE_PRECISION;
  let hi = TABLE_PRECISION;
  for (let epoch = 1; epoch < EMISSION_EPOCHS; epoch += 1) {
    lo = (lo * Q_NUMERATOR) / Q_DENOMINATOR;
    hi = ceilDiv(hi * Q_NUMERATOR, Q_DENOMINATOR);
    const [floorLo, floorHi] = floorSeriesBounds(lo, hi, TABLE_PRECISION);
    built[epoch] = floorLo === floorHi ? floorLo : exactSeriesFloor(epoch);
  }
  built[EMISSION_EPOCHS] = EMISSION_TOTAL_BASE_UNITS;
  for (let epoch = 1; epoch <= EMISSION_EPOCHS; epoch += 1) {
    // A broken schedule must never reach the ledger: crash rather than mint a negative epoch.
    if (built[epoch] <= built[epoch - 1]) throw new Error(`emission schedule not increasing at epoch ${epoch}`);
  }
  table = built;
  return built;
}

/**
 * IO base units emitted in total by the end of `epoch` (0 before epoch 1, 300M IO from the last epoch
 * on). O(1) once the table is built; before that, an exact closed form costs about 30 microseconds.
 */
export function cumulativeEmission(epoch: number): bigint {
  assertEpochIndex(epoch);
  if (epoch <= 0) return 0n;
  if (epoch >= EMISSION_EPOCHS) return EMISSION_TOTAL_BASE_UNITS;
  return table ? table[epoch] : exactSeriesFloor(epoch);
}

/** IO base units minted in `epoch`; epochs outside 1 .. 175,319 emit nothing. */
export function emissionForEpoch(epoch: number): bigint {
  assertEpochIndex(epoch);
  if (epoch < 1 || epoch > EMISSION_EPOCHS) return 0n;
  return cumulativeEmission(epoch) - cumulativeEmission(epoch - 1);
}

/** IO base units emitted in epochs from..to inclusive (clamped to the schedule). */
export function emissionBetween(fromEpoch: number, toEpoch: number): bigint {
  assertEpochIndex(fromEpoch);
  assertEpochIndex(toEpoch);
  if (toEpoch < fromEpoch) return 0n;
  return cumulativeEmission(toEpoch) - cumulativeEmission(fromEpoch - 1);
}
