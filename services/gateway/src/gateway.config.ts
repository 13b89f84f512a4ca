import { loadConfig } from '@ionet/platform';
import { z } from 'zod';
import { isUpstreamService, type UpstreamService } from './routing/route-table';

const port = z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535);
const positiveInt = (min: number, max: number) => z.coerce.number({ invalid_type_error: 'must be a number' }).int().min(min).max(max);

/**
 * `inventory=http://127.0.0.1:4101,billing=http://127.0.0.1:4105`: where each service listens. A
 * service that is not listed answers 503 GATEWAY.SERVICE_UNAVAILABLE through the gateway.
 */
const upstreamList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const upstreams: Partial<Record<UpstreamService, string>> = {};
    for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [name, url] = [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)];
      if (!entry.includes('=') || !isUpstreamService(name)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not service=url with a known service` });
        continue;
      }
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
        upstreams[name] = parsed.origin;
      } catch {
        ctx.addIssue({ code: 'custom', message: `the URL of ${name} must be http(s)://host:port` });
      }
    }
    return upstreams;
  });

const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

export const gatewayConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  SERVICE_NAME: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, 'must be a lower-case service name').default('gateway'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GATEWAY_UPSTREAMS: upstreamList,
  /** Request bodies larger than this are refused with 413 unless a route allows more. */
  BODY_LIMIT_BYTES: positiveInt(1_024, 16_777_216).default(65_536),
  /** JSON bodies nesting deeper than this are refused with 400 (the API's deepest body nests about 5). */
  JSON_DEPTH_MAX: positiveInt(4, 1_000).default(32),
  /** A longer request target (path and query) is refused with 414. */
  URL_LENGTH_MAX: positiveInt(256, 65_536).default(8_192),
  RATE_LIMIT_WINDOW_MS: positiveInt(1_000, 3_600_000).default(60_000),
  /** Requests per window per API key. */
  RATE_LIMIT_PER_KEY: positiveInt(1, 10_000_000).default(1_200),
  /** Requests per window per client address, keyed or not: a flood of random keys is still one address. */
  RATE_LIMIT_PER_ADDRESS: positiveInt(1, 10_000_000).default(3_000),
  /** Answers 401 per window per address before that address is refused for the rest of the window. */
  RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: positiveInt(1, 10_000_000).default(30),
  /** Behind a load balancer: take the client address from X-Forwarded-For. */
  TRUST_PROXY: flag,
  /** The whole request (headers and body) must arrive within this; a slow sender gets 408. */
  REQUEST_TIMEOUT_MS: positiveInt(1_000, 600_000).default(15_000),
  /** An idle keep-alive connection is closed after this. */
  KEEP_ALIVE_TIMEOUT_MS: positiveInt(1_000, 600_000).default(5_000),
  /** An upstream that sends no answer within this is a 504 (long polls wait at most 30 s). */
  UPSTREAM_TIMEOUT_MS: positiveInt(1_000, 600_000).default(35_000),
  UPSTREAM_CONNECTIONS: positiveInt(1, 4_096).default(128),
  /** How often the merged OpenAPI document is fetched again from the services. */
  OPENAPI_REFRESH_MS: positiveInt(1_000, 3_600_000).default(30_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt(0, 120_000).default(10_000),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayConfigSchema, env);
}
