import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testNamespace, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { WebhookSender } from '../src/infrastructure/delivery/webhook-sender';
import { webhooksService } from '../src/webhooks.module';
import type { WebhooksConfig } from '../src/webhooks.config';
import { Receiver } from './support/receiver';

describe('webhooks SSRF guard: no delivery to private, loopback, link-local or metadata addresses', () => {
  const ns = testNamespace('webhooks-ssrf');
  const receiver = new Receiver();
  let svc: RunningTestService<WebhooksConfig>;
  let key: string;

  beforeAll(async () => {
    await receiver.start();
    // WEBHOOKS_ALLOW_PRIVATE_TARGETS is not set: the production default.
    svc = await startTestService(webhooksService, { schema: ns.schema, serviceName: 'webhooks', topicPrefix: ns.topicPrefix, env: { QUEUE_PREFIX: ns.queuePrefix } });
    key = (await svc.app.get(ApiKeyService).issue(randomUUID(), ['customer'])).key;
  });

  afterAll(async () => {
    await svc?.close();
    await receiver.stop();
    await deleteTestTopics(ns.topicPrefix);
  });

  const create = async (url: string) => {
    const res = await fetch(`${svc.baseUrl}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url, eventTypes: ['cluster.funded'] }),
    });
    return { status: res.status, body: (await res.json()) as { code?: string; detail?: string } };
  };

  it.each([
    () => receiver.on('/x', () => 200),
    () => receiver.on('/x', () => 200).replace('127.0.0.1', 'localhost'),
    () => receiver.on('/x', () => 200).replace('127.0.0.1', '[::1]'),
    () => receiver.on('/x', () => 200).replace('127.0.0.1', '[::ffff:127.0.0.1]'),
    () => 'http://169.254.169.254/latest/meta-data/',
    () => 'http://10.0.0.5/hook',
    () => 'http://0.0.0.0/hook',
  ])('refuses an endpoint whose address is private (%#)', async (urlOf) => {
    const res = await create(urlOf());
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('WEBHOOK_ENDPOINT.PRIVATE_TARGET');
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a name that does not resolve', async () => {
    const res = await create('https://no-such-host.invalid/hook');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('WEBHOOK_ENDPOINT.INVALID_URL');
  });

  it('checks every address a name resolves to at delivery, connects only to checked ones, and never follows a redirect', async () => {
    const url = receiver.on('/target', () => 200);
    const port = new URL(url).port;
    const answers: Record<string, string[]> = { 'rebind.example': ['93.184.216.34', '127.0.0.1'], 'inside.example': ['127.0.0.1'] };
    const guarded = new WebhookSender({
      allowPrivateTargets: false,
      timeoutMs: 2_000,
      resolve: async (host) => (answers[host] ?? []).map((address) => ({ address, family: 4 })),
    });
    try {
      for (const host of ['rebind.example', 'inside.example']) {
        const outcome = await guarded.send(`http://${host}:${port}/target`, {}, '{}');
        expect(outcome.statusCode).toBeUndefined();
        expect(outcome.error).toContain('loopback');
      }
      const literal = await guarded.send(url, {}, '{}');
      expect(literal.error).toContain('loopback');
      expect(receiver.at('/target')).toHaveLength(0);
    } finally {
      guarded.close();
    }

    const open = new WebhookSender({ allowPrivateTargets: true, timeoutMs: 2_000 });
    try {
      const redirected = await open.send(receiver.on('/moved', () => 302), {}, '{}');
      expect(redirected.statusCode).toBe(302);
      expect(receiver.at('/moved')).toHaveLength(1);
      expect(receiver.at('/redirected')).toHaveLength(0);
      const reached = await open.send(url, {}, '{}');
      expect(reached.statusCode).toBe(200);
    } finally {
      open.close();
    }
  });

  it('cuts off an attempt that gets no answer in time', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const sender = new WebhookSender({ allowPrivateTargets: true, timeoutMs: 300 });
    try {
      const outcome = await sender.send(`http://127.0.0.1:${port}/`, {}, '{}');
      expect(outcome.statusCode).toBeUndefined();
      expect(outcome.error).toContain('no answer within 300 ms');
    } finally {
      sender.close();
      silent.close();
    }
  });
});
