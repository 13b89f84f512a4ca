import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Producer } from 'kafkajs';
import { Pool } from 'pg';
import { matchingService } from '../src/matching.module';
import type { MatchingConfig } from '../src/matching.config';
import { FactPublisher, type Json } from './support';

const DEVICES = 100;
const REQUESTS = 1_000;

describe('no device in two live reservations: 1,000 concurrent quotes for 100 devices across two matching instances', () => {
  const ns = testNamespace('matching-race');
  const instances: RunningTestService<MatchingConfig>[] = [];
  let producer: Producer;
  let pool: Pool;
  let key = '';
  const device = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

  beforeAll(async () => {
    // Two app instances on one database schema and one Kafka namespace: two matching replicas.
    for (let i = 0; i < 2; i++) {
      instances.push(
        await startTestService(matchingService, {
          schema: ns.schema,
          serviceName: 'matching',
          topicPrefix: ns.topicPrefix,
          env: { QUEUE_PREFIX: ns.queuePrefix, DATABASE_POOL_MAX: '10', QUOTE_ATTEMPTS_MAX: '50' },
        }),
      );
    }
    key = (await instances[0]!.app.get(ApiKeyService).issue('race-customer', ['customer'])).key;
    producer = testKafka('matching-race-facts').producer({ idempotent: true });
    await producer.connect();
    pool = new Pool({ connectionString: instances[0]!.config.DATABASE_URL, options: `-c search_path=${ns.schema}`, max: 2 });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pool?.end();
    for (const svc of instances.reverse()) await svc.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  it('reserves every device once; every refusal is a 422 with the explain', async () => {
    const facts = new FactPublisher(producer, ns);
    for (let n = 1; n <= DEVICES; n++) await facts.readyDevice({ deviceId: device(n), priceUsdMicros: BigInt(1_000_000 + n * 1_000), country: n % 2 ? 'DE' : 'NL', region: `r${n % 3}` });
    for (const svc of instances) {
      await waitFor(
        `${DEVICES} offers on ${svc.baseUrl}`,
        async () => {
          const res = await fetch(`${svc.baseUrl}/v1/hardware`, { headers: { authorization: `Bearer ${key}` } });
          const items = ((await res.json()) as { items: Json[] }).items;
          return items[0]?.availableDevices === DEVICES ? true : undefined;
        },
        30_000,
      );
    }

    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const res = await fetch(`${instances[i % 2]!.baseUrl}/v1/quotes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ clusterType: i % 3 === 0 ? 'ray' : 'container', gpuModel: 'H100-80GB', gpuCount: 8, durationHours: 1, paymentAsset: 'USDC' }),
        });
        return { status: res.status, body: (await res.json()) as Json };
      }),
    );

    const accepted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    const reserved = accepted.flatMap((a) => (a.body.devices as Json[]).map((d) => d.deviceId as string));
    expect(new Set(reserved).size).toBe(reserved.length);
    expect(accepted).toHaveLength(DEVICES);
    expect(new Set(reserved).size).toBe(DEVICES);
    expect(refused.filter((r) => r.status !== 422)).toEqual([]);
    for (const r of refused) {
      expect(r.body.code).toBe('MATCHING.UNMATCHABLE');
      const steps = (r.body.explain as { steps: Json[] }).steps;
      expect(steps.find((s) => s.filter === 'not_reserved')).toEqual({ filter: 'not_reserved', devicesLeft: 0, gpusLeft: 0 });
    }
    expect(refused).toHaveLength(REQUESTS - DEVICES);
    // The store agrees: one live reservation per device, one ClusterMatched per accepted quote.
    const rows = await pool.query<{ devices: string; quotes: string }>(`select count(*)::text as devices, count(distinct quote_id)::text as quotes from reservations`);
    expect(rows.rows[0]).toEqual({ devices: String(DEVICES), quotes: String(DEVICES) });
    const matched = await pool.query<{ n: string }>(`select count(*)::text as n from events where event_type = 'ionet.matching.v1.ClusterMatched'`);
    expect(matched.rows[0]!.n).toBe(String(DEVICES));
  }, 180_000);
});
