import { z } from 'zod';
import { loadConfig } from '../config/config';

const int = (min: number, max: number) => z.coerce.number({ invalid_type_error: 'must be a whole number' }).int().min(min).max(max);

/** The HTTP edge's limits, read by every service from the same variables (ADR 0302). Defaults
 *  leave room for a gateway's load on one key; operators lower them per deployment. */
export const edgeConfigSchema = z.object({
  /** Request bodies larger than this are refused with 413 before they are parsed. */
  HTTP_BODY_LIMIT_BYTES: int(1_024, 16 * 1_048_576).default(65_536),
  /** The whole request (headers and body) must arrive within this; a slow body is cut off. */
  HTTP_REQUEST_TIMEOUT_MS: int(1_000, 300_000).default(15_000),
  /** A socket with no traffic for this long is closed. */
  HTTP_CONNECTION_TIMEOUT_MS: int(1_000, 600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 600_000).default(5_000),
  /** Addresses (or CIDRs) of proxies whose X-Forwarded-For names the client, e.g. the gateway's. */
  HTTP_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean)),
  RATE_LIMIT_WINDOW_MS: int(1_000, 3_600_000).default(60_000),
  /** Requests per window and API key. */
  RATE_LIMIT_KEY_MAX: int(1, 100_000_000).default(600_000),
  /** Requests per window and client address, with or without a key. */
  RATE_LIMIT_ADDRESS_MAX: int(1, 100_000_000).default(1_200_000),
  /** Refused credentials (401) per window and client address; beyond it, the address gets 429. */
  RATE_LIMIT_AUTH_FAILURES_MAX: int(1, 1_000_000).default(120),
  /** Bytes of serialised answers each cached fast read keeps (ADR 0315); 0 turns the cache off. */
  HTTP_READ_CACHE_MAX_BYTES: int(0, 1_073_741_824).default(16 * 1_048_576),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

export function loadEdgeConfig(env: NodeJS.ProcessEnv): EdgeConfig {
  return loadConfig(edgeConfigSchema, env);
}
