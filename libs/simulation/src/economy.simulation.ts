import {
  AccountNames as A,
  Asset,
  baseUnitsPerWhole,
  creditBalance,
  debitBalance,
  Ledger,
  LedgerError,
  LedgerOperation,
  Leg,
  transferLegs,
} from '@ionet/ledger';
import {
  allocateEpochRewards,
  ConnectivityTier,
  coStakeCountsAt,
  countedStakeBaseUnits,
  cumulativeEmission,
  cumulativeEmissionTable,
  currentOffer,
  decideStaking,
  DeviceEpochRecord,
  EMISSION_EPOCHS,
  emissionForEpoch,
  EpochRewardAllocation,
  epochEndMs,
  epochStartMs,
  evolveStaking,
  FeeCalculator,
  GENESIS_SUPPLY_BASE_UNITS,
  INITIAL_STAKING_STATE,
  leaseFees,
  MAX_SUPPLY_BASE_UNITS,
  minimumStakeBaseUnits,
  deviceMultiplierBps,
  ParameterSchedule,
  planBuyback,
  RewardPool,
  slashableStakeBaseUnits,
  SlashReason,
  StakingCommand,
  StakingEvent,
  StakingState,
  TokenomicsError,
  TokenomicsParameters,
  usdMicrosInAsset,
} from '@ionet/tokenomics';
import { Prng } from './prng';

/**
 * Rules the simulation calls through, so that a test can swap one for a deliberately broken version
 * and prove that the invariants catch it. The invariants never call these hooks: they check the
 * outcome against the parameters and the schedule independently.
 */
export interface SimulationHooks {
  readonly fees: FeeCalculator;
  readonly allocateRewards: typeof allocateEpochRewards;
  readonly emissionForEpoch: (epoch: number) => bigint;
  readonly planBuyback: typeof planBuyback;
}

export const DEFAULT_HOOKS: SimulationHooks = { fees: leaseFees, allocateRewards: allocateEpochRewards, emissionForEpoch, planBuyback };

export interface SimulationOptions {
  readonly seed: number;
  readonly steps: number;
  readonly hooks?: Partial<SimulationHooks>;
}

export interface SimulationViolation {
  readonly step: number;
  readonly code: string;
  readonly message: string;
}

export interface SimulationResult {
  readonly seed: number;
  readonly steps: number;
  /** Steps completed; less than `steps` when the run stopped at the first step with a violation. */
  readonly stepsRun: number;
  readonly ok: boolean;
  readonly violations: readonly SimulationViolation[];
  readonly stateHash: string;
  readonly ledgerSequence: number;
  readonly startEpoch: number;
  readonly lastClosedEpoch: number;
  readonly supply: { readonly genesisBaseUnits: bigint; readonly mintedBaseUnits: bigint; readonly burnedBaseUnits: bigint; readonly supplyBaseUnits: bigint };
  /** How often each action ran, was refused by a rule (an expected outcome) or was skipped. */
  readonly actions: Readonly<Record<string, number>>;
  readonly replayCommand: string;
}

export const SIMULATION_LIMITS = { stepsMax: 100_000, epochsPerStepMax: 48 } as const;

const IO = baseUnitsPerWhole('IO');
const USDC = baseUnitsPerWhole('USDC');
const HOUR_MS = 3_600_000;
const IO_MARKET = A.external('io-market');
const USDC_WORLD = A.external('usdc');

// Canonical names and the names agents report, which must weigh the same (one catalogue, ADR 0107).
const GPU_MODELS = ['H100-80GB', 'NVIDIA H100 80GB HBM3', 'A100-80GB', 'NVIDIA L40S', 'RTX 4090', 'RTX-3090', 'GTX 1080'] as const;
const CPU_MODELS = ['EPYC 7763', 'Xeon 8380'] as const;
const TIERS: readonly ConnectivityTier[] = ['ULTRA_HIGH', 'HIGH', 'MEDIUM', 'LOW'];
const SLASH_REASONS: readonly SlashReason[] = ['SPOOFED_HARDWARE', 'TAMPERED_DATA', 'FAILED_SERVICE'];
const PAYMENT_ASSETS: readonly Asset[] = ['USDC', 'IO', 'CREDIT'];

interface SimDevice {
  readonly id: string;
  readonly supplierId: string;
  readonly ownerWallet: string;
  readonly pool: RewardPool;
  readonly model: string;
  readonly gpuCount: number;
  readonly priceUsdMicrosPerGpuHour: bigint;
  readonly wallet: string | null;
  readonly tier: ConnectivityTier | null;
  onlineSinceMs: number | null;
  leaseId: string | null;
}

interface Quote {
  readonly id: string;
  readonly customerId: string;
  readonly deviceId: string;
  readonly asset: Asset;
  readonly hours: number;
  readonly hourCostBaseUnits: bigint;
  readonly createdAtMs: number;
  /** A quote fixes its terms: paying it later uses the fee parameters of the moment it was made. */
  readonly parameters: TokenomicsParameters;
}

interface Lease {
  readonly id: string;
  readonly customerId: string;
  readonly deviceId: string;
  readonly supplierId: string;
  readonly asset: Asset;
  readonly hours: number;
  readonly hourCostBaseUnits: bigint;
  hoursDone: number;
}

/** An observed fee charge, checked afterwards against the parameters in force. */
interface FeeObservation {
  readonly side: 'customer' | 'supplier';
  readonly amountBaseUnits: bigint;
  readonly asset: Asset;
  readonly parameters: TokenomicsParameters;
  readonly reservationFeeBaseUnits: bigint;
  readonly paymentFeeBaseUnits: bigint;
  readonly totalFeeBaseUnits: bigint;
}

class StepViolation extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function feeRuleViolations(o: FeeObservation): string[] {
  // floor rule, written independently of the fee code: fee * 10,000 <= amount * bps < (fee + 1) * 10,000
  const problems: string[] = [];
  const check = (fee: bigint, bps: number, name: string) => {
    const scaled = o.amountBaseUnits * BigInt(bps);
    if (!(fee * 10_000n <= scaled && scaled < (fee + 1n) * 10_000n)) problems.push(`${o.side} ${name} ${fee} on ${o.amountBaseUnits} ${o.asset} at ${bps} bps`);
  };
  check(o.reservationFeeBaseUnits, o.parameters.reservationFeeBps, 'reservation fee');
  check(o.paymentFeeBaseUnits, o.parameters.paymentFeeBps[o.asset], 'payment fee');
  if (o.totalFeeBaseUnits !== o.reservationFeeBaseUnits + o.paymentFeeBaseUnits) problems.push('total fee is not the sum of its parts');
  return problems;
}

/** The exact share of a pool for a device lies in [floor, floor + 1] (largest remainder). */
function allocationRuleViolations(allocation: EpochRewardAllocation, emission: bigint, records: readonly DeviceEpochRecord[], p: TokenomicsParameters): string[] {
  const problems: string[] = [];
  const paid = allocation.payouts.reduce((s, x) => s + x.amountBaseUnits, 0n);
  if (paid + allocation.reserveBaseUnits !== emission) problems.push(`payouts ${paid} + reserve ${allocation.reserveBaseUnits} != emission ${emission}`);
  if (allocation.payouts.some((x) => x.amountBaseUnits <= 0n) || allocation.reserveBaseUnits < 0n) problems.push('a payout or the reserve is not positive');
  const gpuPool = (emission * BigInt(p.gpuPoolShareBps)) / 10_000n;
  const poolAmount: Record<RewardPool, bigint> = { GPU: gpuPool, CPU: emission - gpuPool };
  const ineligible = new Set(allocation.ineligible.map((x) => x.deviceId));
  for (const pool of ['GPU', 'CPU'] as const) {
    const eligible = records.filter((r) => r.pool === pool && !ineligible.has(r.deviceId));
    const weight = (r: DeviceEpochRecord) => BigInt(r.deviceHours * r.unitCount) * BigInt(deviceMultiplierBps(r, p));
    const total = eligible.reduce((s, r) => s + weight(r), 0n);
    for (const r of eligible) {
      const got = allocation.payouts.filter((x) => x.deviceId === r.deviceId).reduce((s, x) => s + x.amountBaseUnits, 0n);
      const floor = total === 0n ? 0n : (poolAmount[pool] * weight(r)) / total;
      if (got < floor || got > floor + 1n) problems.push(`device ${r.deviceId} got ${got}, its exact share floors to ${floor}`);
      const co = allocation.payouts.find((x) => x.deviceId === r.deviceId && x.recipient.kind === 'co-staker');
      const expectedCo = r.coStaker ? (got * BigInt(r.coStaker.shareBps)) / 10_000n : 0n;
      if ((co?.amountBaseUnits ?? 0n) !== expectedCo) problems.push(`co-staker of ${r.deviceId} got ${co?.amountBaseUnits ?? 0n}, expected ${expectedCo}`);
    }
  }
  return problems;
}

/** One seeded marketplace history, applied step by step through the libraries to a ledger. */
class EconomySimulation {
  readonly ledger = new Ledger();
  private readonly prng: Prng;
  private readonly hooks: SimulationHooks;
  private schedule = ParameterSchedule.of();
  private staking: StakingState = INITIAL_STAKING_STATE;
  private readonly devices: SimDevice[] = [];
  private readonly customers: string[] = [];
  private readonly coStakers: string[] = [];
  private readonly quotes = new Map<string, Quote>();
  private readonly leases = new Map<string, Lease>();
  private feeObservations: FeeObservation[] = [];
  readonly actions: Record<string, number> = {};
  readonly startEpoch: number;
  lastClosedEpoch: number;
  nowMs: number;
  private ioPriceUsdMicros: bigint;
  private counter = 0;
  step = 0;

  constructor(
    readonly seed: number,
    hooks: Partial<SimulationHooks>,
  ) {
    // Built once per process (about 0.2 s), so that every epoch and every check is a table lookup.
    cumulativeEmissionTable();
    this.prng = new Prng(seed);
    this.hooks = { ...DEFAULT_HOOKS, ...hooks };
    // Most histories start anywhere in the schedule; some at its very start or end, where rounding and
    // the last epoch's remainder live, and some after it, where nothing is emitted any more.
    const where = this.prng.int(10);
    this.startEpoch =
      where < 6 ? this.prng.between(1, EMISSION_EPOCHS) : where < 8 ? this.prng.between(EMISSION_EPOCHS - 40, EMISSION_EPOCHS + 5) : this.prng.between(1, 6);
    this.lastClosedEpoch = this.startEpoch - 1;
    this.nowMs = epochStartMs(this.startEpoch) + this.prng.int(HOUR_MS);
    this.ioPriceUsdMicros = BigInt(this.prng.between(200_000, 5_000_000));
    this.genesis();
  }

  private id(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter}`;
  }

  private count(name: string): void {
    this.actions[name] = (this.actions[name] ?? 0) + 1;
  }

  private params(): TokenomicsParameters {
    return this.schedule.at(this.nowMs);
  }

  private open(...names: string[]): void {
    for (const name of names) if (!this.ledger.hasAccount(name)) this.ledger.openAccount(name);
  }

  private post(id: string, legs: Leg[]): void {
    const nonZero = legs.filter((l) => l.amountBaseUnits !== 0n);
    if (nonZero.length === 0) return;
    for (const leg of nonZero) this.open(leg.account);
    this.submit([{ type: 'entry', id, atMs: this.nowMs, legs: nonZero }]);
  }

  private submit(operations: LedgerOperation[]): void {
    try {
      this.ledger.submitLinked(operations);
    } catch (error) {
      // Every operation is prepared from a model that predicts it succeeds; a refusal means a rule broke.
      if (error instanceof LedgerError) throw new StepViolation(error.code, `${error.message} (ops ${operations.map((o) => o.id).join(', ')})`);
      throw error;
    }
  }

  private genesis(): void {
    this.open(A.tokenGenesis, A.tokenMinted, A.tokenBurned, A.tokenEmissionReserve, IO_MARKET, USDC_WORLD, A.platformFees, A.platformCreditsIssued);
    this.open(A.platformCreditBacking, A.treasuryBuyback, A.treasuryOperations, A.stakingSlashEscrow);
    this.post('genesis', transferLegs(A.tokenGenesis, IO_MARKET, 'IO', GENESIS_SUPPLY_BASE_UNITS));
    // Emissions before the simulated history began, minted in one entry so supply is right from step 0.
    this.post('emissions-before-start', transferLegs(A.tokenMinted, IO_MARKET, 'IO', cumulativeEmission(this.startEpoch - 1)));
    // Compressed timings (hours instead of weeks) let cooldowns, exits and appeals finish within a
    // short history; the change is itself a ParameterChanged, as governance would publish it.
    this.schedule = this.schedule.apply({
      changeId: 'simulation-timings',
      decidedAtMs: this.nowMs,
      effectiveFromMs: this.nowMs,
      changes: {
        unstakeCooldownMs: this.prng.between(1, 12) * HOUR_MS,
        coStakeExitWaitMs: this.prng.between(1, 6) * HOUR_MS,
        slashAppealWindowMs: this.prng.between(1, 12) * HOUR_MS,
      },
    });
    const supplierCount = this.prng.between(1, 4);
    for (let s = 0; s < supplierCount; s += 1) {
      const supplierId = `s${s}`;
      const ownerWallet = `owner${s}`;
      const deviceCount = this.prng.between(1, 3);
      for (let d = 0; d < deviceCount; d += 1) {
        const cpu = this.prng.chance(1, 5);
        const device: SimDevice = {
          id: `${supplierId}-d${d}`,
          supplierId,
          ownerWallet,
          pool: cpu ? 'CPU' : 'GPU',
          model: cpu ? this.prng.pick(CPU_MODELS) : this.prng.pick(GPU_MODELS),
          gpuCount: cpu ? 1 : this.prng.pick([1, 2, 4, 8]),
          priceUsdMicrosPerGpuHour: BigInt(this.prng.between(100_000, 4_000_000)),
          wallet: this.prng.chance(1, 10) ? null : ownerWallet,
          tier: this.prng.chance(1, 10) ? null : this.prng.pick(TIERS),
          onlineSinceMs: this.prng.chance(4, 5) ? this.nowMs - this.prng.between(0, 10) * HOUR_MS : null,
          leaseId: null,
        };
        this.devices.push(device);
        this.stakingCommand({ type: 'RegisterDevice', deviceId: device.id, ownerWallet, model: device.model, gpuCount: device.gpuCount, pool: device.pool, atMs: this.nowMs });
        this.open(A.supplierEarnings(supplierId), A.supplierRewards(supplierId), A.stakerStaked(ownerWallet), A.stakerUnbonding(ownerWallet));
        if (this.prng.chance(3, 4)) this.stakeMinimum(device);
      }
    }
    const customerCount = this.prng.between(1, 4);
    for (let c = 0; c < customerCount; c += 1) {
      this.customers.push(`c${c}`);
      this.open(A.customerAvailable(`c${c}`), A.customerEscrow(`c${c}`));
    }
    const coStakerCount = this.prng.between(1, 3);
    for (let w = 0; w < coStakerCount; w += 1) {
      this.coStakers.push(`co${w}`);
      this.open(A.stakerStaked(`co${w}`), A.stakerUnbonding(`co${w}`), A.stakerRewards(`co${w}`));
    }
  }

  private stakeMinimum(device: SimDevice): void {
    const minimum = minimumStakeBaseUnits(device.model, device.gpuCount, this.params(), device.pool);
    const extra = this.prng.chance(1, 2) ? 0n : this.prng.bigintBetween(0n, minimum);
    this.stakingCommand({ type: 'DepositStake', deviceId: device.id, wallet: device.ownerWallet, amountBaseUnits: minimum + extra, atMs: this.nowMs });
  }

  /** Decides a staking command; a refusal is an expected outcome of a random history, not a violation. */
  private stakingCommand(command: StakingCommand): boolean {
    let events: StakingEvent[];
    try {
      events = decideStaking(command, this.staking, this.schedule);
    } catch (error) {
      if (error instanceof TokenomicsError) {
        this.count(`refused:${error.code}`);
        return false;
      }
      throw error;
    }
    events.forEach((event, index) => {
      this.staking = evolveStaking(this.staking, event);
      this.postStakingEvent(event, `staking-${this.step}-${this.counter}-${index}`);
    });
    this.counter += 1;
    this.count(command.type);
    return true;
  }

  private postStakingEvent(event: StakingEvent, id: string): void {
    switch (event.type) {
      case 'DeviceRegistered':
      case 'DeviceLeaseChanged':
      case 'CoStakeOfferCreated':
      case 'CoStakeOfferCancelled':
      case 'CoStakeExitRequested':
      case 'SlashAppealed':
        return;
      case 'StakeDeposited':
        return this.post(id, transferLegs(IO_MARKET, A.stakerStaked(event.wallet), 'IO', event.amountBaseUnits));
      case 'UnstakeRequested':
        return this.post(id, transferLegs(A.stakerStaked(event.wallet), A.stakerUnbonding(event.wallet), 'IO', event.amountBaseUnits));
      case 'UnstakeWithdrawn':
        return this.post(id, transferLegs(A.stakerUnbonding(event.wallet), IO_MARKET, 'IO', event.amountBaseUnits));
      case 'CoStakeOfferClaimed':
        return this.post(id, transferLegs(IO_MARKET, A.stakerStaked(event.coStakerWallet), 'IO', event.amountBaseUnits));
      case 'CoStakeWithdrawn':
        return this.post(id, transferLegs(A.stakerStaked(event.coStakerWallet), IO_MARKET, 'IO', event.amountBaseUnits));
      case 'StakeSlashed': {
        const fromUnbonding = event.fromUnstakes.reduce((sum, u) => sum + u.amountBaseUnits, 0n);
        const legs = [
          ...transferLegs(A.stakerStaked(event.ownerWallet), A.stakingSlashEscrow, 'IO', event.fromOwnerBaseUnits - fromUnbonding),
          ...transferLegs(A.stakerUnbonding(event.ownerWallet), A.stakingSlashEscrow, 'IO', fromUnbonding),
        ];
        if (fromUnbonding > 0n) this.count('SlashedDuringCooldown');
        if (event.coStakerWallet) legs.push(...transferLegs(A.stakerStaked(event.coStakerWallet), A.stakingSlashEscrow, 'IO', event.fromCoStakerBaseUnits));
        return this.post(id, legs);
      }
      case 'SlashRestored':
        return this.post(id, transferLegs(A.stakingSlashEscrow, IO_MARKET, 'IO', event.fromOwnerBaseUnits + event.fromCoStakerBaseUnits));
      case 'SlashBurned':
        return this.post(id, transferLegs(A.stakingSlashEscrow, A.tokenBurned, 'IO', event.amountBaseUnits));
      default: {
        const unhandled: never = event;
        throw new Error(`unhandled staking event ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private available(account: string, asset: Asset): bigint {
    const b = this.ledger.balance(account, asset);
    return b.creditsPostedBaseUnits - b.debitsPostedBaseUnits - b.debitsPendingBaseUnits;
  }

  private observeFees(amountBaseUnits: bigint, asset: Asset, parameters: TokenomicsParameters = this.params()): ReturnType<FeeCalculator> {
    const fees = this.hooks.fees(amountBaseUnits, asset, parameters);
    this.feeObservations.push({ side: 'customer', amountBaseUnits, asset, parameters, ...fees.customer });
    this.feeObservations.push({ side: 'supplier', amountBaseUnits, asset, parameters, ...fees.supplier });
    return fees;
  }

  /** Runs one step: time passes (closing epochs), then one random action. */
  runStep(): void {
    this.step += 1;
    this.feeObservations = [];
    this.advanceTime();
    this.expireQuotes();
    const actions: ReadonlyArray<readonly [number, () => void]> = [
      [6, () => this.depositUsdc()],
      [3, () => this.depositIo()],
      [2, () => this.buyCredits()],
      [8, () => this.requestQuote()],
      [7, () => this.payQuote()],
      [14, () => this.leaseHour()],
      [2, () => this.terminateEarly()],
      [3, () => this.toggleDevice()],
      [3, () => this.stakeAction()],
      [2, () => this.unstakeAction()],
      [3, () => this.coStakeAction()],
      [2, () => this.slashAction()],
      [3, () => this.payout()],
      [2, () => this.buyback()],
      [1, () => this.governance()],
      [2, () => this.withdrawCustomer()],
    ];
    actions[this.prng.weighted(actions.map(([w]) => w))][1]();
  }

  private advanceTime(): void {
    // Mostly minutes (quotes are held 20 minutes), sometimes an hour or so, rarely days of quiet.
    const kind = this.prng.int(100);
    const jump =
      kind < 70
        ? this.prng.between(60_000, 20 * 60_000)
        : kind < 94
          ? this.prng.between(20 * 60_000, 90 * 60_000)
          : this.prng.between(3, SIMULATION_LIMITS.epochsPerStepMax) * HOUR_MS;
    const target = this.nowMs + jump;
    // Epochs close at their end, in order, with the time of their end.
    while (epochEndMs(this.lastClosedEpoch + 1) <= target) {
      this.nowMs = Math.max(this.nowMs, epochEndMs(this.lastClosedEpoch + 1));
      this.closeEpoch(this.lastClosedEpoch + 1);
    }
    this.nowMs = target;
    this.ioPriceUsdMicros = BigInt(Math.max(50_000, Number(this.ioPriceUsdMicros) + this.prng.between(-50_000, 50_000)));
  }

  private closeEpoch(epoch: number): void {
    this.lastClosedEpoch = epoch;
    const emission = this.hooks.emissionForEpoch(epoch);
    if (emission === 0n) return;
    const p = this.params();
    const endMs = this.nowMs;
    const records: DeviceEpochRecord[] = this.devices.map((d) => {
      const offer = currentOffer(this.staking, d.id);
      return {
        deviceId: d.id,
        supplierId: d.supplierId,
        pool: d.pool,
        model: d.model,
        unitCount: d.gpuCount,
        deviceHours: d.onlineSinceMs !== null && d.onlineSinceMs <= epochStartMs(epoch) ? 1 : 0,
        uptimeHours: d.onlineSinceMs === null ? 0 : Math.floor((endMs - d.onlineSinceMs) / HOUR_MS),
        stakedBaseUnits: countedStakeBaseUnits(this.staking, d.id, endMs),
        walletAddress: d.wallet,
        connectivityTier: d.tier,
        coStaker: offer && offer.status === 'active' && offer.coStakerWallet ? { wallet: offer.coStakerWallet, shareBps: offer.coStakerShareBps } : null,
      };
    });
    const allocation = this.hooks.allocateRewards({ epoch, emissionBaseUnits: emission, devices: records, parameters: p });
    const problems = allocationRuleViolations(allocation, emission, records, p);
    if (problems.length > 0) throw new StepViolation('REWARDS.RULE_BROKEN', `epoch ${epoch}: ${problems.join('; ')}`);
    const legs: Leg[] = [{ account: A.tokenMinted, asset: 'IO', side: 'debit', amountBaseUnits: emission }];
    for (const payout of allocation.payouts) {
      const account = payout.recipient.kind === 'supplier' ? A.supplierRewards(payout.recipient.supplierId) : A.stakerRewards(payout.recipient.wallet);
      legs.push({ account, asset: 'IO', side: 'credit', amountBaseUnits: payout.amountBaseUnits });
    }
    legs.push({ account: A.tokenEmissionReserve, asset: 'IO', side: 'credit', amountBaseUnits: allocation.reserveBaseUnits });
    this.post(`epoch-${epoch}`, legs);
    this.count('EpochClosed');
  }

  private expireQuotes(): void {
    const holdMs = this.params().quoteHoldMs;
    for (const quote of [...this.quotes.values()]) {
      if (this.nowMs - quote.createdAtMs < holdMs) continue;
      this.submit([{ type: 'void-pending', id: `${quote.id}-expired`, atMs: this.nowMs, pendingId: quote.id }]);
      this.quotes.delete(quote.id);
      this.count('QuoteExpired');
    }
  }

  private depositUsdc(): void {
    const customer = this.prng.pick(this.customers);
    this.post(this.id('deposit-usdc'), transferLegs(USDC_WORLD, A.customerAvailable(customer), 'USDC', this.prng.bigintBetween(1n, 5_000n * USDC)));
    this.count('DepositUsdc');
  }

  private depositIo(): void {
    const customer = this.prng.pick(this.customers);
    this.post(this.id('deposit-io'), transferLegs(IO_MARKET, A.customerAvailable(customer), 'IO', this.prng.bigintBetween(1n, 2_000n * IO)));
    this.count('DepositIo');
  }

  private buyCredits(): void {
    const customer = this.prng.pick(this.customers);
    const usdc = this.prng.bigintBetween(1n, 1_000n * USDC);
    // 1 credit = 1 USD: the USDC backs the credits until they are redeemed.
    this.post(this.id('credits'), [
      ...transferLegs(USDC_WORLD, A.platformCreditBacking, 'USDC', usdc),
      ...transferLegs(A.platformCreditsIssued, A.customerAvailable(customer), 'CREDIT', usdc),
    ]);
    this.count('BuyCredits');
  }

  private requestQuote(): void {
    const idle = this.devices.filter((d) => d.onlineSinceMs !== null && d.leaseId === null && ![...this.quotes.values()].some((q) => q.deviceId === d.id));
    if (idle.length === 0) return this.count('skipped:no-idle-device');
    const device = this.prng.pick(idle);
    const customer = this.prng.pick(this.customers);
    const asset = this.prng.pick(PAYMENT_ASSETS);
    const hours = this.prng.between(1, 12);
    const hourCostBaseUnits = usdMicrosInAsset(device.priceUsdMicrosPerGpuHour * BigInt(device.gpuCount), asset, this.ioPriceUsdMicros);
    const parameters = this.params();
    const fees = this.observeFees(hourCostBaseUnits * BigInt(hours), asset, parameters);
    if (this.available(A.customerAvailable(customer), asset) < fees.customerPaysBaseUnits) return this.count('skipped:insufficient-funds');
    const quote: Quote = { id: this.id('quote'), customerId: customer, deviceId: device.id, asset, hours, hourCostBaseUnits, createdAtMs: this.nowMs, parameters };
    // The quote reserves the customer's funds (pending) for the hold time; paying posts it.
    this.submit([
      {
        type: 'pending',
        id: quote.id,
        atMs: this.nowMs,
        debitAccount: A.customerAvailable(customer),
        creditAccount: A.customerEscrow(customer),
        asset,
        amountBaseUnits: fees.customerPaysBaseUnits,
      },
    ]);
    this.quotes.set(quote.id, quote);
    this.count('QuoteReserved');
  }

  private payQuote(): void {
    if (this.quotes.size === 0) return this.count('skipped:no-quote');
    const quote = this.prng.pick([...this.quotes.values()]);
    const device = this.devices.find((d) => d.id === quote.deviceId)!;
    if (device.onlineSinceMs === null) return this.count('skipped:device-offline');
    // Sometimes the customer funds fewer hours than quoted: a partial post releases the rest.
    const hours = this.prng.chance(1, 4) ? this.prng.between(1, quote.hours) : quote.hours;
    const fees = this.observeFees(quote.hourCostBaseUnits * BigInt(hours), quote.asset, quote.parameters);
    const escrow = A.customerEscrow(quote.customerId);
    const operations: LedgerOperation[] = [
      { type: 'post-pending', id: `${quote.id}-paid`, atMs: this.nowMs, pendingId: quote.id, amountBaseUnits: fees.customerPaysBaseUnits },
    ];
    if (fees.customer.totalFeeBaseUnits > 0n) {
      operations.push({ type: 'entry', id: `${quote.id}-fees`, atMs: this.nowMs, legs: transferLegs(escrow, A.platformFees, quote.asset, fees.customer.totalFeeBaseUnits) });
    }
    this.submit(operations);
    this.quotes.delete(quote.id);
    const lease: Lease = { id: quote.id.replace('quote', 'lease'), customerId: quote.customerId, deviceId: device.id, supplierId: device.supplierId, asset: quote.asset, hours, hourCostBaseUnits: quote.hourCostBaseUnits, hoursDone: 0 };
    this.leases.set(lease.id, lease);
    device.leaseId = lease.id;
    this.stakingCommand({ type: 'SetDeviceLeased', deviceId: device.id, leased: true, atMs: this.nowMs });
    this.count(hours < quote.hours ? 'LeaseFundedPartially' : 'LeaseFunded');
  }

  /** A proven hour pays the supplier less its fees; a failed hour is refunded to the customer. */
  private leaseHour(): void {
    if (this.leases.size === 0) return this.count('skipped:no-lease');
    const lease = this.prng.pick([...this.leases.values()]);
    const escrow = A.customerEscrow(lease.customerId);
    const hourId = `${lease.id}-hour-${lease.hoursDone + 1}`;
    if (this.prng.chance(9, 10)) {
      const fees = this.observeFees(lease.hourCostBaseUnits, lease.asset);
      this.post(hourId, [
        { account: escrow, asset: lease.asset, side: 'debit', amountBaseUnits: lease.hourCostBaseUnits },
        { account: A.supplierEarnings(lease.supplierId), asset: lease.asset, side: 'credit', amountBaseUnits: fees.supplierReceivesBaseUnits },
        { account: A.platformFees, asset: lease.asset, side: 'credit', amountBaseUnits: fees.supplier.totalFeeBaseUnits },
      ]);
      this.count('LeaseHourProven');
    } else {
      this.post(hourId, transferLegs(escrow, A.customerAvailable(lease.customerId), lease.asset, lease.hourCostBaseUnits));
      this.count('LeaseHourFailedRefunded');
    }
    lease.hoursDone += 1;
    if (lease.hoursDone === lease.hours) this.endLease(lease);
  }

  /** Early termination refunds the unused hours, except the first hour (charged if unused) and the fees. */
  private terminateEarly(): void {
    if (this.leases.size === 0) return this.count('skipped:no-lease');
    const lease = this.prng.pick([...this.leases.values()]);
    const escrow = A.customerEscrow(lease.customerId);
    if (lease.hoursDone === 0) {
      const fees = this.observeFees(lease.hourCostBaseUnits, lease.asset);
      this.post(`${lease.id}-first-hour`, [
        { account: escrow, asset: lease.asset, side: 'debit', amountBaseUnits: lease.hourCostBaseUnits },
        { account: A.supplierEarnings(lease.supplierId), asset: lease.asset, side: 'credit', amountBaseUnits: fees.supplierReceivesBaseUnits },
        { account: A.platformFees, asset: lease.asset, side: 'credit', amountBaseUnits: fees.supplier.totalFeeBaseUnits },
      ]);
      lease.hoursDone = 1;
    }
    const unused = BigInt(lease.hours - lease.hoursDone) * lease.hourCostBaseUnits;
    this.post(`${lease.id}-terminated`, transferLegs(escrow, A.customerAvailable(lease.customerId), lease.asset, unused));
    this.endLease(lease);
    this.count('LeaseTerminatedEarly');
  }

  private endLease(lease: Lease): void {
    this.leases.delete(lease.id);
    const device = this.devices.find((d) => d.id === lease.deviceId)!;
    device.leaseId = null;
    this.stakingCommand({ type: 'SetDeviceLeased', deviceId: device.id, leased: false, atMs: this.nowMs });
  }

  private toggleDevice(): void {
    const device = this.prng.pick(this.devices);
    if (device.leaseId) return this.count('skipped:device-leased');
    device.onlineSinceMs = device.onlineSinceMs === null ? this.nowMs : null;
    this.count(device.onlineSinceMs === null ? 'DeviceOffline' : 'DeviceOnline');
  }

  private stakeAction(): void {
    const device = this.prng.pick(this.devices);
    if (this.prng.chance(1, 3)) {
      const amountBaseUnits = this.prng.bigintBetween(1n, 500n * IO);
      this.stakingCommand({ type: 'DepositStake', deviceId: device.id, wallet: device.ownerWallet, amountBaseUnits, atMs: this.nowMs });
    } else {
      this.stakeMinimum(device);
    }
  }

  private unstakeAction(): void {
    const due = Object.values(this.staking.unstakes).filter((u) => !u.withdrawn);
    if (due.length > 0 && this.prng.chance(1, 2)) {
      const u = this.prng.pick(due);
      this.stakingCommand({ type: 'WithdrawUnstake', unstakeId: u.unstakeId, wallet: u.wallet, atMs: this.nowMs });
      return;
    }
    const device = this.prng.pick(this.devices);
    const staked = this.staking.devices[device.id]?.ownerStakeBaseUnits ?? 0n;
    const amountBaseUnits = this.prng.chance(1, 2) ? staked : this.prng.bigintBetween(1n, staked + 1n);
    this.stakingCommand({ type: 'RequestUnstake', unstakeId: this.id('unstake'), deviceId: device.id, wallet: device.ownerWallet, amountBaseUnits, atMs: this.nowMs });
  }

  private coStakeAction(): void {
    const offers = Object.values(this.staking.offers);
    const choice = this.prng.int(5);
    const atMs = this.nowMs;
    if (choice === 0 || offers.length === 0) {
      const device = this.prng.pick(this.devices);
      const owner = this.staking.devices[device.id]?.ownerStakeBaseUnits ?? 0n;
      this.stakingCommand({
        type: 'CreateCoStakeOffer',
        offerId: this.id('offer'),
        deviceId: device.id,
        wallet: device.ownerWallet,
        requestedBaseUnits: this.prng.bigintBetween(1n, owner + 2n),
        coStakerShareBps: this.prng.between(0, 10_000),
        atMs,
      });
      return;
    }
    const offer = this.prng.pick(offers);
    const coStaker = offer.coStakerWallet ?? this.prng.pick(this.coStakers);
    switch (choice) {
      case 1:
        this.stakingCommand({ type: 'ClaimCoStakeOffer', offerId: offer.offerId, coStakerWallet: this.prng.chance(1, 10) ? offer.ownerWallet : coStaker, atMs });
        return;
      case 2:
        this.stakingCommand({ type: 'RequestCoStakeExit', offerId: offer.offerId, coStakerWallet: coStaker, atMs });
        return;
      case 3:
        this.stakingCommand({ type: 'WithdrawCoStake', offerId: offer.offerId, coStakerWallet: coStaker, atMs });
        return;
      default:
        this.stakingCommand({ type: 'CancelCoStakeOffer', offerId: offer.offerId, wallet: offer.ownerWallet, atMs });
    }
  }

  private slashAction(): void {
    const slashes = Object.values(this.staking.slashes).filter((s) => s.status === 'open' || s.status === 'appealed');
    const atMs = this.nowMs;
    if (slashes.length > 0 && this.prng.chance(2, 3)) {
      const slash = this.prng.pick(slashes);
      if (slash.status === 'appealed') {
        this.stakingCommand({ type: 'ResolveSlashAppeal', slashId: slash.slashId, appealWon: this.prng.chance(1, 2), atMs });
      } else if (this.prng.chance(1, 2)) {
        this.stakingCommand({ type: 'AppealSlash', slashId: slash.slashId, atMs });
      } else {
        this.stakingCommand({ type: 'BurnSlash', slashId: slash.slashId, atMs });
      }
      return;
    }
    const device = this.prng.pick(this.devices);
    const slashable = slashableStakeBaseUnits(this.staking, device.id, atMs);
    const atStake = slashable.ownerBaseUnits + slashable.coStakeBaseUnits;
    this.stakingCommand({
      type: 'SlashStake',
      slashId: this.id('slash'),
      deviceId: device.id,
      reason: this.prng.pick(SLASH_REASONS),
      amountBaseUnits: this.prng.bigintBetween(1n, atStake + 1n),
      atMs,
    });
  }

  /** Pays out suppliers' earnings (credits are redeemed for their USDC backing) and rewards. */
  private payout(): void {
    const device = this.prng.pick(this.devices);
    const earnings = A.supplierEarnings(device.supplierId);
    const legs: Leg[] = [];
    for (const asset of PAYMENT_ASSETS) {
      const amount = this.available(earnings, asset);
      if (amount <= 0n) continue;
      if (asset === 'CREDIT') {
        legs.push(...transferLegs(earnings, A.platformCreditsIssued, 'CREDIT', amount), ...transferLegs(A.platformCreditBacking, USDC_WORLD, 'USDC', amount));
      } else {
        legs.push(...transferLegs(earnings, asset === 'IO' ? IO_MARKET : USDC_WORLD, asset, amount));
      }
    }
    const rewards = this.available(A.supplierRewards(device.supplierId), 'IO');
    if (rewards > 0n) legs.push(...transferLegs(A.supplierRewards(device.supplierId), IO_MARKET, 'IO', rewards));
    const coStaker = this.prng.pick(this.coStakers);
    const coRewards = this.available(A.stakerRewards(coStaker), 'IO');
    if (coRewards > 0n) legs.push(...transferLegs(A.stakerRewards(coStaker), IO_MARKET, 'IO', coRewards));
    if (legs.length === 0) return this.count('skipped:nothing-to-pay');
    this.post(this.id('payout'), legs);
    this.count('Payout');
  }

  /**
   * Buyback and burn. Credit fees are redeemed for their USDC first; the governed share of USDC fees
   * buys IO at the oracle price, which is burned; IO fees are burned directly by the same share.
   */
  private buyback(): void {
    const p = this.params();
    const creditFees = this.available(A.platformFees, 'CREDIT');
    if (creditFees > 0n) {
      this.post(this.id('redeem-credit-fees'), [
        ...transferLegs(A.platformFees, A.platformCreditsIssued, 'CREDIT', creditFees),
        ...transferLegs(A.platformCreditBacking, A.platformFees, 'USDC', creditFees),
      ]);
    }
    const revenue = this.available(A.platformFees, 'USDC');
    const carried = this.available(A.treasuryBuyback, 'USDC');
    const plan = this.hooks.planBuyback({ revenueUsdcBaseUnits: revenue, carriedUsdcBaseUnits: carried, buybackShareBps: p.buybackShareBps, ioPriceUsdMicrosPerIo: this.ioPriceUsdMicros });
    const id = this.id('buyback');
    this.post(`${id}-split`, [
      { account: A.platformFees, asset: 'USDC', side: 'debit', amountBaseUnits: revenue },
      { account: A.treasuryBuyback, asset: 'USDC', side: 'credit', amountBaseUnits: plan.toBuybackUsdcBaseUnits },
      { account: A.treasuryOperations, asset: 'USDC', side: 'credit', amountBaseUnits: plan.toOperationsUsdcBaseUnits },
    ]);
    // The swap and the burn are one unit: bought IO never sits unburned in the ledger.
    this.post(`${id}-swap-burn`, [
      ...transferLegs(A.treasuryBuyback, USDC_WORLD, 'USDC', plan.usdcSpentBaseUnits),
      ...transferLegs(IO_MARKET, A.tokenBurned, 'IO', plan.ioToBurnBaseUnits),
    ]);
    const ioFees = this.available(A.platformFees, 'IO');
    const ioBurn = (ioFees * BigInt(p.buybackShareBps)) / 10_000n;
    this.post(`${id}-io-fees`, [
      { account: A.platformFees, asset: 'IO', side: 'debit', amountBaseUnits: ioFees },
      { account: A.tokenBurned, asset: 'IO', side: 'credit', amountBaseUnits: ioBurn },
      { account: A.treasuryOperations, asset: 'IO', side: 'credit', amountBaseUnits: ioFees - ioBurn },
    ]);
    this.count('Buyback');
  }

  private governance(): void {
    const changes: Partial<TokenomicsParameters> = this.prng.pick([
      { reservationFeeBps: this.prng.between(0, 100) },
      { paymentFeeBps: { USDC: this.prng.between(0, 500), IO: this.prng.between(0, 100), CREDIT: this.prng.between(0, 500) } },
      { gpuPoolShareBps: this.prng.between(5_000, 10_000) },
      { buybackShareBps: this.prng.between(0, 10_000) },
      { minimumUptimeHours: this.prng.between(0, 8) },
    ]);
    this.schedule = this.schedule.apply({ changeId: this.id('param'), decidedAtMs: this.nowMs, effectiveFromMs: this.nowMs + this.prng.int(3 * HOUR_MS), changes });
    this.count('ParameterChanged');
  }

  private withdrawCustomer(): void {
    const customer = this.prng.pick(this.customers);
    const asset = this.prng.pick(PAYMENT_ASSETS);
    const free = this.available(A.customerAvailable(customer), asset);
    if (free <= 0n || asset === 'CREDIT') return this.count('skipped:nothing-to-withdraw');
    const amount = this.prng.bigintBetween(1n, free);
    this.post(this.id('withdraw'), transferLegs(A.customerAvailable(customer), asset === 'IO' ? IO_MARKET : USDC_WORLD, asset, amount));
    this.count('CustomerWithdrawal');
  }

  supply() {
    const genesisBaseUnits = debitBalance(this.ledger.balance(A.tokenGenesis, 'IO'));
    const mintedBaseUnits = debitBalance(this.ledger.balance(A.tokenMinted, 'IO'));
    const burnedBaseUnits = creditBalance(this.ledger.balance(A.tokenBurned, 'IO'));
    return { genesisBaseUnits, mintedBaseUnits, burnedBaseUnits, supplyBaseUnits: genesisBaseUnits + mintedBaseUnits - burnedBaseUnits };
  }

  /** Every invariant of the economy, each reported; none of them calls the hooks. */
  violations(): SimulationViolation[] {
    const found: SimulationViolation[] = [];
    const add = (code: string, message: string) => found.push({ step: this.step, code, message });
    for (const v of this.ledger.checkInvariants()) add(v.code, v.message);

    const { genesisBaseUnits, mintedBaseUnits, burnedBaseUnits, supplyBaseUnits } = this.supply();
    if (genesisBaseUnits !== GENESIS_SUPPLY_BASE_UNITS) add('SUPPLY.GENESIS', `genesis is ${genesisBaseUnits}`);
    const scheduled = cumulativeEmission(this.lastClosedEpoch);
    if (mintedBaseUnits !== scheduled) add('SUPPLY.MINTED_OFF_SCHEDULE', `minted ${mintedBaseUnits}, schedule says ${scheduled} after epoch ${this.lastClosedEpoch}`);
    if (supplyBaseUnits > MAX_SUPPLY_BASE_UNITS) add('SUPPLY.OVER_CAP', `supply ${supplyBaseUnits} exceeds 800M IO`);
    let held = 0n;
    this.ledger.forEachBalance((account, asset, balance) => {
      if (asset === 'IO' && account !== A.tokenGenesis && account !== A.tokenMinted && account !== A.tokenBurned) held += creditBalance(balance);
    });
    if (held !== supplyBaseUnits) add('SUPPLY.HOLDINGS_MISMATCH', `IO held ${held} != supply ${supplyBaseUnits} (burned ${burnedBaseUnits})`);

    for (const o of this.feeObservations) for (const problem of feeRuleViolations(o)) add('FEES.RULE_BROKEN', problem);

    const stakedByWallet = new Map<string, bigint>();
    const unbondingByWallet = new Map<string, bigint>();
    const addTo = (m: Map<string, bigint>, wallet: string, amount: bigint) => m.set(wallet, (m.get(wallet) ?? 0n) + amount);
    for (const d of Object.values(this.staking.devices)) addTo(stakedByWallet, d.ownerWallet, d.ownerStakeBaseUnits);
    for (const o of Object.values(this.staking.offers)) if (o.coStakerWallet) addTo(stakedByWallet, o.coStakerWallet, o.coStakeBaseUnits);
    for (const u of Object.values(this.staking.unstakes)) if (!u.withdrawn) addTo(unbondingByWallet, u.wallet, u.amountBaseUnits);
    const wallets = new Set([...this.devices.map((d) => d.ownerWallet), ...this.coStakers]);
    for (const wallet of wallets) {
      const staked = creditBalance(this.ledger.balance(A.stakerStaked(wallet), 'IO'));
      const unbonding = creditBalance(this.ledger.balance(A.stakerUnbonding(wallet), 'IO'));
      if (staked !== (stakedByWallet.get(wallet) ?? 0n)) add('STAKING.LEDGER_MISMATCH', `${wallet} staked ${staked} in the ledger, ${stakedByWallet.get(wallet) ?? 0n} in the book`);
      if (unbonding !== (unbondingByWallet.get(wallet) ?? 0n)) add('STAKING.LEDGER_MISMATCH', `${wallet} unbonding ${unbonding} in the ledger`);
    }
    const openSlashes = Object.values(this.staking.slashes)
      .filter((s) => s.status === 'open' || s.status === 'appealed')
      .reduce((s, x) => s + x.fromOwnerBaseUnits + x.fromCoStakerBaseUnits, 0n);
    if (creditBalance(this.ledger.balance(A.stakingSlashEscrow, 'IO')) !== openSlashes) add('STAKING.SLASH_ESCROW_MISMATCH', 'slash escrow differs from open slashes');
    // The co-stake limit (ADR 0103, 0107) holds after every command, slashes included.
    const maxShareBps = BigInt(this.params().coStakeMaxShareBps);
    for (const d of Object.values(this.staking.devices)) {
      const offer = currentOffer(this.staking, d.deviceId);
      if (!offer || !coStakeCountsAt(offer, this.nowMs) || offer.coStakeBaseUnits === 0n) continue;
      if (offer.coStakeBaseUnits * 10_000n > maxShareBps * (d.ownerStakeBaseUnits + offer.coStakeBaseUnits)) {
        add('STAKING.CO_STAKE_OVER_LIMIT', `${d.deviceId}: co-stake ${offer.coStakeBaseUnits} against owner stake ${d.ownerStakeBaseUnits}`);
      }
    }

    const creditsOut = debitBalance(this.ledger.balance(A.platformCreditsIssued, 'CREDIT'));
    const backing = creditBalance(this.ledger.balance(A.platformCreditBacking, 'USDC'));
    if (creditsOut !== backing) add('CREDITS.BACKING_MISMATCH', `credits outstanding ${creditsOut} but USDC backing ${backing}`);

    for (const customer of this.customers) {
      for (const asset of PAYMENT_ASSETS) {
        const expected = [...this.leases.values()]
          .filter((l) => l.customerId === customer && l.asset === asset)
          .reduce((s, l) => s + BigInt(l.hours - l.hoursDone) * l.hourCostBaseUnits, 0n);
        const escrow = this.ledger.balance(A.customerEscrow(customer), asset);
        if (creditBalance(escrow) !== expected) add('ESCROW.MISMATCH', `${customer} escrow ${creditBalance(escrow)} ${asset}, unused lease hours ${expected}`);
      }
    }
    return found;
  }
}

export function replayCommand(seed: number, steps: number): string {
  return `npm run simulate -- economy --seed ${seed} --steps ${steps}`;
}

/**
 * Runs one seeded history. After every step every invariant is checked; the run stops at the first
 * step with violations and reports all of that step's violations.
 */
export function runEconomySimulation(options: SimulationOptions): SimulationResult {
  const { seed, steps } = options;
  if (!Number.isSafeInteger(steps) || steps < 0 || steps > SIMULATION_LIMITS.stepsMax) throw new RangeError(`steps must be 0..${SIMULATION_LIMITS.stepsMax}`);
  const sim = new EconomySimulation(seed, options.hooks ?? {});
  let violations: SimulationViolation[] = sim.violations();
  while (violations.length === 0 && sim.step < steps) {
    try {
      sim.runStep();
      violations = sim.violations();
    } catch (error) {
      if (!(error instanceof StepViolation)) throw error;
      violations = [{ step: sim.step, code: error.code, message: error.message }, ...sim.violations()];
    }
  }
  if (violations.length === 0) {
    violations = sim.ledger.checkInvariants({ full: true }).map((v) => ({ step: sim.step, code: v.code, message: v.message }));
  }
  return {
    seed,
    steps,
    stepsRun: sim.step,
    ok: violations.length === 0,
    violations,
    stateHash: sim.ledger.stateHash(),
    ledgerSequence: sim.ledger.sequence,
    startEpoch: sim.startEpoch,
    lastClosedEpoch: sim.lastClosedEpoch,
    supply: sim.supply(),
    actions: { ...sim.actions },
    replayCommand: replayCommand(seed, steps),
  };
}
