import fc from 'fast-check';
import { DEFAULT_TOKENOMICS_PARAMETERS as P, TokenomicsParameters } from '../parameters/tokenomics-parameters';
import { allocateEpochRewards, ConnectivityTier, DeviceEpochRecord, EpochRewardAllocation, RewardPool } from './reward-allocation';

// Reproduce a failure with PROPERTY_SEED=<seed printed in the test name or by fast-check>; run a deeper
// search locally with PROPERTY_SCALE=50 (CI runs scale 1, a few seconds).
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_201);
const RUNS = Math.max(1, Math.round(2_000 * Number(process.env.PROPERTY_SCALE ?? 1)));
const IO = 100_000_000n;

/** The oracle's own multiplier table for the names used here (DOMAIN.md), independent of the catalogue code. */
const MODELS: Readonly<Record<string, number | 'unknown'>> = {
  'H100-80GB': 100_000,
  'NVIDIA H100 80GB HBM3': 100_000,
  'H100 SXM': 100_000,
  'A100-80GB': 50_000,
  'NVIDIA L40S': 30_000,
  'RTX 4090': 12_500,
  'RTX 3090': 10_000,
  'GTX 1080': 0,
  'Mystery GPU 9000': 'unknown',
};
const CPU_MULTIPLIER_BPS = 10_000;
const TIERS: readonly ConnectivityTier[] = ['ULTRA_HIGH', 'HIGH', 'MEDIUM', 'LOW'];

const deviceArb = fc.record({
  pool: fc.constantFrom<RewardPool>('GPU', 'GPU', 'GPU', 'CPU'),
  model: fc.constantFrom(...Object.keys(MODELS)),
  unitCount: fc.integer({ min: 1, max: 16 }),
  deviceHours: fc.integer({ min: 0, max: 3 }),
  uptimeHours: fc.integer({ min: 0, max: 10 }),
  // Stake around the minimum for the largest multiplier, so devices fall on both sides of it.
  stakedIo: fc.bigInt({ min: 0n, max: 40_000n }),
  wallet: fc.option(fc.constant('w'), { freq: 8 }),
  tier: fc.option(fc.constantFrom(...TIERS), { freq: 8 }),
  coStakeShareBps: fc.option(fc.integer({ min: 0, max: 10_000 }), { freq: 2 }),
});

const inputArb = fc.record({
  emission: fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 500_000_000_000n }), fc.bigInt({ min: 0n, max: 10n ** 30n })),
  gpuPoolShareBps: fc.oneof(fc.constant(9_500), fc.integer({ min: 0, max: 10_000 })),
  unknownGpuModelMultiplierBps: fc.option(fc.integer({ min: 0, max: 200_000 }), { freq: 3 }),
  // Ids of different lengths, so ties are broken by code-unit order ("d10" < "d9").
  devices: fc.array(deviceArb, { minLength: 0, maxLength: 30 }),
  order: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
});

function oracleMultiplier(d: DeviceEpochRecord, p: TokenomicsParameters): number | undefined {
  if (d.pool === 'CPU') return CPU_MULTIPLIER_BPS;
  const m = MODELS[d.model];
  return m === 'unknown' ? (p.unknownGpuModelMultiplierBps ?? undefined) : m;
}

function oracleEligible(d: DeviceEpochRecord, p: TokenomicsParameters): boolean {
  const m = oracleMultiplier(d, p);
  if (m === undefined || m <= 0) return false;
  const minimumTimes10k = 200n * IO * BigInt(Math.max(10_000, m)) * BigInt(d.unitCount);
  return (
    d.uptimeHours >= p.minimumUptimeHours &&
    d.stakedBaseUnits * 10_000n >= minimumTimes10k &&
    d.walletAddress !== null &&
    d.connectivityTier !== null &&
    d.deviceHours > 0
  );
}

/** Cheaper than expect() inside thousands of cases; fast-check reports the case and the seed. */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function paidTo(a: EpochRewardAllocation, deviceId: string): bigint {
  return a.payouts.filter((x) => x.deviceId === deviceId).reduce((s, x) => s + x.amountBaseUnits, 0n);
}

describe('allocateEpochRewards (property-based)', () => {
  it(`pays out exactly the emission in exact largest-remainder shares, whatever the input order (${RUNS.toLocaleString('en-US')} cases, seed ${SEED})`, () => {
    let devicesSeen = 0;
    let roundedUp = 0;
    fc.assert(
      fc.property(inputArb, ({ emission, gpuPoolShareBps, unknownGpuModelMultiplierBps, devices: raw, order }) => {
        const parameters: TokenomicsParameters = { ...P, gpuPoolShareBps, unknownGpuModelMultiplierBps };
        const devices: DeviceEpochRecord[] = raw.map((d, i) => ({
          deviceId: `d${i}`,
          supplierId: `s${i % 3}`,
          pool: d.pool,
          model: d.model,
          unitCount: d.unitCount,
          deviceHours: d.deviceHours,
          uptimeHours: d.uptimeHours,
          stakedBaseUnits: d.stakedIo * IO,
          walletAddress: d.wallet,
          connectivityTier: d.tier,
          coStaker: d.coStakeShareBps === null ? null : { wallet: `co${i}`, shareBps: d.coStakeShareBps },
        }));
        devicesSeen += devices.length;
        const a = allocateEpochRewards({ epoch: 7, emissionBaseUnits: emission, devices, parameters });

        // 1. Nothing lost, nothing made: payouts and reserve sum to the emission; every payout is positive.
        const paid = a.payouts.reduce((s, x) => s + x.amountBaseUnits, 0n);
        check(paid + a.reserveBaseUnits === emission, `payouts ${paid} + reserve ${a.reserveBaseUnits} != emission ${emission}`);
        check(a.payouts.every((x) => x.amountBaseUnits > 0n), 'a payout is not positive');

        // 2. The pools: floor(E * share) for GPU, the rest for CPU.
        const gpuPool = (emission * BigInt(gpuPoolShareBps)) / 10_000n;
        const poolAmount: Record<RewardPool, bigint> = { GPU: gpuPool, CPU: emission - gpuPool };
        check(a.pools.GPU.poolBaseUnits === gpuPool && a.pools.CPU.poolBaseUnits === emission - gpuPool, 'pool sizes');

        // 3. Eligibility decided exactly as the oracle decides it.
        const eligible = devices.filter((d) => oracleEligible(d, parameters));
        const ineligibleIds = new Set(a.ineligible.map((x) => x.deviceId));
        check(devices.filter((d) => !ineligibleIds.has(d.deviceId)).map((d) => d.deviceId).join() === eligible.map((d) => d.deviceId).join(), 'eligibility');

        let reserve = 0n;
        for (const pool of ['GPU', 'CPU'] as const) {
          const inPool = eligible.filter((d) => d.pool === pool);
          const weight = (d: DeviceEpochRecord) => BigInt(d.deviceHours * d.unitCount) * BigInt(oracleMultiplier(d, parameters)!);
          const total = inPool.reduce((s, d) => s + weight(d), 0n);
          if (total === 0n) {
            reserve += poolAmount[pool];
            continue;
          }
          // 4. Hamilton: each share is its floor or one more; the extra units go to the largest
          //    remainders, ties to the lower id; the pool is paid out whole.
          const floors = inPool.map((d) => ({ d, floor: (poolAmount[pool] * weight(d)) / total, remainder: (poolAmount[pool] * weight(d)) % total }));
          const got = floors.map((f) => ({ ...f, extra: paidTo(a, f.d.deviceId) - f.floor }));
          check(got.every((g) => g.extra === 0n || g.extra === 1n), `${pool}: a share is not its floor or one more`);
          check(got.reduce((s, g) => s + g.floor + g.extra, 0n) === poolAmount[pool], `${pool}: the pool is not paid out whole`);
          const up = got.filter((g) => g.extra === 1n);
          const down = got.filter((g) => g.extra === 0n && g.remainder > 0n);
          roundedUp += up.length;
          for (const u of up) {
            for (const n of down) {
              check(u.remainder > n.remainder || (u.remainder === n.remainder && u.d.deviceId < n.d.deviceId), `${u.d.deviceId} rounded up before ${n.d.deviceId}`);
            }
          }
          // 5. The co-staker gets floor(device amount * share), the supplier the rest.
          for (const g of got) {
            const amount = g.floor + g.extra;
            const coExpected = g.d.coStaker ? (amount * BigInt(g.d.coStaker.shareBps)) / 10_000n : 0n;
            const co = a.payouts.find((x) => x.deviceId === g.d.deviceId && x.recipient.kind === 'co-staker')?.amountBaseUnits ?? 0n;
            check(co === coExpected, `co-staker of ${g.d.deviceId} got ${co}, expected ${coExpected}`);
          }
        }
        check(a.reserveBaseUnits === reserve, `reserve ${a.reserveBaseUnits}, expected ${reserve}`);
        // 6. Ineligible devices get nothing.
        for (const id of ineligibleIds) check(paidTo(a, id) === 0n, `ineligible ${id} was paid`);

        // 7. The input order does not matter.
        const shuffled = devices
          .map((d, i) => ({ d, k: order[i % order.length] * 31 + i }))
          .sort((x, y) => x.k - y.k)
          .map((x) => x.d);
        expect(allocateEpochRewards({ epoch: 7, emissionBaseUnits: emission, devices: shuffled, parameters })).toEqual(a);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    process.stdout.write(`allocation check: ${RUNS} epochs, ${devicesSeen} device records, ${roundedUp} shares rounded up, seed ${SEED}\n`);
    expect(roundedUp).toBeGreaterThan(RUNS / 8);
  });
});
