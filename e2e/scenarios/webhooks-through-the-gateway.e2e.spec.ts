import { waitFor } from '@ionet/testing';
import { Webhook } from 'standardwebhooks';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer, type IssuedKey } from '../support/keys';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
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
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    stack = await launchStack({ label: 'e2e-webhooks', services: ['billing', 'webhooks'] });
    const issuer = keyIssuer(stack);
    customer = await issuer.organizationWithKey('Acme AI', 'customer', 'customer');
    other = await issuer.organizationWithKey('Other Co', 'customer', 'customer');
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  }, 60_000);

  it('registers an endpoint, delivers a verified test event, logs it and rotates the secret', async () => {
    const api = gatewayClient(stack.gatewayUrl, customer.key);
    const created = await api.call('POST', '/v1/webhook-endpoints', { url: receiver.url, eventTypes: ['cluster.funded', 'cluster.hour_charged', 'invoice.issued'] });
    expect(created.status).toBe(201);
    const endpointId = created.body.webhookEndpointId as string;
    const secret = created.body.secret as string;
    expect(created.body.organizationId).toBe(customer.tenantId);

    expect((await api.call('POST', `/v1/webhook-endpoints/${endpointId}/test`)).status).toBe(202);
    const first = await waitFor('the test event at the receiver', () => receiver.received[0], 30_000, 100);
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
    const second = await waitFor('the second test event', () => receiver.received[1], 30_000, 100);
    expect(new Webhook(rotated.body.secret as string).verify(second.body, second.headers as Record<string, string>)).toBeTruthy();
    expect(new Webhook(secret).verify(second.body, second.headers as Record<string, string>)).toBeTruthy();

    const stranger = gatewayClient(stack.gatewayUrl, other.key);
    expect((await stranger.call('GET', `/v1/webhook-endpoints/${endpointId}`)).status).toBe(404);
    expect((await stranger.call('GET', '/v1/webhook-endpoints')).body.items).toEqual([]);
  });
});
