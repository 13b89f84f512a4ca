import { CodedError } from '@ionet/errors';
import { z } from 'zod';
import { CLOCK_RATE_MAX } from '../clock/clock';

/** A configuration problem found at start-up. The message names every bad variable, so the
 *  operator can fix them in one go. */
export class ConfigError extends CodedError {
  readonly code = 'CONFIG.INVALID';
  readonly kind = 'fault';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${protocols.join(' or ')}` },
  );

const brokerList = z
  .string()
  .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((b) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(b)), { message: 'must be host:port[,host:port...]' });

const port = z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535);

/** What a process does: serve the HTTP API, run the Kafka consumers (projections, process
 *  managers) and the outbox relay, run the BullMQ workers. One image runs any of them. Health and
 *  metrics are served whatever the roles. */
export const SERVICE_ROLES = ['api', 'consumer', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

/** Whether this process plays `role` (config is the validated configuration of the service). */
export function hasRole(config: { SERVICE_ROLES: readonly string[] }, role: ServiceRole): boolean {
  return config.SERVICE_ROLES.includes(role);
}

const RFC3339_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Variables every service reads. A service extends this with its own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  SERVICE_NAME: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, 'must be a lower-case service name'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  /** A schema inside the database (tests give each file its own); default: the server's search_path. */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: url(['redis:', 'rediss:']),
  KAFKA_BROKERS: brokerList,
  /** Prepended to every topic and consumer group name: empty in production, a test namespace in tests. */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[a-z0-9._-]{0,80}$/, 'must be lower-case letters, digits, ".", "_" or "-"').default(''),
  /** The roles this process plays (a comma list of api, consumer, worker); all three by default. */
  SERVICE_ROLES: z
    .string()
    .default(SERVICE_ROLES.join(','))
    .transform((v) => [...new Set(v.split(',').map((r) => r.trim()).filter(Boolean))])
    .refine((roles) => roles.length > 0 && roles.every((r) => (SERVICE_ROLES as readonly string[]).includes(r)), { message: `must list one or more of ${SERVICE_ROLES.join(', ')}` })
    .transform((roles) => roles as ServiceRole[]),
  /** How fast this process's clock runs: 1 is real time, 60 is one hour a wall minute. Every service
   *  of a deployment gets the same CLOCK_RATE and CLOCK_ORIGIN, so they agree on the time. */
  CLOCK_RATE: z.coerce
    .number({ invalid_type_error: 'must be a number' })
    .min(1, 'must be at least 1 (1 is real time)')
    .max(CLOCK_RATE_MAX, `must be at most ${CLOCK_RATE_MAX} (one hour a second)`)
    .default(1),
  /** The instant from which an accelerated clock runs faster (RFC 3339); required when CLOCK_RATE is not 1. */
  CLOCK_ORIGIN: z
    .string()
    .refine((v) => RFC3339_INSTANT.test(v) && !Number.isNaN(Date.parse(v)), { message: 'must be an RFC 3339 instant such as 2026-12-01T00:00:00Z' })
    .optional(),
  /** Prefix of every BullMQ key in Redis (tests give each file its own). */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"').default('ionet'),
  /** The ops key that exists before billing issues organisations and their keys. */
  OPS_BOOTSTRAP_API_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  OTEL_TRACES_EXPORTER: z.enum(['none', 'otlp', 'console']).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** Parses the environment against a schema; throws ConfigError naming each bad or missing variable. */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    const clock = result.data as { CLOCK_RATE?: unknown; CLOCK_ORIGIN?: unknown };
    if (typeof clock.CLOCK_RATE === 'number' && clock.CLOCK_RATE !== 1 && clock.CLOCK_ORIGIN === undefined) {
      throw new ConfigError([{ variable: 'CLOCK_ORIGIN', message: 'is required when CLOCK_RATE is not 1 (every service must agree on where the accelerated time starts)' }]);
    }
    return result.data;
  }
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(root)');
      const missing = env[variable] === undefined || env[variable] === '';
      return { variable, message: missing && issue.code === 'invalid_type' ? 'is required' : issue.message };
    }),
  );
}

export const CONFIG = Symbol('ionet.config');
