import { z } from 'zod';
import { ConfigError, baseConfigSchema, loadConfig } from './config';

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
});
