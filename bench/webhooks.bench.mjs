// The webhooks bench: platform events (billing's EscrowLocked on Kafka) -> the webhooks service
// (fan-out projection, BullMQ attempt, signed POST) -> a local receiver; deliveries per second and
// p50/p99 from the event's publication to its delivery's arrival. Beside it, in the same run, the
// raw limit: plain HTTP POSTs of the same body from this process to the same receiver (keep-alive,
// as many in flight as the service's delivery concurrency). Burst runs publish every event at once
// (the rate the pipeline drains, and the queueing delay of a backlog); steady runs then offer half
// that rate evenly (the latency of a load it keeps up with). Median of three runs each.
// --direct=false: every attempt through BullMQ (the path before ADR 0341), for a comparison in the same conditions.
//   npm run bench -- webhooks [--events=3000] [--direct=false] [--runs=3] [--concurrency=100] [--pool=20 (database connections per process)] [--rate=N (steady runs; default half the burst rate)] [--profile]
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, benchDatabase, cpuSnapshot, freePort, KAFKA_BROKERS, newOpsKey, post, postgresBackendsOf, REDIS_URL, start, stopChild, uptime, waitReady } from './support.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const { create, toBinary } = require('@bufbuild/protobuf');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const { ensureTopics } = require('@ionet/eventing');
const { Asset, billingV1, encodeEnvelope, EVENT_HEADERS, newEventId, topicName } = require('@ionet/contracts');

const BROKERS = KAFKA_BROKERS;
const OPS_KEY = newOpsKey();
const PRODUCE_BATCH = 500;
const PACE_TICK_MS = 20;
/** A paced run lasts about this long. */
const PACED_RUN_S = 10;
const TARGET_PER_S = 2_000;
const TARGET_P99_MS = 500;

export async function run({ root, flags }) {
  const opts = { events: Number(flags.events ?? 3_000), runs: Number(flags.runs ?? 3), concurrency: Number(flags.concurrency ?? 100), direct: flags.direct !== 'false' };
  const runId = `w${Date.now().toString(36)}`;
  const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const uptimeAtStart = uptime();
  const schema = `bench_webhooks_${runId}`;
  const topicPrefix = `bench.${runId}.`;
  const { db, dbUrl } = await benchDatabase(ADMIN_URL, schema);

  const receiver = new Receiver();
  const kafka = new Kafka({ clientId: 'ionet-bench-webhooks', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  const children = [];
  const cleanup = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await producer.disconnect().catch(() => undefined);
    await receiver.stop();
    await db.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await db.end().catch(() => undefined);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    const topics = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await kafkaAdmin.deleteTopics({ topics }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  };

  try {
    await receiver.start();
    await ensureTopics(kafka, { prefix: topicPrefix });
    // As deployed (deploy/render.cjs): the API with the fan-out consumer in one process, the
    // delivery worker in another, so each can have a core.
    const processes = [
      { name: 'webhooks api+consumer', roles: 'api,consumer', port: await freePort() },
      { name: 'webhooks worker', roles: 'worker', port: await freePort() },
    ];
    const env = (roles, port) => ({
      // development: the receiver is on 127.0.0.1, which production refuses (SSRF guard).
      NODE_ENV: 'development',
      SERVICE_NAME: 'webhooks',
      SERVICE_ROLES: roles,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl.toString(),
      DATABASE_SCHEMA: schema,
      DATABASE_POOL_MAX: String(flags.pool ?? 20),
      REDIS_URL,
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      QUEUE_PREFIX: `bench-${runId}`,
      OPS_BOOTSTRAP_API_KEY: OPS_KEY,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOKS_DELIVERY_CONCURRENCY: String(opts.concurrency),
      // One endpoint: as many in flight to it as the raw POSTs have.
      WEBHOOKS_ENDPOINT_CONCURRENCY: String(opts.concurrency),
      WEBHOOKS_DIRECT_FIRST_ATTEMPT: opts.direct ? 'true' : 'false',
      RATE_LIMIT_ADDRESS_MAX: '100000000',
      RATE_LIMIT_KEY_MAX: '100000000',
    });
    const profileArgs = (name) => (flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', `profile-${runId}.tmp`, name)}`] : []);
    // The first migrates the schema; the second starts once it is ready.
    for (const p of processes) {
      children.push(start(root, p.name, [...profileArgs(p.roles.replace(',', '-')), 'services/webhooks/dist/main.js'], env(p.roles, p.port)));
      await waitReady(`http://127.0.0.1:${p.port}/health/ready`);
    }
    const url = `http://127.0.0.1:${processes[0].port}`;
    await producer.connect();
    // CPU time per delivery of each process on the path (user + system, from /proc): far less
    // sensitive than deliveries/s to what else the machine runs.
    const cpuOf = [
      ...children.map((c) => ({ name: c.benchName, pids: async () => [c.pid] })),
      { name: 'postgres', pids: () => postgresBackendsOf(db, children.map((c) => c.pid)) },
    ];

    // The ops key's tenant ('ops') owns the endpoint, so the events name it as their customer.
    const endpoint = await post(`${url}/v1/webhook-endpoints`, { authorization: `Bearer ${OPS_KEY}` }, { url: `${receiver.url}/hook`, eventTypes: ['cluster.funded'] });
    const sampleBody = JSON.stringify({ type: 'cluster.funded', timestamp: new Date().toISOString(), data: escrowData('ops', randomUUID()) });

    console.log(`\nwebhooks bench: ${opts.events} events per run, median of ${opts.runs} runs, api+consumer and worker processes, delivery concurrency ${opts.concurrency}; ${os.cpus().length} CPUs, ${uptime()}`);
    await deliveryRun({ producer, receiver, topicPrefix, events: 200 }); // warm-up: consumer joined, pools open, JIT warm
    const service = [];
    const raw = [];
    for (let i = 0; i < opts.runs; i++) {
      // Each process's background (relay and queue polling, heartbeats) over an idle second, taken
      // off the run's CPU for as long as the run lasted.
      const idleFrom = await cpuSnapshot(cpuOf, BENCH_PROCESS);
      const idleStarted = performance.now();
      await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
      const cpuBefore = await cpuSnapshot(cpuOf, BENCH_PROCESS);
      const idleUsPerMs = Object.fromEntries(Object.keys(cpuBefore).map((n) => [n, (cpuBefore[n] - (idleFrom[n] ?? 0)) / (performance.now() - idleStarted)]));
      const s = await deliveryRun({ producer, receiver, topicPrefix, events: opts.events, db, schema });
      const cpuUsPerDelivery = cpuPer(cpuBefore, await cpuSnapshot(cpuOf, BENCH_PROCESS), opts.events, idleUsPerMs, s.seconds * 1_000);
      service.push({ ...s, cpuUsPerDelivery, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) });
      console.log(`  run ${i + 1}: service ${s.perS}/s p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms in ${s.seconds} s, every delivery created after ${s.fannedOutS} s (duplicates ${s.duplicates})`);
      console.log(`         CPU per delivery: ${Object.entries(cpuUsPerDelivery).map(([n, us]) => `${n} ${us} us`).join(', ')}`);
      const rawCpuBefore = await cpuSnapshot([], BENCH_PROCESS);
      const r = await rawRun({ url: `${receiver.url}/raw`, body: sampleBody, count: opts.events, concurrency: opts.concurrency });
      const rawCpu = cpuPer(rawCpuBefore, await cpuSnapshot([], BENCH_PROCESS), opts.events);
      raw.push({ ...r, cpuUsPerDelivery: rawCpu, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) });
      console.log(`  run ${i + 1}: raw POSTs ${r.perS}/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms; CPU per POST (client and receiver) ${rawCpu[BENCH_PROCESS]} us`);
    }
    const medianOf = (rows) => [...rows].sort((a, b) => a.perS - b.perS)[Math.floor(rows.length / 2)];
    const s = medianOf(service);
    const r = medianOf(raw);
    // The latency of a load it keeps up with: half the burst rate it just drained, offered steadily.
    const ratePerS = Number(flags.rate ?? Math.max(10, Math.round(s.perS / 2)));
    const paced = [];
    for (let i = 0; i < opts.runs; i++) {
      const p = await deliveryRun({ producer, receiver, topicPrefix, events: Math.round(ratePerS * PACED_RUN_S), db, schema, ratePerS });
      paced.push({ ...p, offeredPerS: ratePerS, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) });
      console.log(`  run ${i + 1}: service at ${ratePerS}/s offered: ${p.perS}/s p50 ${p.p50Ms} ms p99 ${p.p99Ms} ms`);
    }
    const pacedMedian = [...paced].sort((a, b) => a.p99Ms - b.p99Ms)[Math.floor(paced.length / 2)];
    const rows = [
      { name: 'webhooks, burst: EscrowLocked on Kafka -> signed delivery received', ...s, runs: service.map((x) => x.perS) },
      { name: `webhooks, steady ${ratePerS}/s offered${flags.rate ? '' : ' (half the burst rate)'}`, ...pacedMedian, runs: paced.map((x) => x.p99Ms) },
      { name: 'raw limit: plain HTTP POSTs, one process -> same receiver', ...r, runs: raw.map((x) => x.perS) },
    ];
    console.log('');
    for (const row of rows) {
      console.log(`  ${row.name.padEnd(62)} ${String(row.perS).padStart(7)} /s   p50 ${String(row.p50Ms).padStart(5)} ms   p99 ${String(row.p99Ms).padStart(5)} ms   (runs: ${row.runs.join(', ')})`);
    }
    const medianCpu = (runs) => [...runs].sort((a, b) => a.cpuUsPerDelivery.total - b.cpuUsPerDelivery.total)[Math.floor(runs.length / 2)].cpuUsPerDelivery;
    const cpu = { service: medianCpu(service), raw: medianCpu(raw) };
    console.log(
      `\n  CPU per delivery (median run): ${cpu.service.total} us (${Object.entries(cpu.service)
        .filter(([n]) => n !== 'total')
        .map(([n, us]) => `${n} ${us}`)
        .join(', ')}); a raw POST ${cpu.raw.total} us (client and receiver)`,
    );
    const verdict = {
      deliveriesPerSTarget: TARGET_PER_S,
      p99MsTarget: TARGET_P99_MS,
      deliveriesPerSMet: s.perS >= TARGET_PER_S,
      p99Met: s.p99Ms <= TARGET_P99_MS,
      steadyP99Met: pacedMedian.p99Ms <= TARGET_P99_MS,
      ratioToRaw: Math.round((s.perS / r.perS) * 1_000) / 1_000,
    };
    console.log(
      `\n  target >= ${TARGET_PER_S}/s: ${verdict.deliveriesPerSMet ? 'met' : 'NOT met'}; p99 <= ${TARGET_P99_MS} ms: burst ${verdict.p99Met ? 'met' : 'NOT met'}, steady ${verdict.steadyP99Met ? 'met' : 'NOT met'}; ${verdict.ratioToRaw}x the raw POST rate`,
    );
    const result = {
      bench: 'webhooks',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      loadAverageAtStart,
      uptimeAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      options: opts,
      webhookEndpointId: endpoint.webhookEndpointId,
      rows,
      cpuUsPerDelivery: cpu,
      runs: { service, raw, paced },
      verdict,
    };
    mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(root, 'bench', 'results', 'webhooks.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log('\nwritten to bench/results/webhooks.json');
  } finally {
    await cleanup();
  }
}

const BENCH_PROCESS = 'bench (producer, receiver)';
const IDLE_SAMPLE_MS = 1_000;

/** Microseconds of CPU per delivery of each process between two snapshots (less its idle
 *  background over `ms`, when given), and their sum. */
function cpuPer(before, after, count, idleUsPerMs = {}, ms = 0) {
  const per = Object.fromEntries(
    Object.keys(after).map((name) => [name, Math.round((Math.max(0, after[name] - (before[name] ?? 0) - (idleUsPerMs[name] ?? 0) * ms) / count) * 10) / 10]),
  );
  return { ...per, total: Math.round(Object.values(per).reduce((a, b) => a + b, 0)) };
}

function escrowData(customerId, leaseId) {
  return { clusterId: leaseId, customerId, amount: { amountBaseUnits: '24000000', asset: 'USDC' } };
}

/** Publishes `events` EscrowLocked facts as billing's relay would and waits for every delivery. */
async function deliveryRun({ producer, receiver, topicPrefix, events, db, schema, ratePerS }) {
  const producedAt = new Map();
  // Where the time goes: when the fan-out had created every delivery (the rest is the attempts).
  const before = db ? Number((await db.query(`select count(*) as n from "${schema}".webhook_deliveries`)).rows[0].n) : 0;
  let fannedOutS;
  let watching = Boolean(db);
  const started = performance.now();
  const watch = (async () => {
    while (watching) {
      const n = Number((await db.query(`select count(*) as n from "${schema}".webhook_deliveries`)).rows[0].n) - before;
      if (n >= events) {
        fannedOutS = Math.round((performance.now() - started) / 100) / 10;
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  receiver.expect(producedAt);
  const topic = topicName('billing', topicPrefix);
  // A burst (everything at once: the rate the pipeline drains) or a steady offered rate (the latency
  // of a load it keeps up with): batches every PACE_TICK_MS.
  const batch = ratePerS ? Math.max(1, Math.round((ratePerS * PACE_TICK_MS) / 1_000)) : PRODUCE_BATCH;
  for (let i = 0; i < events; i += batch) {
    if (ratePerS) {
      const due = started + (i / ratePerS) * 1_000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const messages = [];
    const now = Date.now();
    for (let j = i; j < Math.min(events, i + batch); j++) {
      const leaseId = randomUUID();
      const eventId = newEventId();
      const data = create(billingV1.EscrowLockedSchema, {
        escrowId: randomUUID(),
        leaseId,
        customerId: 'ops',
        amount: { amountBaseUnits: '24000000', asset: Asset.USDC },
        reservationFee: { amountBaseUnits: '480000', asset: Asset.USDC },
        paymentFee: { amountBaseUnits: '0', asset: Asset.USDC },
        lockedAt: timestampFromDate(new Date(now)),
      });
      const metadata = {
        eventId,
        eventType: billingV1.EscrowLockedSchema.typeName,
        schemaVersion: 1,
        aggregateType: 'escrow',
        aggregateId: leaseId,
        aggregateVersion: 1n,
        occurredAt: new Date(now),
        correlationId: eventId,
        causationId: eventId,
        producer: 'bench',
        traceparent: '',
        tracestate: '',
        globalPosition: 0n,
      };
      producedAt.set(leaseId, now);
      messages.push({
        key: leaseId,
        value: Buffer.from(encodeEnvelope(metadata, toBinary(billingV1.EscrowLockedSchema, data))),
        headers: { [EVENT_HEADERS.eventType]: metadata.eventType, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: '1' },
      });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  const latencies = await receiver.allArrived(events, 300_000);
  const seconds = (performance.now() - started) / 1_000;
  watching = false;
  await watch;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    perS: Math.round(events / seconds),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    seconds: Math.round(seconds * 10) / 10,
    fannedOutS,
    duplicates: receiver.duplicates,
  };
}

/** The same receiver, plain POSTs from one process with `concurrency` in flight on keep-alive sockets. */
async function rawRun({ url, body, count, concurrency }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const one = () =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { perS: Math.round(count / seconds), p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), seconds: Math.round(seconds * 10) / 10 };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
}

/** Answers 200 to everything; for /hook it times each delivery against its event's publication. */
class Receiver {
  server = undefined;
  url = '';
  producedAt = new Map();
  latencies = [];
  seen = new Set();
  duplicates = 0;
  waiter = undefined;

  expect(producedAt) {
    this.producedAt = producedAt;
    this.latencies = [];
    this.seen = new Set();
    this.duplicates = 0;
  }

  async start() {
    this.server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.end('ok');
        if (req.url !== '/hook') return;
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const at = this.producedAt.get(body.data.clusterId);
        if (at === undefined) return;
        const id = req.headers['webhook-id'];
        if (this.seen.has(id)) {
          this.duplicates++;
          return;
        }
        this.seen.add(id);
        this.latencies.push(Date.now() - at);
        if (this.waiter && this.latencies.length >= this.waiter.count) this.waiter.resolve();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
  }

  allArrived(count, timeoutMs) {
    if (this.latencies.length >= count) return Promise.resolve(this.latencies);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.latencies.length} of ${count} deliveries arrived within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(this.latencies);
        },
      };
    });
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
