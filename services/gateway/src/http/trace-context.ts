import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system in blocks: two small synchronous draws per request (a trace
 *  id and a span id) were the gateway's hottest own cost on a read (ADR 0313). */
const POOL_BYTES = 24 * 256;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** A fresh W3C `traceparent` (version 00, sampled): a random 16-byte trace id and 8-byte parent id,
 *  neither all zeros (the specification makes an all-zero id invalid). */
export function newTraceparent(): string {
  for (;;) {
    if (used === POOL_BYTES) {
      randomFillSync(pool);
      used = 0;
    }
    const traceId = pool.toString('hex', used, used + 16);
    const spanId = pool.toString('hex', used + 16, used + 24);
    used += 24;
    if (!ALL_ZEROS.test(traceId) && !ALL_ZEROS.test(spanId)) return `00-${traceId}-${spanId}-01`;
  }
}

const ALL_ZEROS = /^0+$/;
