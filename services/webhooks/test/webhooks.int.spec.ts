import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, billingV1, leasingV1, newEventId } from '@ionet/contracts';
import { ApiKeyService, CLOCK, type Clock } from '@ionet/platform';
import { testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { deliveryIdOf } from '../src/application/fan-out';
import type { WebhooksConfig } from '../src/webhooks.config';
import { Receiver } from './support/receiver';
import { startWebhooks, stopWebhooks } from './support/service';
import { publish, sourceEvent } from './support/source-events';

/** What the tests read from answers and webhook bodies: JSON, looked at field by field. */
interface Json {
  [key: string]: string & Json & Json[];
}

/** One hour of the service's clock per wall second: the day-long retry schedule runs in about 28 s. */
const CLOCK_RATE = 3_600;
const SCHEDULE_WALL_MS = Math.ceil(99_305_000 / CLOCK_RATE);

describe('webhooks: platform events -> signed Standard Webhooks deliveries, retries, rotation, disabling', () => {
  const ns = testNamespace('webhooks-flow');
  const receiver = new Receiver();
  let svc: RunningTestService<WebhooksConfig>;
  let clock: Clock;
  let producer: Producer;
  const orgA = randomUUID();
  const orgB = randomUUID();
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    svc = await startWebhooks(ns, receiver, {
      CLOCK_RATE: String(CLOCK_RATE),
      CLOCK_ORIGIN: new Date().toISOString(),
      // One hour of the service's clock: a second of waiting.
      WEBHOOKS_SECRET_OVERLAP_MS: '3600000',
      WEBHOOKS_DELIVERY_TIMEOUT_MS: '2000',
    });
    clock = svc.app.get(CLOCK);
    const keys = svc.app.get(ApiKeyService);
    keyA = (await keys.issue(orgA, ['customer'])).key;
    keyB = (await keys.issue(orgB, ['customer'])).key;
    producer = testKafka('webhooks-flow-producer').producer({ idempotent: true });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await stopWebhooks(ns, receiver, svc);
  });

  const call = async (method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };

  const createEndpoint = async (key: string, path: string, eventTypes: string[], status: (nth: number) => number = () => 200) => {
    const res = await call('POST', '/v1/webhook-endpoints', key, { url: receiver.on(path, status), eventTypes, description: path });
    expect(res.status).toBe(201);
    return { webhookEndpointId: String(res.body.webhookEndpointId), secret: String(res.body.secret) };
  };

  const deliveriesOf = async (key: string, endpointId: string): Promise<Json[]> => {
    const res = await call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`, key);
    expect(res.status).toBe(200);
    return res.body.items as Json[];
  };

  const escrowLocked = (organizationId: string, leaseId = randomUUID()) =>
    sourceEvent(
      billingV1.EscrowLockedSchema,
      {
        escrowId: randomUUID(),
        leaseId,
        customerId: organizationId,
        amount: { amountBaseUnits: '24000000', asset: Asset.USDC },
        reservationFee: { amountBaseUnits: '480000', asset: Asset.USDC },
        paymentFee: { amountBaseUnits: '0', asset: Asset.USDC },
        lockedAt: timestampFromDate(clock.now()),
      },
      { topicPrefix: ns.topicPrefix, aggregateType: 'escrow', aggregateId: leaseId, occurredAt: clock.now() },
    );

  it('keeps endpoints to their organization: the secret once, another tenant sees nothing, ops see all', async () => {
    const created = await createEndpoint(keyA, '/tenancy', ['invoice.issued', 'cluster.funded']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const read = await call('GET', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyA);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ organizationId: orgA, eventTypes: ['cluster.funded', 'invoice.issued'], status: 'active', description: '/tenancy', previousSecretExpiresAt: null });
    expect(read.body.secret).toBeUndefined();
    expect((await call('GET', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyB)).body.code).toBe('WEBHOOK_ENDPOINT.NOT_FOUND');
    expect((await call('GET', '/v1/webhook-endpoints', keyB)).body.items).toEqual([]);
    expect((await call('GET', '/v1/webhook-endpoints', svc.opsKey)).body.items.map((e: Json) => e.webhookEndpointId)).toContain(created.webhookEndpointId);
    expect((await call('DELETE', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyB)).status).toBe(404);
    expect((await call('DELETE', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyA)).status).toBe(204);
    expect((await call('DELETE', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyA)).status).toBe(204);
    expect((await call('DELETE', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyB)).status).toBe(404);
    expect((await call('GET', `/v1/webhook-endpoints/${created.webhookEndpointId}`, keyA)).status).toBe(404);

    const bad = await call('POST', '/v1/webhook-endpoints', keyA, { url: 'https://hooks.example.com/x', eventTypes: ['cluster.exploded'] });
    expect(bad.status).toBe(400);
    const unknownField = await call('POST', '/v1/webhook-endpoints', keyA, { url: 'https://hooks.example.com/x', eventTypes: ['cluster.funded'], secret: 'mine' });
    expect(unknownField.status).toBe(400);
  });

  it("delivers billing's EscrowLocked as a signed cluster.funded that the standardwebhooks package verifies; a replay and a rebuild create no second delivery", async () => {
    const endpoint = await createEndpoint(keyA, '/funded', ['cluster.funded']);
    const other = await createEndpoint(keyB, '/funded-b', ['cluster.funded']);
    const event = escrowLocked(orgA);
    await publish(producer, event);

    const [request] = await waitFor('the cluster.funded delivery', () => (receiver.at('/funded').length ? receiver.at('/funded') : undefined), 30_000);
    const payload = new Webhook(endpoint.secret).verify(request!.body, request!.headers as Record<string, string>) as Json;
    expect(payload).toMatchObject({ type: 'cluster.funded', data: { amount: { amountBaseUnits: '24000000', asset: 'USDC' }, reservationFee: { amountBaseUnits: '480000', asset: 'USDC' } } });
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => new Webhook(other.secret).verify(request!.body, request!.headers as Record<string, string>)).toThrow();

    const [delivery] = await waitFor('the delivery logged as delivered', async () => {
      const items = await deliveriesOf(keyA, endpoint.webhookEndpointId);
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(delivery).toMatchObject({ eventType: 'cluster.funded', sourceEventId: event.eventId, webhookId: request!.headers['webhook-id'], attempts: [{ attempt: 'scheduled.0', statusCode: 200 }] });
    // The id the database derived is the kit's derivedId of (endpoint, source event).
    expect(delivery!.deliveryId).toBe(deliveryIdOf(endpoint.webhookEndpointId, event.eventId));

    // The same message again on the topic (a producer's retry), then the whole topic replayed by a rebuild.
    await publish(producer, event);
    const rebuild = await call('POST', '/v1/ops/projections/webhook_fan_out/rebuild', svc.opsKey);
    expect(rebuild.status).toBe(202);
    await waitFor(
      'the rebuild to finish',
      async () => {
        const status = await call('GET', '/v1/ops/projections/webhook_fan_out', svc.opsKey);
        if (status.body.rebuild?.state === 'failed') throw new Error(`rebuild failed: ${JSON.stringify(status.body.rebuild)}`);
        return status.body.rebuild?.state === 'succeeded' ? true : undefined;
      },
      45_000,
      250,
    );
    // A later event proves the consumer is past the replayed one.
    await publish(producer, escrowLocked(orgA));
    await waitFor('the next event delivered', () => (receiver.at('/funded').length >= 2 ? true : undefined), 30_000);
    expect((await deliveriesOf(keyA, endpoint.webhookEndpointId)).filter((d) => d.sourceEventId === event.eventId)).toHaveLength(1);
    expect(receiver.at('/funded').filter((r) => r.headers['webhook-id'] === request!.headers['webhook-id'])).toHaveLength(1);
    expect(receiver.at('/funded-b')).toHaveLength(0);
  }, 120_000);

  it('a receiver that fails three times, then succeeds, gets the same webhook-id four times', async () => {
    const endpoint = await createEndpoint(keyA, '/flaky', ['cluster.running'], (nth) => (nth < 3 ? [500, 503, 429][nth]! : 204));
    const leaseId = randomUUID();
    const activatedAt = clock.now();
    await publish(
      producer,
      sourceEvent(
        leasingV1.LeaseActivatedSchema,
        { leaseId, customerId: orgA, activatedAt: timestampFromDate(activatedAt), endsAt: timestampFromDate(new Date(activatedAt.getTime() + 3_600_000)) },
        { topicPrefix: ns.topicPrefix, aggregateType: 'lease', aggregateId: leaseId, occurredAt: activatedAt },
      ),
    );
    const requests = await waitFor('four attempts', () => (receiver.at('/flaky').length >= 4 ? receiver.at('/flaky') : undefined), 30_000);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    for (const r of requests) expect(new Webhook(endpoint.secret).verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'cluster.running', data: { clusterId: leaseId } });

    const [delivery] = await waitFor('the delivery logged as delivered', async () => {
      const items = await deliveriesOf(keyA, endpoint.webhookEndpointId);
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(delivery!.attempts.map((a: Json) => [a.attempt, a.statusCode])).toEqual([
      ['scheduled.0', 500],
      ['scheduled.1', 503],
      ['scheduled.2', 429],
      ['scheduled.3', 204],
    ]);
    expect(delivery!.nextAttemptAt).toBeNull();
    const metrics = await (await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${svc.opsKey}` } })).text();
    expect(Number(/webhooks_attempts_total\{[^}]*outcome="failed"[^}]*\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
    // Svix's gaps on the service's clock: 5 s, then 5 min, then 30 min (an attempt takes a little clock time of its own).
    const times = delivery!.attempts.map((a: Json) => Date.parse(a.attemptedAt));
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(5_000);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(300_000);
    expect(times[3] - times[2]).toBeGreaterThanOrEqual(1_800_000);

    // A manual redelivery: one more attempt with the same webhook-id.
    const redelivered = await call('POST', `/v1/webhook-deliveries/${delivery!.deliveryId}/redeliver`, keyA);
    expect(redelivered.status).toBe(202);
    expect((await call('POST', `/v1/webhook-deliveries/${delivery!.deliveryId}/redeliver`, keyB)).status).toBe(404);
    await waitFor('the redelivery', () => (receiver.at('/flaky').length >= 5 ? true : undefined));
    expect(receiver.at('/flaky')[4]!.headers['webhook-id']).toBe(requests[0]!.headers['webhook-id']);
  }, 60_000);

  it('rotation: both secrets verify during the overlap, only the new one after it', async () => {
    const endpoint = await createEndpoint(keyA, '/rotation', ['invoice.issued']);
    const test = async () => {
      const before = receiver.at('/rotation').length;
      const sent = await call('POST', `/v1/webhook-endpoints/${endpoint.webhookEndpointId}/test`, keyA);
      expect(sent.status).toBe(202);
      return waitFor('the test event', () => receiver.at('/rotation')[before]);
    };
    const verifies = (secret: string, r: { body: string; headers: object }) => {
      try {
        new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    };

    const first = await test();
    expect(JSON.parse(first.body)).toMatchObject({ type: 'webhook.test', data: { webhookEndpointId: endpoint.webhookEndpointId } });
    expect(verifies(endpoint.secret, first)).toBe(true);

    const rotated = await call('POST', `/v1/webhook-endpoints/${endpoint.webhookEndpointId}/rotate-secret`, keyA);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - clock.now().getTime()).toBeLessThanOrEqual(3_600_000);

    const during = await test();
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(newSecret, during)).toBe(true);
    expect(verifies(endpoint.secret, during)).toBe(true);

    await waitFor('the overlap to end', () => (clock.now().getTime() > Date.parse(rotated.body.previousSecretExpiresAt) ? true : undefined), 10_000);
    const after = await test();
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(newSecret, after)).toBe(true);
    expect(verifies(endpoint.secret, after)).toBe(false);
  }, 60_000);

  it('a receiver down for the whole schedule: 8 attempts, then the endpoint is disabled and its owner told', async () => {
    const orgC = randomUUID();
    const keyC = (await svc.app.get(ApiKeyService).issue(orgC, ['customer'])).key;
    const down = await createEndpoint(keyC, '/down', ['cluster.hour_charged'], () => 500);
    const notices = await createEndpoint(keyC, '/notices', ['webhook_endpoint.disabled']);
    const leaseId = randomUUID();
    await publish(
      producer,
      sourceEvent(
        billingV1.UsageChargedSchema,
        {
          chargeId: randomUUID(),
          leaseId,
          customerId: orgC,
          supplierId: randomUUID(),
          deviceId: randomUUID(),
          hourIndex: 0,
          gross: { amountBaseUnits: '1990000', asset: Asset.USDC },
          supplierEarnings: { amountBaseUnits: '1890500', asset: Asset.USDC },
          platformFee: { amountBaseUnits: '99500', asset: Asset.USDC },
          sourceEventId: newEventId(),
          chargedAt: timestampFromDate(clock.now()),
        },
        { topicPrefix: ns.topicPrefix, aggregateType: 'escrow', aggregateId: leaseId, occurredAt: clock.now() },
      ),
    );

    const notice = await waitFor('the webhook_endpoint.disabled notice', () => receiver.at('/notices')[0], SCHEDULE_WALL_MS + 30_000, 250);
    const told = new Webhook(notices.secret).verify(notice.body, notice.headers as Record<string, string>) as Json;
    expect(told).toMatchObject({ type: 'webhook_endpoint.disabled', data: { webhookEndpointId: down.webhookEndpointId, reason: 'deliveries_failing', failedAttempts: 8 } });

    const downRequests = receiver.at('/down');
    expect(downRequests).toHaveLength(8);
    expect(new Set(downRequests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const endpoint = await call('GET', `/v1/webhook-endpoints/${down.webhookEndpointId}`, keyC);
    expect(endpoint.body).toMatchObject({ status: 'disabled' });
    const [delivery] = await deliveriesOf(keyC, down.webhookEndpointId);
    expect(delivery).toMatchObject({ status: 'failed', nextAttemptAt: null, lastStatusCode: 500 });
    expect(delivery!.attempts).toHaveLength(8);
    expect(told.data.lastDeliveryId).toBe(delivery!.deliveryId);

    // Disabled: no test event, no redelivery.
    expect((await call('POST', `/v1/webhook-endpoints/${down.webhookEndpointId}/test`, keyC)).body.code).toBe('WEBHOOK_ENDPOINT.DISABLED');
    expect((await call('POST', `/v1/webhook-deliveries/${delivery!.deliveryId}/redeliver`, keyC)).body.code).toBe('WEBHOOK_ENDPOINT.DISABLED');
  }, SCHEDULE_WALL_MS + 60_000);
});
