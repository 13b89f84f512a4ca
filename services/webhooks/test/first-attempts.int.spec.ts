import { CLOCK, LOGGER, PG_POOL, type Clock, type Logger } from '@ionet/platform';
import { testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { fanOutMany, type DeliveryStart } from '../src/application/fan-out';
import { FirstAttempts, recordFirstAttempts } from '../src/application/first-attempts';
import { DeliveryQueue } from '../src/infrastructure/delivery/delivery-queue';
import { WebhookSender } from '../src/infrastructure/delivery/webhook-sender';
import type { WebhooksConfig } from '../src/webhooks.config';
import { Receiver } from './support/receiver';
import { startWebhooks, stopWebhooks } from './support/service';

/** A clock minute a wall second: the sweeper's 60 s of overdue are a second of waiting. */
const CLOCK_RATE = 60;
/** The first attempt's lease, in wall time whatever the clock's rate. */
const LEASE_MS = 8_000;

describe('first attempts sent straight from the fan-out: a crash between send and record, records once', () => {
  const ns = testNamespace('webhooks-first');
  const receiver = new Receiver();
  let svc: RunningTestService<WebhooksConfig>;
  let pool: Pool;
  let clock: Clock;

  beforeAll(async () => {
    svc = await startWebhooks(ns, receiver, {
      CLOCK_RATE: String(CLOCK_RATE),
      CLOCK_ORIGIN: new Date().toISOString(),
      WEBHOOKS_DELIVERY_TIMEOUT_MS: '2000',
      WEBHOOKS_FIRST_ATTEMPT_LEASE_MS: String(LEASE_MS),
    });
    pool = svc.app.get(PG_POOL);
    clock = svc.app.get(CLOCK);
    // Topic creation and the consumer's join take long on a loaded machine.
  }, 120_000);

  afterAll(() => stopWebhooks(ns, receiver, svc));

  const createEndpoint = async (path: string, answer?: string) => {
    const res = await fetch(`${svc.baseUrl}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.opsKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.on(path, () => 200, answer), eventTypes: ['cluster.funded'] }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { webhookEndpointId: string; secret: string };
  };

  /** A new delivery to the endpoint, created as the fan-out creates it, with what its first attempt needs. */
  const newDelivery = async (webhookEndpointId: string): Promise<DeliveryStart> => {
    const now = clock.now();
    const created = await fanOutMany(pool, [{ organizationId: 'ops', type: 'cluster.funded', sourceEventId: randomUUID(), occurredAt: now, data: { clusterId: randomUUID() } }], now);
    const started = created.find((d) => d.target?.webhookEndpointId === webhookEndpointId);
    expect(started?.target).toMatchObject({ endpointStatus: 'active', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//) });
    return started!;
  };

  const attemptsOf = async (deliveryId: string) =>
    (await pool.query<{ attempt_key: string; status_code: number }>(`select attempt_key, status_code from webhook_delivery_attempts where delivery_id = $1 order by attempted_at`, [deliveryId])).rows;
  const deliveryRow = async (deliveryId: string) =>
    (await pool.query<{ status: string; attempts: number; next_attempt: number | null }>(`select status, attempts, next_attempt from webhook_deliveries where delivery_id = $1`, [deliveryId])).rows[0]!;

  it('a process that dies after sending, before recording: the sweeper sends it again after the lease, with the same webhook-id, and it is recorded once', async () => {
    const endpoint = await createEndpoint('/crash');
    const delivery = await newDelivery(endpoint.webhookEndpointId);
    const queue = svc.app.get(DeliveryQueue);
    // The dying process: sends, then its record never reaches the database.
    const dying = new FirstAttempts({
      pool: { query: () => new Promise(() => undefined) } as unknown as Pool,
      sender: svc.app.get(WebhookSender),
      clock,
      logger: svc.app.get<Logger>(LOGGER),
      queue,
      concurrency: 10,
      endpointConcurrency: 10,
      handOverAfterMs: LEASE_MS / 3,
    });
    dying.start([delivery]);
    const [first] = await waitFor('the first attempt', () => (receiver.at('/crash').length ? receiver.at('/crash') : undefined), 30_000);
    expect(new Webhook(endpoint.secret).verify(first!.body, first!.headers as Record<string, string>)).toMatchObject({ type: 'cluster.funded' });
    // Within the lease the sweeper leaves it alone (it is the dying process's, as far as anyone knows).
    expect(await deliveryRow(delivery.deliveryId)).toMatchObject({ status: 'pending', attempts: 0, next_attempt: 0 });
    await queue.sweep();
    expect(await attemptsOf(delivery.deliveryId)).toEqual([]);

    // After the lease: re-queued, sent again by a worker, recorded once.
    await waitFor('the sweeper to re-queue it', async () => ((await queue.sweep()) > 0 ? true : undefined), LEASE_MS + 30_000, 250);
    const requests = await waitFor('the second send', () => (receiver.at('/crash').length >= 2 ? receiver.at('/crash') : undefined), 30_000);
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual([first!.headers['webhook-id'], first!.headers['webhook-id']]);
    await waitFor('the delivery recorded as delivered', async () => ((await deliveryRow(delivery.deliveryId)).status === 'delivered' ? true : undefined), 30_000);
    expect(await attemptsOf(delivery.deliveryId)).toEqual([{ attempt_key: 'scheduled.0', status_code: 200 }]);
    expect(await deliveryRow(delivery.deliveryId)).toMatchObject({ attempts: 1, next_attempt: null });
  }, 90_000);

  it('records an attempt once: the same outcomes recorded twice change nothing the second time', async () => {
    const endpoint = await createEndpoint('/twice');
    const delivered = await newDelivery(endpoint.webhookEndpointId);
    const failed = await newDelivery(endpoint.webhookEndpointId);
    const at = clock.now();
    const outcomes = [
      { deliveryId: delivered.deliveryId, webhookEndpointId: delivered.target!.webhookEndpointId, at, sent: { statusCode: 204, durationMs: 3, responseExcerpt: '' } },
      { deliveryId: failed.deliveryId, webhookEndpointId: failed.target!.webhookEndpointId, at, sent: { durationMs: 2_000, error: 'no answer within 2000 ms' } },
    ];
    expect(await recordFirstAttempts(pool, outcomes)).toEqual([failed.deliveryId]);
    expect(await recordFirstAttempts(pool, outcomes)).toEqual([]);
    expect(await deliveryRow(delivered.deliveryId)).toMatchObject({ status: 'delivered', attempts: 1, next_attempt: null });
    expect(await deliveryRow(failed.deliveryId)).toMatchObject({ status: 'pending', attempts: 1, next_attempt: 1 });
    expect(await attemptsOf(failed.deliveryId)).toEqual([{ attempt_key: 'scheduled.0', status_code: null }]);
    const row = await pool.query<{ last_delivered_at: Date | null }>(`select last_delivered_at from webhook_endpoints where webhook_endpoint_id = $1`, [endpoint.webhookEndpointId]);
    expect(row.rows[0]!.last_delivered_at?.getTime()).toBe(at.getTime());
  });

  it('a receiver answering with NUL bytes gets its attempt recorded (PostgreSQL text refuses NUL)', async () => {
    const endpoint = await createEndpoint('/nul', 'o\u0000k');
    const delivery = await newDelivery(endpoint.webhookEndpointId);
    svc.app.get(FirstAttempts).start([delivery]);
    await waitFor('the delivery recorded as delivered', async () => ((await deliveryRow(delivery.deliveryId)).status === 'delivered' ? true : undefined), 30_000);
    const excerpt = await pool.query<{ response_excerpt: string }>(`select response_excerpt from webhook_delivery_attempts where delivery_id = $1`, [delivery.deliveryId]);
    expect(excerpt.rows).toEqual([{ response_excerpt: 'ok' }]);
  });
});
