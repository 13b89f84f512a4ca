import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, commonV1, encodeSolanaAddress, inventoryV1, tokenomicsV1, verificationV1 } from '@ionet/contracts';
import { createTestSchema, deleteTestTopics, dropTestSchema, sendFact, startServiceProcess, TEST_OPS_KEY, testConnections, testKafka, testNamespace, waitFor, type ServiceProcess } from '@ionet/testing';
import { emissionForEpoch, epochAt } from '@ionet/tokenomics';
import type { Producer } from 'kafkajs';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Client } from 'pg';

jest.setTimeout(420_000);

/** One hour of platform time per wall second: the test lives through dozens of epochs. */
const CLOCK_RATE = 3_600;
const HOUR_MS = 3_600_000;
const IO = 100_000_000n;

interface EpochBody {
  epoch: number;
  status: string;
  emission: { amountBaseUnits: string } | null;
  reserve: { amountBaseUnits: string } | null;
  pools: { gpu: { amountBaseUnits: string } | null; cpu: { amountBaseUnits: string } | null };
  mint: { transactionSignature: string | null };
  allocations: Array<{ deviceId: string; recipientKind: string; recipientWallet: string; amount: { amountBaseUnits: string } }>;
}

describe('tokenomics epochs as a real process: hourly closes on the accelerated clock, allocation of minted emission, SIGKILL and restart', () => {
  const ns = testNamespace('tokenomics-epochs');
  const originMs = Date.now();
  const clockNowMs = () => originMs + (Date.now() - originMs) * CLOCK_RATE;
  const firstEpoch = epochAt(originMs);
  const env = {
    QUEUE_PREFIX: ns.queuePrefix,
    CLOCK_RATE: String(CLOCK_RATE),
    CLOCK_ORIGIN: new Date(originMs).toISOString(),
    TOKENOMICS_FIRST_EPOCH: String(firstEpoch),
    TOKENOMICS_EPOCH_SWEEP_EVERY_MS: '300000',
    TOKENOMICS_EPOCH_CLOSE_GRACE_MS: '60000',
  };
  const wallet = encodeSolanaAddress(randomBytes(32));
  const supplierId = randomUUID();
  const deviceId = randomUUID();
  let db: Client;
  let producer: Producer;
  let svc: ServiceProcess | undefined;
  const processes: ServiceProcess[] = [];

  const start = async () => {
    svc = await startServiceProcess({ service: 'tokenomics', schema: ns.schema, topicPrefix: ns.topicPrefix, env, startTimeoutMs: 120_000 });
    processes.push(svc);
    return svc;
  };
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${svc!.baseUrl}${path}`, { headers: { authorization: `Bearer ${TEST_OPS_KEY}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const closedEpochs = async () => (await db.query<{ epoch: string }>(`select epoch from epochs order by epoch`)).rows.map((r) => Number(r.epoch));

  beforeAll(async () => {
    await createTestSchema(ns.schema);
    db = new Client({ connectionString: testConnections().postgresUrl, options: `-c search_path=${ns.schema}` });
    await db.connect();
    producer = testKafka('tokenomics-epochs-facts').producer({ idempotent: true });
    await producer.connect();
  });

  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await producer?.disconnect();
    await db?.end();
    await dropTestSchema(ns.schema);
    await deleteTestTopics(ns.topicPrefix);
  });

  it('closes every hour once and in order, allocates a minted epoch to the eligible device, and catches up the hours it was down', async () => {
    await start();
    const now = clockNowMs();
    const ts = (ms: number) => timestampFromDate(new Date(ms));
    await sendFact(producer, ns.topicPrefix, 'inventory', inventoryV1.SupplierRegisteredSchema, supplierId, {
      supplierId,
      displayName: 'Ridge Farm',
      source: commonV1.SupplySource.MINING_FARM,
      payoutWallet: wallet,
      registeredAt: ts(now - 12 * HOUR_MS),
      tenantId: randomUUID(),
    });
    await sendFact(producer, ns.topicPrefix, 'inventory', inventoryV1.DeviceRegisteredSchema, deviceId, {
      deviceId,
      supplierId,
      agentPublicKey: encodeSolanaAddress(randomBytes(32)),
      deviceClass: commonV1.DeviceClass.GPU,
      gpu: { model: 'H100', vramMib: 81_920, count: 8 },
      cpuCores: 64,
      ramMib: 1_048_576,
      diskGib: 4_000,
      connectivityTier: commonV1.ConnectivityTier.HIGH,
      securityTier: commonV1.SecurityTier.SECURE,
      source: commonV1.SupplySource.MINING_FARM,
      askPricePerGpuHour: { amountBaseUnits: '1990000', asset: Asset.USDC },
      region: 'eu-central',
      countryCode: 'DE',
      registeredAt: ts(now - 10 * HOUR_MS),
      tenantId: randomUUID(),
    });
    // Qualified an hour ago after six hours up: eligible for every hour from now on.
    await sendFact(producer, ns.topicPrefix, 'verification', verificationV1.DeviceQualifiedSchema, deviceId, {
      deviceId,
      challengeId: randomUUID(),
      uptimeSeconds: BigInt(6 * 3_600),
      qualifiedAt: ts(now - HOUR_MS),
    });
    await waitFor(
      'the eligibility projection to know the device, its supplier and its uptime',
      async () => {
        const { rows } = await db.query(`select 1 from tk_devices d join tk_suppliers s using (supplier_id) join tk_device_proofs p using (device_id) join tk_uptime u using (device_id) where d.device_id = $1`, [deviceId]).catch(() => ({ rows: [] }));
        return rows.length > 0 ? true : undefined;
      },
      90_000,
      100,
    ).catch(async (err: Error) => {
      const counts = await db.query(`select (select count(*) from tk_devices) d, (select count(*) from tk_suppliers) s, (select count(*) from tk_device_proofs) p, (select count(*) from tk_uptime) u, (select count(*) from dead_letters) dl, (select json_agg(d) from dead_letters d) dls`).catch((e: Error) => ({ rows: [e.message] }));
      throw new Error(`${err.message}\n${JSON.stringify(counts.rows)}\n${svc!.output().slice(-3000)}`);
    });
    // The device's minimum stake (16,000 IO for 8x H100), through the API.
    const staked = await fetch(`${svc!.baseUrl}/v1/stakes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_OPS_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId, amountBaseUnits: (16_000n * IO).toString() }),
    });
    expect(staked.status).toBe(201);
    // Epochs closed from now on see the device (the one being closed may not), and from the hour
    // after its qualification it is eligible.
    const seen = await waitFor('a first epoch closed', async () => ((await closedEpochs()).length > 0 ? await closedEpochs() : undefined), 60_000, 100);
    const rewarded = Math.max(seen[seen.length - 1]! + 2, epochAt(now) + 1);
    await waitFor(`epoch ${rewarded} closed`, async () => ((await closedEpochs()).includes(rewarded) ? true : undefined), 60_000, 100);
    expect(seen[0]).toBe(firstEpoch);

    // The chain executor's fact: the epoch's emission minted (twice: a redelivery allocates nothing more).
    const emission = emissionForEpoch(rewarded);
    const minted = { epochNumber: BigInt(rewarded), amount: { amountBaseUnits: emission.toString(), asset: Asset.IO }, totalEmitted: { amountBaseUnits: emission.toString(), asset: Asset.IO }, chainTransactionSignature: `mint-${rewarded}`, mintedAt: ts(clockNowMs()) };
    const mintedEventId = await sendFact(producer, ns.topicPrefix, 'tokenomics', tokenomicsV1.EmissionMintedSchema, `mint-${rewarded}`, minted);
    await sendFact(producer, ns.topicPrefix, 'tokenomics', tokenomicsV1.EmissionMintedSchema, `mint-${rewarded}`, minted, { eventId: mintedEventId });
    const allocated = await waitFor(`epoch ${rewarded} allocated`, async () => {
      const res = await get<EpochBody>(`/v1/epochs/${rewarded}`);
      return res.status === 200 && res.body.status === 'allocated' ? res.body : undefined;
    }, 60_000, 200);
    const gpuPool = (emission * 9_500n) / 10_000n;
    const snapshot = await db.query(`select * from epoch_devices where epoch = $1`, [rewarded]);
    expect(snapshot.rows).toEqual([expect.objectContaining({ device_id: deviceId, device_hours: 1, reasons: [] })]);
    expect(allocated.emission?.amountBaseUnits).toBe(emission.toString());
    expect(allocated.mint.transactionSignature).toBe(`mint-${rewarded}`);
    expect(allocated.pools.gpu?.amountBaseUnits).toBe(gpuPool.toString());
    expect(allocated.allocations).toEqual([expect.objectContaining({ deviceId, recipientKind: 'supplier', recipientWallet: wallet, amount: { amountBaseUnits: gpuPool.toString(), asset: 'IO' } })]);
    // No CPU device: the CPU pool goes to the reserve, and nothing is lost.
    expect(BigInt(allocated.reserve!.amountBaseUnits)).toBe(emission - gpuPool);
    const rewards = await get<{ items: Array<{ epoch: number; amount: { amountBaseUnits: string } }> }>(`/v1/rewards?wallet=${wallet}`);
    expect(rewards.body.items).toEqual([expect.objectContaining({ epoch: rewarded, amount: { amountBaseUnits: gpuPool.toString(), asset: 'IO' } })]);

    // SIGKILL at random points (while hours close), each time down for a few platform hours.
    for (let kill = 0; kill < 2; kill++) {
      await waitFor('the process to run a while', async () => (randomInt(4) === 0 ? true : undefined), 10_000, 100);
      const downAt = clockNowMs();
      await svc!.stop('SIGKILL');
      await waitFor('three platform hours to pass while it is down', () => (clockNowMs() - downAt > 3 * HOUR_MS ? true : undefined), 30_000, 50);
      await start();
    }
    const dueAtRestart = epochAt(clockNowMs() - 60_000) - 1;
    const closed = await waitFor(`every epoch up to ${dueAtRestart} closed after the restarts`, async () => {
      const epochs = await closedEpochs();
      return epochs[epochs.length - 1]! >= dueAtRestart ? epochs : undefined;
    }, 120_000, 200);
    // Never skipped, never doubled: contiguous from the first epoch, one EpochClosed each.
    expect(closed).toEqual(Array.from({ length: closed.length }, (_, i) => firstEpoch + i));
    const { rows } = await db.query<{ streams: string; events: string }>(`select count(distinct stream_id) as streams, count(*) as events from events where event_type = $1`, [tokenomicsV1.EpochClosedSchema.typeName]);
    expect(Number(rows[0]!.events)).toBeGreaterThanOrEqual(closed.length);
    expect(Number(rows[0]!.events)).toBe(Number(rows[0]!.streams));
    const allocatedEvents = await db.query(`select 1 from events where event_type = $1`, [tokenomicsV1.RewardsAllocatedSchema.typeName]);
    expect(allocatedEvents.rowCount).toBe(2);
    expect((await db.query(`select 1 from dead_letters`)).rowCount).toBe(0);
  });
});
