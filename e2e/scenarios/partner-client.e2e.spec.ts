import { allPages, createIonetClient, IonetProblemError, newIdempotencyKey, unwrap, verifyWebhook, type IonetClient } from '@ionet/client';
import { waitFor } from '@ionet/testing';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acceptedEverywhere } from '../support/keys';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { launchStack, REPO_ROOT, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;
const SNAPSHOT = join(REPO_ROOT, 'libs/client/openapi.json');
const LIVE = join(REPO_ROOT, '.local/openapi.live.json');

/**
 * A partner's integration with the typed client of libs/client, against every service behind the
 * gateway: the client's OpenAPI snapshot is the gateway's live document (so the client cannot be
 * stale), and the client creates an organization and its key, registers a supplier and reads it
 * back page by page, gets typed problems, and verifies a signed webhook with its helper.
 */
describe('the typed partner client against the gateway', () => {
  let stack: RunningStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver('/partner');
    stack = await launchStack({ label: 'e2e-client' });
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  }, 60_000);

  it("is generated from the gateway's live OpenAPI document (npm run client:generate)", async () => {
    const live = await waitFor(
      'a merged document with every service',
      async () => {
        const doc = (await (await fetch(`${stack.gatewayUrl}/openapi.json`)).json()) as { info?: { 'x-ionet-services'?: { available?: string[] } } };
        const available = doc.info?.['x-ionet-services']?.available ?? [];
        return Object.keys(stack.services).every((s) => available.includes(s)) ? doc : undefined;
      },
      30_000,
      200,
    );
    const committed = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as unknown;
    if (JSON.stringify(live) !== JSON.stringify(committed)) {
      mkdirSync(join(REPO_ROOT, '.local'), { recursive: true });
      writeFileSync(LIVE, `${JSON.stringify(live, null, 2)}\n`);
    }
    // On a difference: `npm run client:generate -- --file .local/openapi.live.json`, then commit.
    expect(live).toEqual(committed);
  });

  it('walks a partner flow with compile-time checked calls and typed problems', async () => {
    const ops = createIonetClient({ baseUrl: stack.gatewayUrl, apiKey: stack.opsKey });
    const org = unwrap(await ops.POST('/v1/organizations', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { name: 'Partner Cloud', kind: 'supplier' } }));
    const issued = unwrap(await ops.POST('/v1/organizations/{organizationId}/api-keys', { params: { path: { organizationId: org.organizationId } }, body: { scopes: ['supplier'] } }));
    await acceptedEverywhere(stack, issued.key);
    const partner: IonetClient = createIonetClient({ baseUrl: stack.gatewayUrl, apiKey: issued.key });

    const me = unwrap(await partner.GET('/v1/me'));
    expect(me).toMatchObject({ organizationId: org.organizationId, scopes: ['supplier'] });

    const suppliers = [];
    for (const name of ['Rack A', 'Rack B', 'Rack C']) {
      suppliers.push(unwrap(await partner.POST('/v1/suppliers', { body: { name, source: 'data_center', payoutWallet: '11111111111111111111111111111111' } })));
    }
    const listed = await waitFor('the suppliers in the catalogue', async () => {
      const all = [];
      for await (const s of allPages((cursor) => partner.GET('/v1/suppliers', { params: { query: { limit: 2, ...(cursor ? { cursor } : {}) } } }).then(unwrap))) all.push(s);
      return all.length >= 3 ? all : undefined;
    });
    expect(listed.map((s) => s.supplierId).sort()).toEqual(suppliers.map((s) => s.supplierId).sort());

    const refused = await partner.GET('/v1/devices/{deviceId}', { params: { path: { deviceId: 'not-a-uuid' } } });
    let problem: unknown;
    try {
      unwrap(refused);
    } catch (err) {
      problem = err;
    }
    expect(problem).toBeInstanceOf(IonetProblemError);
    expect(problem).toMatchObject({ status: 400, code: 'REQUEST.INVALID_ID' });
    const anonymous = createIonetClient({ baseUrl: stack.gatewayUrl });
    await expect(anonymous.GET('/v1/me').then(unwrap)).rejects.toMatchObject({ status: 401, code: 'AUTH.MISSING_API_KEY' });
  });

  it("verifies a signed webhook with the client's helper", async () => {
    const ops = createIonetClient({ baseUrl: stack.gatewayUrl, apiKey: stack.opsKey });
    const org = unwrap(await ops.POST('/v1/organizations', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { name: 'Hooked Co', kind: 'customer' } }));
    const issued = unwrap(await ops.POST('/v1/organizations/{organizationId}/api-keys', { params: { path: { organizationId: org.organizationId } }, body: { scopes: ['customer'] } }));
    await acceptedEverywhere(stack, issued.key);
    const customer = createIonetClient({ baseUrl: stack.gatewayUrl, apiKey: issued.key });
    const endpoint = unwrap(await customer.POST('/v1/webhook-endpoints', { body: { url: receiver.url, eventTypes: ['cluster.funded'] } }));
    unwrap(await customer.POST('/v1/webhook-endpoints/{webhookEndpointId}/test', { params: { path: { webhookEndpointId: endpoint.webhookEndpointId } } }));
    const delivery = await waitFor('the test webhook at the receiver', () => receiver.received[0], 30_000, 100);
    const verified = verifyWebhook<{ webhookEndpointId: string }>(endpoint.secret, delivery.headers as Record<string, string>, delivery.body);
    expect(verified).toMatchObject({ id: delivery.headers['webhook-id'], type: 'webhook.test', data: { webhookEndpointId: endpoint.webhookEndpointId } });
    expect(() => verifyWebhook(endpoint.secret, delivery.headers as Record<string, string>, `${delivery.body} `)).toThrow('no signature matches');
  });
});
