import { PROBLEM_CONTENT_TYPE } from '@ionet/platform';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer, type IssuedKey } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;

/**
 * Matching as a real process behind the gateway: any organization searches, a customer quotes, and
 * a request nothing can place is refused with the explain (here: no cluster-ready device at all).
 */
describe('demand through the gateway: search and an explained refusal', () => {
  let stack: RunningStack;
  let customer: IssuedKey;
  let supplier: IssuedKey;

  beforeAll(async () => {
    stack = await launchStack({ label: 'e2e-demand', services: ['billing', 'matching'] });
    const issuer = keyIssuer(stack);
    customer = await issuer.organizationWithKey('Demand Customer', 'customer', 'customer');
    supplier = await issuer.organizationWithKey('Demand Supplier', 'supplier', 'supplier');
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('answers the hardware list and offers to any organization', async () => {
    for (const key of [customer, supplier]) {
      const client = gatewayClient(stack.gatewayUrl, key.key);
      expect(await client.call('GET', '/v1/hardware')).toMatchObject({ status: 200, body: { items: [] } });
      expect(await client.call('GET', '/v1/offers?gpuModel=H100*&sort=reliability')).toMatchObject({ status: 200, body: { items: [] } });
    }
  });

  it('refuses an unplaceable quote with 422 MATCHING.UNMATCHABLE and the explain; bad input is a 400 problem', async () => {
    const client = gatewayClient(stack.gatewayUrl, customer.key);
    const body = { clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: 16, countryCodes: ['DE'], durationHours: 2, paymentAsset: 'USDC' };
    const refused = await client.call('POST', '/v1/quotes', body);
    expect(refused.status).toBe(422);
    expect(refused.contentType).toContain(PROBLEM_CONTENT_TYPE);
    expect(refused.body.code).toBe('MATCHING.UNMATCHABLE');
    expect((refused.body.explain as { steps: Array<{ filter: string; devicesLeft: number }> }).steps[0]).toEqual({ filter: 'cluster_ready', devicesLeft: 0, gpusLeft: 0 });
    const invalid = await client.call('POST', '/v1/quotes', { ...body, gpuCount: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.contentType).toContain(PROBLEM_CONTENT_TYPE);
    // A supplier searches but does not quote.
    expect((await gatewayClient(stack.gatewayUrl, supplier.key).call('POST', '/v1/quotes', body)).status).toBe(403);
  });
});
