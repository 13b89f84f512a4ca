import { ROUTE_RULES, UPSTREAM_SERVICES, largestBodyLimitBytes, resolveRoute } from './route-table';

describe('route table', () => {
  it.each([
    ['/v1/suppliers', 'inventory'],
    ['/v1/suppliers/s-1/enrollment-tokens', 'inventory'],
    ['/v1/devices', 'inventory'],
    ['/v1/devices/d-1/price', 'inventory'],
    ['/v1/devices/d-1/eligibility', 'verification'],
    ['/v1/partner-networks/render/devices/x', 'inventory'],
    ['/v1/organizations/o-1/api-keys', 'billing'],
    ['/v1/api-keys/k-1', 'billing'],
    ['/v1/me', 'billing'],
    ['/v1/clusters/c-1', 'leasing'],
    ['/v1/clusters/c-1/cost-report', 'billing'],
    ['/v1/quotes', 'matching'],
    ['/v1/agent/enroll', 'inventory'],
    ['/v1/agent/heartbeats', 'verification'],
    ['/v1/agent/device', 'inventory'],
    ['/v1/agent/work', 'verification'],
    ['/v1/agent/verification', 'verification'],
    ['/v1/agent/challenges/c-1/result', 'verification'],
    ['/v1/agent/jobs/j-1/events', 'verification'],
    ['/v1/proofs/lease-hours/l-1/3', 'verification'],
    ['/v1/epochs/12', 'tokenomics'],
    ['/v1/proposals/p-1/votes', 'governance'],
    ['/v1/ledger/state-hash', 'ledger'],
    ['/v1/webhook-endpoints', 'webhooks'],
    ['/v1/webhook-endpoints/e-1/deliveries', 'webhooks'],
    ['/v1/webhook-deliveries/d-1/redeliver', 'webhooks'],
  ])('%s belongs to %s', (path, service) => {
    expect(resolveRoute(path)?.service).toBe(service);
    expect(resolveRoute(path)?.upstreamPath).toBe(path);
  });

  it('sends /v1/ops/{service}/... to that service without the service segment', () => {
    expect(resolveRoute('/v1/ops/inventory/projections/catalog/rebuild')).toEqual({
      service: 'inventory',
      upstreamPath: '/v1/ops/projections/catalog/rebuild',
      bodyLimitBytes: undefined,
    });
    expect(resolveRoute('/v1/ops/ledger/dead-letters')?.service).toBe('ledger');
    expect(resolveRoute('/v1/ops/webhooks/queues')?.service).toBe('webhooks');
  });

  it.each(['/v1/unknown', '/v1/', '/v1', '/health/ready', '/v1/ops/nobody/projections', '/v1/ops/inventory', '/v1/ops/inventory/'])('%s belongs to no service', (path) => {
    expect(resolveRoute(path)).toBeUndefined();
  });

  it('an empty segment never matches a wildcard', () => {
    expect(resolveRoute('/v1/clusters//cost-report')?.service).toBe('leasing');
  });

  it('gives the agent routes that carry logs and heartbeat batches a larger body limit', () => {
    expect(resolveRoute('/v1/agent/jobs/j-1/events')?.bodyLimitBytes).toBe(1_048_576);
    expect(resolveRoute('/v1/suppliers')?.bodyLimitBytes).toBeUndefined();
    expect(largestBodyLimitBytes(65_536)).toBe(1_048_576);
    expect(largestBodyLimitBytes(4_194_304)).toBe(4_194_304);
  });

  it('names only known services and no resource twice', () => {
    const seen = new Set<string>();
    for (const rule of ROUTE_RULES) {
      expect(UPSTREAM_SERVICES).toContain(rule.service);
      const key = rule.segments.join('/');
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });
});
