import { baseUnitsPerWhole, type Asset } from '@ionet/ledger';
import { DEFAULT_TOKENOMICS_PARAMETERS, GPU_MODEL_CATALOGUE, type TokenomicsParameters } from '@ionet/tokenomics';
import { GovernanceError } from './governance.errors';

/** A typed parameter value, as `ionet.governance.v1.ParameterValue` carries it (integers exact). */
export type ParameterValue =
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'basis_points'; readonly value: number }
  | { readonly kind: 'money'; readonly amountBaseUnits: bigint; readonly asset: Asset }
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'rational'; readonly numerator: bigint; readonly denominator: bigint };

export type ParameterKind = 'integer' | 'basis_points' | 'money';
export type ParameterOwner = 'billing' | 'matching' | 'tokenomics' | 'governance';

/** One governed number: its owner applies it; governance checks type and bounds when proposed. */
export interface ParameterDefinition {
  readonly key: string;
  readonly owner: ParameterOwner;
  readonly kind: ParameterKind;
  /** For money parameters, the only asset accepted. */
  readonly asset?: Asset;
  /** Inclusive bounds, in the value's unit (basis points, base units, or the integer itself). */
  readonly min: bigint;
  readonly max: bigint;
  readonly defaultValue: ParameterValue;
  readonly description: string;
}

/** Governance's own numbers (Akash's mechanics, our values: ADR 0700). */
export interface GovernanceParameters {
  readonly quorumBps: number;
  readonly approvalThresholdBps: number;
  readonly proposalThresholdBaseUnits: bigint;
  readonly votingPeriodMs: number;
  readonly timelockMs: number;
  readonly treasuryGrantMaxBaseUnits: bigint;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const IO = baseUnitsPerWhole('IO');

export const DEFAULT_GOVERNANCE_PARAMETERS: GovernanceParameters = {
  quorumBps: 3_340,
  approvalThresholdBps: 5_000,
  proposalThresholdBaseUnits: 10_000n * IO,
  votingPeriodMs: 7 * DAY_MS,
  timelockMs: 2 * DAY_MS,
  treasuryGrantMaxBaseUnits: 1_000_000n * IO,
};

export const GPU_MULTIPLIER_KEY_PREFIX = 'tokenomics.multipliers.gpu.';
export const PAYOUT_PERIOD_HOURS_DEFAULT = 24;

const bps = (value: number): ParameterValue => ({ kind: 'basis_points', value });
const int = (value: number | bigint): ParameterValue => ({ kind: 'integer', value: BigInt(value) });
const io = (amountBaseUnits: bigint): ParameterValue => ({ kind: 'money', amountBaseUnits, asset: 'IO' });

function definitions(t: TokenomicsParameters, g: GovernanceParameters): ParameterDefinition[] {
  // Fee bounds of 10% each keep reservation + payment far below the 100% validateParameters allows.
  const defs: ParameterDefinition[] = [
    { key: 'billing.fees.reservation_basis_points', owner: 'billing', kind: 'basis_points', min: 0n, max: 1_000n, defaultValue: bps(t.reservationFeeBps), description: 'reservation fee charged to each side, on the lease amount' },
    { key: 'billing.fees.payment_basis_points.USDC', owner: 'billing', kind: 'basis_points', min: 0n, max: 1_000n, defaultValue: bps(t.paymentFeeBps.USDC), description: 'payment fee for leases paid in USDC' },
    { key: 'billing.fees.payment_basis_points.IO', owner: 'billing', kind: 'basis_points', min: 0n, max: 1_000n, defaultValue: bps(t.paymentFeeBps.IO), description: 'payment fee for leases paid in IO' },
    { key: 'billing.fees.payment_basis_points.CREDIT', owner: 'billing', kind: 'basis_points', min: 0n, max: 1_000n, defaultValue: bps(t.paymentFeeBps.CREDIT), description: 'payment fee for leases paid in credits' },
    { key: 'billing.payouts.period_hours', owner: 'billing', kind: 'integer', min: 1n, max: 720n, defaultValue: int(PAYOUT_PERIOD_HOURS_DEFAULT), description: 'supplier payout period for jobs longer than it' },
    { key: 'matching.quotes.hold_ms', owner: 'matching', kind: 'integer', min: 60_000n, max: BigInt(DAY_MS), defaultValue: int(t.quoteHoldMs), description: 'how long a quote holds its devices' },
    { key: 'tokenomics.emission.gpu_pool_share_basis_points', owner: 'tokenomics', kind: 'basis_points', min: 0n, max: 10_000n, defaultValue: bps(t.gpuPoolShareBps), description: 'share of each epoch emission for GPU devices (CPU devices get the rest)' },
    { key: 'tokenomics.multipliers.cpu', owner: 'tokenomics', kind: 'basis_points', min: 0n, max: 10_000_000n, defaultValue: bps(t.cpuDeviceMultiplierBps), description: 'reward multiplier of CPU devices' },
    { key: 'tokenomics.staking.minimum_stake_per_gpu', owner: 'tokenomics', kind: 'money', asset: 'IO', min: 0n, max: 1_000_000n * IO, defaultValue: io(t.minimumStakePerGpuBaseUnits), description: 'stake per GPU before the multiplier' },
    { key: 'tokenomics.buyback.share_basis_points', owner: 'tokenomics', kind: 'basis_points', min: 0n, max: 10_000n, defaultValue: bps(t.buybackShareBps), description: 'share of fee revenue spent on buyback-and-burn' },
    { key: 'governance.quorum_basis_points', owner: 'governance', kind: 'basis_points', min: 100n, max: 10_000n, defaultValue: bps(g.quorumBps), description: 'share of the stake at the snapshot that must vote' },
    { key: 'governance.approval_threshold_basis_points', owner: 'governance', kind: 'basis_points', min: 5_000n, max: 9_999n, defaultValue: bps(g.approvalThresholdBps), description: 'yes votes must be more than this share of yes + no' },
    { key: 'governance.proposal_threshold', owner: 'governance', kind: 'money', asset: 'IO', min: IO, max: 10_000_000n * IO, defaultValue: io(g.proposalThresholdBaseUnits), description: 'staked IO a wallet needs to propose' },
    { key: 'governance.voting_period_ms', owner: 'governance', kind: 'integer', min: BigInt(HOUR_MS), max: BigInt(30 * DAY_MS), defaultValue: int(g.votingPeriodMs), description: 'how long a proposal is open to votes' },
    { key: 'governance.timelock_ms', owner: 'governance', kind: 'integer', min: 0n, max: BigInt(30 * DAY_MS), defaultValue: int(g.timelockMs), description: 'wait between a passed tally and execution' },
    { key: 'governance.treasury_grant_max', owner: 'governance', kind: 'money', asset: 'IO', min: 0n, max: 100_000_000n * IO, defaultValue: io(g.treasuryGrantMaxBaseUnits), description: 'largest treasury grant one proposal may carry' },
  ];
  for (const model of GPU_MODEL_CATALOGUE) {
    const current = Object.hasOwn(t.deviceMultipliersBps, model.name) ? t.deviceMultipliersBps[model.name] : model.multiplierBps;
    defs.push({ key: `${GPU_MULTIPLIER_KEY_PREFIX}${model.name}`, owner: 'tokenomics', kind: 'basis_points', min: 0n, max: 10_000_000n, defaultValue: bps(current), description: `reward multiplier of ${model.name}` });
  }
  return defs;
}

/** Every parameter governance may change, by key. */
export const PARAMETER_REGISTRY: ReadonlyMap<string, ParameterDefinition> = new Map(
  definitions(DEFAULT_TOKENOMICS_PARAMETERS, DEFAULT_GOVERNANCE_PARAMETERS).map((d) => [d.key, Object.freeze(d)]),
);

export function parameterDefinition(key: string): ParameterDefinition {
  const def = PARAMETER_REGISTRY.get(key);
  if (!def) throw new GovernanceError('GOVERNANCE.UNKNOWN_PARAMETER', `"${key.slice(0, 120)}" is not a governed parameter`, { key: key.slice(0, 120) });
  return def;
}

/** The value in the parameter's unit, for the bounds check; a value of the wrong type is refused. */
function magnitude(def: ParameterDefinition, value: ParameterValue): bigint {
  const mismatch = (): never => {
    throw new GovernanceError('GOVERNANCE.PARAMETER_TYPE_MISMATCH', `${def.key} takes ${def.kind === 'money' ? `money in ${def.asset}` : def.kind}, not ${value.kind === 'money' ? `money in ${value.asset}` : value.kind}`, { key: def.key });
  };
  switch (value.kind) {
    case 'basis_points':
      if (def.kind !== 'basis_points' || !Number.isSafeInteger(value.value)) return mismatch();
      return BigInt(value.value);
    case 'integer':
      return def.kind === 'integer' ? value.value : mismatch();
    case 'money':
      return def.kind === 'money' && value.asset === def.asset ? value.amountBaseUnits : mismatch();
    case 'text':
    case 'rational':
      return mismatch();
    default: {
      const never: never = value;
      throw new Error(`unhandled parameter value ${String(never)}`);
    }
  }
}

/** Type and bounds, checked when a change is proposed (never first at execution). */
export function validateParameterValue(key: string, value: ParameterValue): ParameterDefinition {
  const def = parameterDefinition(key);
  const m = magnitude(def, value);
  if (m < def.min || m > def.max) {
    throw new GovernanceError('GOVERNANCE.PARAMETER_OUT_OF_BOUNDS', `${key} must be within [${def.min}, ${def.max}], got ${m}`, { key, min: def.min.toString(), max: def.max.toString() });
  }
  return def;
}

/**
 * The `@ionet/tokenomics` parameters one governed value changes, for the owners that price through
 * its ParameterSchedule (billing's fees, matching's hold, tokenomics' split, multipliers, minimum
 * stake and buyback share). Nested tables are completed from `current`, the set in force when the
 * change takes effect. Undefined for keys outside TokenomicsParameters (governance's own, payouts).
 */
export function tokenomicsPatch(key: string, value: ParameterValue, current: TokenomicsParameters): Partial<TokenomicsParameters> | undefined {
  const def = validateParameterValue(key, value);
  const n = magnitude(def, value);
  const asNumber = Number(n);
  if (key.startsWith(GPU_MULTIPLIER_KEY_PREFIX)) {
    return { deviceMultipliersBps: { ...current.deviceMultipliersBps, [key.slice(GPU_MULTIPLIER_KEY_PREFIX.length)]: asNumber } };
  }
  const paymentAsset = /^billing\.fees\.payment_basis_points\.(USDC|IO|CREDIT)$/.exec(key)?.[1] as Asset | undefined;
  if (paymentAsset) return { paymentFeeBps: { ...current.paymentFeeBps, [paymentAsset]: asNumber } };
  switch (key) {
    case 'billing.fees.reservation_basis_points':
      return { reservationFeeBps: asNumber };
    case 'matching.quotes.hold_ms':
      return { quoteHoldMs: asNumber };
    case 'tokenomics.emission.gpu_pool_share_basis_points':
      return { gpuPoolShareBps: asNumber };
    case 'tokenomics.multipliers.cpu':
      return { cpuDeviceMultiplierBps: asNumber };
    case 'tokenomics.staking.minimum_stake_per_gpu':
      return { minimumStakePerGpuBaseUnits: n };
    case 'tokenomics.buyback.share_basis_points':
      return { buybackShareBps: asNumber };
    default:
      return undefined;
  }
}

/** Governance's own numbers from a set of values by key (defaults for keys absent). */
export function governanceParametersOf(values: ReadonlyMap<string, ParameterValue>): GovernanceParameters {
  const get = (key: string): bigint => magnitude(parameterDefinition(key), values.get(key) ?? parameterDefinition(key).defaultValue);
  return {
    quorumBps: Number(get('governance.quorum_basis_points')),
    approvalThresholdBps: Number(get('governance.approval_threshold_basis_points')),
    proposalThresholdBaseUnits: get('governance.proposal_threshold'),
    votingPeriodMs: Number(get('governance.voting_period_ms')),
    timelockMs: Number(get('governance.timelock_ms')),
    treasuryGrantMaxBaseUnits: get('governance.treasury_grant_max'),
  };
}

export function sameParameterValue(a: ParameterValue, b: ParameterValue): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'money':
      return b.kind === 'money' && a.asset === b.asset && a.amountBaseUnits === b.amountBaseUnits;
    case 'rational':
      return b.kind === 'rational' && a.numerator === b.numerator && a.denominator === b.denominator;
    default:
      return (b as { value: unknown }).value === a.value;
  }
}
