import { ConfigError, loadConfig } from '@ionet/platform';
import { webhooksConfigSchema } from './webhooks.config';

const base = { SERVICE_NAME: 'webhooks', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/ionet_webhooks', REDIS_URL: 'redis://127.0.0.1:6379/0', KAFKA_BROKERS: '127.0.0.1:9092' };

describe('webhooks configuration', () => {
  it('defaults: port 4109, private targets refused, 15 s per attempt, a day of overlap', () => {
    expect(loadConfig(webhooksConfigSchema, base)).toMatchObject({
      HTTP_PORT: 4109,
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: false,
      WEBHOOKS_DELIVERY_TIMEOUT_MS: 15_000,
      WEBHOOKS_SECRET_OVERLAP_MS: 86_400_000,
      WEBHOOKS_DELIVERY_CONCURRENCY: 100,
      WEBHOOKS_ENDPOINTS_PER_ORGANIZATION_MAX: 50,
      WEBHOOKS_DIRECT_FIRST_ATTEMPT: true,
      WEBHOOKS_ENDPOINT_CONCURRENCY: 50,
      WEBHOOKS_FIRST_ATTEMPT_LEASE_MS: 60_000,
    });
  });

  it('allows private targets in development and tests only, and says which variable is wrong', () => {
    expect(loadConfig(webhooksConfigSchema, { ...base, NODE_ENV: 'test', WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' }).WEBHOOKS_ALLOW_PRIVATE_TARGETS).toBe(true);
    const refuse = (env: Record<string, string>) => {
      try {
        loadConfig(webhooksConfigSchema, { ...base, ...env });
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.variable);
      }
      return [];
    };
    expect(refuse({ NODE_ENV: 'production', WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' })).toEqual(['WEBHOOKS_ALLOW_PRIVATE_TARGETS']);
    expect(refuse({ WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'yes' })).toEqual(['WEBHOOKS_ALLOW_PRIVATE_TARGETS']);
    expect(refuse({ WEBHOOKS_DELIVERY_TIMEOUT_MS: '120000' })).toEqual(['WEBHOOKS_DELIVERY_TIMEOUT_MS', 'WEBHOOKS_FIRST_ATTEMPT_LEASE_MS']);
    // A first attempt must end within its lease, or the sweeper would send it a second time.
    expect(refuse({ WEBHOOKS_DELIVERY_TIMEOUT_MS: '40000' })).toEqual(['WEBHOOKS_FIRST_ATTEMPT_LEASE_MS']);
    expect(loadConfig(webhooksConfigSchema, { ...base, WEBHOOKS_DELIVERY_TIMEOUT_MS: '40000', WEBHOOKS_FIRST_ATTEMPT_LEASE_MS: '80000' }).WEBHOOKS_FIRST_ATTEMPT_LEASE_MS).toBe(80_000);
  });
});
