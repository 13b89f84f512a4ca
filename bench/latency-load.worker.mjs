// The latency bench's load generator, in a worker thread so that its timers and appends do not
// delay the event loop of the relay and the consumer it measures (ADR 0207). Times are absolute
// (timeOrigin + now) because each thread has its own performance clock origin.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const { Pool } = require('pg');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const ev = require('@ionet/eventing');
const ct = require('@ionet/contracts');

const { poolConfig, ratePerS, commands, commitNotify } = workerData;
const now = () => performance.timeOrigin + performance.now();
const pool = new Pool(poolConfig);
const store = new ev.EventStore({ pool, producer: 'bench', commitNotify: commitNotify ? {} : false, logger: { log: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) } });
const priceEvent = (i, eventId) => ({
  schema: ct.inventoryV1.DevicePriceSetSchema,
  data: { deviceId: `dev-${i}`, supplierId: 'sup-bench', askPricePerGpuHour: ct.money(BigInt(2_000_000 + (i % 1000)), ct.Asset.USDC), setAt: timestampFromDate(new Date(1_764_000_000_000 + i)) },
  occurredAt: new Date(1_764_000_000_000 + i),
  eventId,
});
// Commit times go to the main thread in small chunks as they happen: one message of 10,000 entries
// at the end stalled the consumer's event loop while the last events were still in flight.
let committed = [];
const flush = () => {
  if (committed.length > 0) parentPort.postMessage({ committed });
  committed = [];
};
const flusher = setInterval(flush, 50);
const inflight = [];
const started = now();
for (let i = 0; i < commands; i++) {
  const wait = started + (i * 1000) / ratePerS - now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const eventId = ct.newEventId();
  inflight.push(
    store.append(undefined, { streamId: `lat-${i % 500}`, streamType: 'device', expectedVersion: 'any', events: [priceEvent(i, eventId)] }).then(() => committed.push([eventId, now()])),
  );
}
await Promise.all(inflight);
const achievedRate = commands / ((now() - started) / 1000);
clearInterval(flusher);
flush();
await pool.end();
parentPort.postMessage({ done: true, achievedRate });
