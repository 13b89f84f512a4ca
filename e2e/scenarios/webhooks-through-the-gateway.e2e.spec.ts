import { waitFor } from '@ionet/testing';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer, type IssuedKey } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;

/**
 * Webhooks as a customer meets them: billing issues the organization and its key, the webhooks
 * service learns the key from billing's events, and through the gateway the customer registers an
 * endpoint, sends a test event that its receiver verifies with the official standardwebhooks
 * package, reads the delivery log, rotates the secret; another organization sees none of it.
 */
describe('webhooks through the gateway', () => {
  let stack: RunningStack;
  let customer: IssuedKey;
  let other: IssuedKey;
  let server: Server;
  let receiverUrl: string;
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ionet`;
    stack = await launchStack({ label: 'e2e-webhooks', services: ['billing', 'webhooks'] });
    const issuer = keyIssuer(stack);
    customer = await issuer.organizationWithKey('Acme AI', 'customer', 'customer');
    other = await issuer.organizationWithKey('Other Co', 'customer', 'customer');
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }, 60_000);

  it('registers an endpoint, delivers a verified test event, logs it and rotates the secret', async () => {
    const api = gatewayClient(stack.gatewayUrl, customer.key);
    const created = await api.call('POST', '/v1/webhook-endpoints', { url: receiverUrl, eventTypes: ['cluster.funded', 'cluster.hour_charged', 'invoice.issued'] });
    expect(created.status).toBe(201);
    const endpointId = created.body.webhookEndpointId as string;
    const secret = created.body.secret as string;
    expect(created.body.organizationId).toBe(customer.tenantId);

    expect((await api.call('POST', `/v1/webhook-endpoints/${endpointId}/test`)).status).toBe(202);
    const first = await waitFor('the test event at the receiver', () => received[0], 30_000, 100);
    const payload = new Webhook(secret).verify(first.body, first.headers as Record<string, string>) as { type: string; data: { webhookEndpointId: string } };
    expect(payload).toMatchObject({ type: 'webhook.test', data: { webhookEndpointId: endpointId } });

    const log = await waitFor('the delivery logged', async () => {
      const page = await api.call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`);
      const items = page.body.items as Array<{ status: string; webhookId: string; attempts: unknown[] }>;
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(log[0]!.webhookId).toBe(first.headers['webhook-id']);
    expect(log[0]!.attempts).toHaveLength(1);

    const rotated = await api.call('POST', `/v1/webhook-endpoints/${endpointId}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect((await api.call('POST', `/v1/webhook-endpoints/${endpointId}/test`)).status).toBe(202);
    const second = await waitFor('the second test event', () => received[1], 30_000, 100);
    expect(new Webhook(rotated.body.secret as string).verify(second.body, second.headers as Record<string, string>)).toBeTruthy();
    expect(new Webhook(secret).verify(second.body, second.headers as Record<string, string>)).toBeTruthy();

    const stranger = gatewayClient(stack.gatewayUrl, other.key);
    expect((await stranger.call('GET', `/v1/webhook-endpoints/${endpointId}`)).status).toBe(404);
    expect((await stranger.call('GET', '/v1/webhook-endpoints')).body.items).toEqual([]);
  });
});
