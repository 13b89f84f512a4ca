import { z } from 'zod';
import { ConfigError, baseConfigSchema, hasRole, loadConfig } from './config';

const valid = {
  SERVICE_NAME: 'inventory',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/ionet_inventory',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094',
};

describe('loadConfig', () => {
  it('parses a valid environment with defaults and typed values', () => {
    const config = loadConfig(baseConfigSchema, { ...valid, HTTP_PORT: '4100' });
    expect(config.HTTP_PORT).toBe(4100);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9094']);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OTEL_TRACES_EXPORTER).toBe('none');
  });

  it('names a malformed variable', () => {
    expect(() => loadConfig(baseConfigSchema, { ...valid, HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a URL with scheme postgres/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS: must be host:port/);
  });

  it('names every missing variable at once', () => {
    try {
      loadConfig(baseConfigSchema, { SERVICE_NAME: 'inventory' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const variables = (err as ConfigError).issues.map((i) => i.variable).sort();
      expect(variables).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'REDIS_URL']);
      expect((err as ConfigError).message).toContain('DATABASE_URL: is required');
    }
  });

  it('rejects a bootstrap key too short to be a secret', () => {
    expect(() => loadConfig(baseConfigSchema, { ...valid, OPS_BOOTSTRAP_API_KEY: 'short' })).toThrow(/OPS_BOOTSTRAP_API_KEY: must be at least 32/);
  });

  it('extends with service variables', () => {
    const schema = baseConfigSchema.extend({ QUOTE_HOLD_MS: z.coerce.number().int().positive() });
    expect(() => loadConfig(schema, valid)).toThrow(/QUOTE_HOLD_MS: is required/);
    expect(loadConfig(schema, { ...valid, QUOTE_HOLD_MS: '1200000' }).QUOTE_HOLD_MS).toBe(1_200_000);
  });

  it('reads the roles, all three by default, and refuses an unknown or empty one', () => {
    expect(loadConfig(baseConfigSchema, valid).SERVICE_ROLES).toEqual(['api', 'consumer', 'worker']);
    const worker = loadConfig(baseConfigSchema, { ...valid, SERVICE_ROLES: ' worker , worker' });
    expect(worker.SERVICE_ROLES).toEqual(['worker']);
    expect(hasRole(worker, 'worker')).toBe(true);
    expect(hasRole(worker, 'api')).toBe(false);
    expect(() => loadConfig(baseConfigSchema, { ...valid, SERVICE_ROLES: 'api,scheduler' })).toThrow(/SERVICE_ROLES: must list one or more of api, consumer, worker/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, SERVICE_ROLES: ' , ' })).toThrow(/SERVICE_ROLES/);
  });

  it('reads the clock settings: real time by default, an accelerated clock only with its origin', () => {
    expect(loadConfig(baseConfigSchema, valid)).toMatchObject({ CLOCK_RATE: 1 });
    expect(loadConfig(baseConfigSchema, { ...valid, CLOCK_RATE: '60', CLOCK_ORIGIN: '2026-12-01T00:00:00Z' })).toMatchObject({ CLOCK_RATE: 60, CLOCK_ORIGIN: '2026-12-01T00:00:00Z' });
    expect(() => loadConfig(baseConfigSchema, { ...valid, CLOCK_RATE: '60' })).toThrow(/CLOCK_ORIGIN: is required when CLOCK_RATE is not 1/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, CLOCK_RATE: 'fast', CLOCK_ORIGIN: '2026-12-01T00:00:00Z' })).toThrow(/CLOCK_RATE: must be a number/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, CLOCK_RATE: '0.5', CLOCK_ORIGIN: '2026-12-01T00:00:00Z' })).toThrow(/CLOCK_RATE: must be at least 1/);
    expect(() => loadConfig(baseConfigSchema, { ...valid, CLOCK_RATE: '100000', CLOCK_ORIGIN: '2026-12-01T00:00:00Z' })).toThrow(/CLOCK_RATE: must be at most 3600/);
    for (const origin of ['yesterday', '2026-12-01', '2026-12-01 00:00:00', '2026-13-01T00:00:00Z']) {
      expect(() => loadConfig(baseConfigSchema, { ...valid, CLOCK_RATE: '60', CLOCK_ORIGIN: origin })).toThrow(/CLOCK_ORIGIN: must be an RFC 3339 instant/);
    }
  });
});
