import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { inventoryV1, tokenomicsV1, verificationV1 } from '@ionet/contracts';
import { ApiKeyService, CLOCK, PG_POOL, type Clock } from '@ionet/platform';
import { deleteTestTopics, sendFact, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { tokenomicsService } from '../src/tokenomics.module';
import type { TokenomicsConfig } from '../src/tokenomics.config';
import { newWallet, publishSupplierDevice } from './support/facts';

const IO = 100_000_000n;
const DAY_MS = 86_400_000;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('tokenomics staking through the API: stakes, co-staking offers, unstake refused while leased, cooldown', () => {
  const ns = testNamespace('tokenomics-staking');
  let svc: RunningTestService<TokenomicsConfig>;
  let producer: Producer;
  let pool: Pool;
  let clock: Clock;
  const orgA = randomUUID();
  const orgB = randomUUID();
  let keyA: string;
  let keyB: string;
  const walletA = newWallet();
  const walletB = newWallet();
  let deviceId: string;
  let supplierId: string;

  beforeAll(async () => {
    svc = await startTestService(tokenomicsService, { schema: ns.schema, serviceName: 'tokenomics', topicPrefix: ns.topicPrefix, env: { QUEUE_PREFIX: ns.queuePrefix } });
    clock = svc.app.get(CLOCK);
    pool = svc.app.get(PG_POOL);
    const keys = svc.app.get(ApiKeyService);
    keyA = (await keys.issue(orgA, ['supplier'])).key;
    keyB = (await keys.issue(orgB, ['customer'])).key;
    producer = testKafka('tokenomics-staking-facts').producer({ idempotent: true });
    await producer.connect();
    ({ deviceId, supplierId } = await publishSupplierDevice(producer, ns.topicPrefix, { tenantId: orgA, wallet: walletA, registeredAt: clock.now() }));
    await waitFor('the device in the eligibility projection', async () => ((await pool.query(`select 1 from tk_devices d join tk_suppliers s using (supplier_id) where device_id = $1`, [deviceId]).catch(() => ({ rowCount: 0 }))).rowCount ? true : undefined), 60_000, 100);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = async (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const io = (n: bigint) => (n * IO).toString();

  it('stakes, offers and accepts a co-stake, refuses an unstake while leased, and starts the cooldown after', async () => {
    // Below the minimum of 8x H100 (16,000 IO): refused with the library's code.
    const low = await call('POST', '/v1/stakes', keyA, { deviceId, amountBaseUnits: io(15_999n) });
    expect({ status: low.status, code: low.body.code }).toEqual({ status: 422, code: 'STAKE.BELOW_MINIMUM' });
    // Another organization's device is not found; a malformed body is a 400.
    expect((await call('POST', '/v1/stakes', keyB, { deviceId, amountBaseUnits: io(16_000n) })).status).toBe(403);
    expect((await call('POST', '/v1/stakes', keyA, { deviceId, amountBaseUnits: '-5' })).status).toBe(400);

    const idempotencyKey = randomUUID();
    const staked = await call('POST', '/v1/stakes', keyA, { deviceId, amountBaseUnits: io(16_000n) }, { 'idempotency-key': idempotencyKey });
    expect(staked.status).toBe(201);
    expect(staked.body).toMatchObject({ deviceId, stakerWallet: walletA, role: 'owner', staked: { amountBaseUnits: io(16_000n), asset: 'IO' } });
    // A retried POST with the same key stakes nothing twice.
    const retried = await call('POST', '/v1/stakes', keyA, { deviceId, amountBaseUnits: io(16_000n) }, { 'idempotency-key': idempotencyKey });
    expect(retried.body.staked).toEqual({ amountBaseUnits: io(16_000n), asset: 'IO' });
    const stakeId = staked.body.stakeId as string;
    expect((await call('GET', '/v1/stakes', keyA)).body.items).toEqual([expect.objectContaining({ stakeId, staked: { amountBaseUnits: io(16_000n), asset: 'IO' } })]);
    expect((await call('GET', '/v1/stakes', keyB)).body.items).toEqual([]);

    const overHalf = await call('POST', '/v1/co-stake-offers', keyA, { deviceId, sharePercent: 20, amountBaseUnits: io(16_001n) });
    expect({ status: overHalf.status, code: overHalf.body.code }).toEqual({ status: 422, code: 'COSTAKE.OVER_HALF' });
    const offer = await call('POST', '/v1/co-stake-offers', keyA, { deviceId, sharePercent: 20, amountBaseUnits: io(8_000n) });
    expect(offer.status).toBe(201);
    expect(offer.body).toMatchObject({ deviceId, sharePercent: 20, status: 'open', stakeRequired: { amountBaseUnits: io(8_000n), asset: 'IO' } });
    const accepted = await call('POST', `/v1/co-stake-offers/${offer.body.offerId}/accept`, keyB, { coStakerWallet: walletB });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ status: 'active', coStakerWallet: walletB });
    const again = await call('POST', `/v1/co-stake-offers/${offer.body.offerId}/accept`, keyB, { coStakerWallet: newWallet() });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 422, code: 'COSTAKE.OFFER_TAKEN' });
    expect((await call('GET', '/v1/stakes', keyB)).body.items).toEqual([expect.objectContaining({ role: 'co_staker', stakerWallet: walletB, staked: { amountBaseUnits: io(8_000n), asset: 'IO' } })]);
    // What the epoch closer reads: 24,000 IO counted, the co-staker earning 20%.
    const { rows } = await pool.query(`select * from device_stakes where device_id = $1`, [deviceId]);
    expect(rows[0]).toMatchObject({ counted_base_units: io(24_000n), co_staker_wallet: walletB, co_staker_share_bps: 2_000, co_staker_earns: true });

    // Leased (inventory's fact): no unstake until the lease ends.
    const leaseId = randomUUID();
    await sendFact(producer, ns.topicPrefix, 'inventory', inventoryV1.DeviceLeasedSchema, deviceId, { deviceId, supplierId, leaseId, leasedAt: timestampFromDate(clock.now()), status: inventoryV1.DeviceStatus.LEASED }, { aggregateVersion: 10n });
    await waitFor('the device leased', async () => ((await pool.query(`select status from tk_devices where device_id = $1`, [deviceId])).rows[0]?.status === 'leased' ? true : undefined), 30_000, 100);
    const whileLeased = await call('POST', `/v1/stakes/${stakeId}/unstake`, keyA, { amountBaseUnits: io(8_000n) });
    expect({ status: whileLeased.status, code: whileLeased.body.code }).toEqual({ status: 422, code: 'STAKE.LEASED' });
    await sendFact(producer, ns.topicPrefix, 'inventory', inventoryV1.DeviceReleasedSchema, deviceId, { deviceId, supplierId, leaseId, releasedAt: timestampFromDate(clock.now()), status: inventoryV1.DeviceStatus.CLUSTER_READY }, { aggregateVersion: 11n });
    await waitFor('the device released', async () => ((await pool.query(`select status from tk_devices where device_id = $1`, [deviceId])).rows[0]?.status !== 'leased' ? true : undefined), 30_000, 100);
    const before = clock.now().getTime();
    const unstaked = await call('POST', `/v1/stakes/${stakeId}/unstake`, keyA, { amountBaseUnits: io(8_000n) });
    expect(unstaked.status).toBe(201);
    expect(unstaked.body.amount).toEqual({ amountBaseUnits: io(8_000n), asset: 'IO' });
    const cooldownDays = (Date.parse(unstaked.body.cooldownEndsAt as string) - before) / DAY_MS;
    expect(cooldownDays).toBeGreaterThanOrEqual(14);
    expect(cooldownDays).toBeLessThan(14.1);
    expect((await call('GET', '/v1/stakes', keyA)).body.items).toEqual([expect.objectContaining({ stakeId, staked: { amountBaseUnits: io(8_000n), asset: 'IO' }, unbonding: { amountBaseUnits: io(8_000n), asset: 'IO' } })]);
    // Another organization cannot touch the stake.
    expect((await call('POST', `/v1/stakes/${stakeId}/unstake`, keyB, {})).status).toBe(403);

    // Ops slash (failed service); the supplier sees it, appeals, and ops resolve it in its favour.
    const ops = svc.opsKey;
    const slashed = await call('POST', '/v1/slashes', ops, { deviceId, reason: 'failed_service', amountBaseUnits: io(1_000n) });
    expect(slashed.status).toBe(201);
    expect(slashed.body).toMatchObject({ deviceId, status: 'open', amount: { amountBaseUnits: io(1_000n), asset: 'IO' } });
    const slashId = slashed.body.slashId as string;
    expect((await call('POST', '/v1/slashes', keyA, { deviceId, reason: 'failed_service', amountBaseUnits: io(1n) })).status).toBe(403);
    expect((await call('GET', '/v1/slashes', keyA)).body.items).toEqual([expect.objectContaining({ slashId, status: 'open' })]);
    const appealed = await call('POST', `/v1/slashes/${slashId}/appeal`, keyA, {});
    expect(appealed.body).toMatchObject({ slashId, status: 'appealed' });
    const twice = await call('POST', `/v1/slashes/${slashId}/appeal`, keyA, {});
    expect({ status: twice.status, code: twice.body.code }).toEqual({ status: 422, code: 'SLASH.NOT_OPEN' });
    expect((await call('POST', `/v1/slashes/${slashId}/resolve`, keyA, { appealWon: true })).status).toBe(403);
    const resolved = await call('POST', `/v1/slashes/${slashId}/resolve`, ops, { appealWon: true });
    expect(resolved.body).toMatchObject({ slashId, status: 'restored' });

    // Verification's time-lock violation slashes 5% of the stake at risk on its own, once per fact.
    const violation = { leaseId: randomUUID(), deviceId, hourIndex: 3, hourStart: timestampFromDate(clock.now()), hourEnd: timestampFromDate(clock.now()), violation: verificationV1.TimeLockViolation.GAP_EXCEEDED, detail: 'gap', detectedAt: timestampFromDate(clock.now()) };
    const violationId = await sendFact(producer, ns.topicPrefix, 'verification', verificationV1.TimeLockViolatedSchema, deviceId, violation);
    await sendFact(producer, ns.topicPrefix, 'verification', verificationV1.TimeLockViolatedSchema, deviceId, violation, { eventId: violationId });
    const automatic = await waitFor('the violation slashed', async () => {
      const items = (await call('GET', '/v1/slashes', keyA)).body.items as Json[];
      return items.find((i) => i.evidenceEventId === violationId);
    }, 60_000, 200);
    expect(automatic).toMatchObject({ reason: 'failed_service', status: 'open' });
    expect((await call('GET', '/v1/slashes', keyA)).body.items).toHaveLength(2);

    // Every decision is an event of the contract (the refused unstake appended nothing, its lease
    // record included: the device was idle again at the next one).
    const types = (await pool.query<{ event_type: string }>(`select event_type from events where stream_type = 'staking_book' order by position`)).rows.map((r) => r.event_type);
    expect(types).toEqual(
      [
        tokenomicsV1.StakeDeviceRegisteredSchema,
        tokenomicsV1.StakeDepositedSchema,
        tokenomicsV1.CoStakeOfferCreatedSchema,
        tokenomicsV1.CoStakeOfferAcceptedSchema,
        tokenomicsV1.UnstakeRequestedSchema,
        tokenomicsV1.StakeSlashedSchema,
        tokenomicsV1.SlashAppealedSchema,
        tokenomicsV1.SlashAppealResolvedSchema,
        tokenomicsV1.StakeSlashedSchema,
      ].map((s) => s.typeName),
    );
  });
});
