// The dispatch bench: for 8-device clusters, from the ledger's LeaseFunded on Kafka to every job
// acknowledged by an agent. Leasing runs as a process (api, consumer, worker) on the local stack;
// the agents are simulated by this process, which READS THE MAILBOX in Redis as verification's
// long poll does (woken by the mailbox's channel, then the device's items), acknowledges each job
// item there as verification does on an agent's `accepted`, and publishes AgentJobReported(accepted)
// on Kafka as verification would. Per cluster: the time from the LeaseFunded publication to the
// last of its 8 jobs taken by its agent; and, from the leasing topic, to leasing recording all 8
// accepted. Funded leases are offered at a steady rate (`--rate` clusters/s). Beside it, in the same
// run, the raw limit of the path's hops at the same rate: a Kafka publish -> consume round trip, a
// Redis PUBLISH -> message round trip, and an agent long-poll round trip (an HTTP GET held by a bare
// node:http server until a Redis PUBLISH wakes it, answered, and the next poll sent at once: the
// shape of verification's long poll without any service code). Each figure is the median over
// three runs of that figure (p50 of p50s, p99 of p99s), with the load average. At least 200
// clusters per run: fewer are reported, but marked as not the target's measure.
//   npm run bench -- dispatch [--clusters=200] [--devices=8] [--rate=10] [--runs=3] (results: bench/results/dispatch.json; another --rate: dispatch-rate<N>.json)
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, benchDatabase, freePort, KAFKA_BROKERS, median, newOpsKey, post, REDIS_URL, sleep, start, stopChild, uptime, waitReady } from './support.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const Redis = require('ioredis');
const { create, fromBinary, toBinary } = require('@bufbuild/protobuf');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const { ensureTopics } = require('@ionet/eventing');
const { ACKNOWLEDGED_MEMORY_MS } = require('@ionet/platform');
const { Asset, billingV1, commonV1, decodeEnvelope, encodeEnvelope, EVENT_HEADERS, leasingV1, ledgerV1, matchingV1, newEventId, topicName, verificationV1 } = require('@ionet/contracts');

const BROKERS = KAFKA_BROKERS;
const OPS_KEY = newOpsKey();
const TARGET_P99_MS = 1_000;
const PRICE = { amountBaseUnits: '2000000', asset: Asset.USDC };

export async function run({ root, flags }) {
  const opts = { clusters: Number(flags.clusters ?? 200), devices: Number(flags.devices ?? 8), rate: Number(flags.rate ?? 10), runs: Number(flags.runs ?? 3) };
  const runId = `d${Date.now().toString(36)}`;
  const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const uptimeAtStart = uptime();
  const schema = `bench_dispatch_${runId}`;
  const topicPrefix = `bench.${runId}.`;
  const queuePrefix = `bench-${runId}`;
  const { db, dbUrl } = await benchDatabase(ADMIN_URL, schema);
  const kafka = new Kafka({ clientId: 'ionet-bench-dispatch', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  const redis = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  const consumers = [];
  const children = [];
  const cleanup = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer.disconnect().catch(() => undefined);
    subscriber.disconnect();
    const keys = await redis.keys(`${queuePrefix}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await db.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await db.end().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  };

  try {
    await ensureTopics(kafka, { prefix: topicPrefix });
    await producer.connect();
    const port = await freePort();
    children.push(
      start(root, 'leasing', ['services/leasing/dist/main.js'], {
        NODE_ENV: 'development',
        SERVICE_NAME: 'leasing',
        SERVICE_ROLES: 'api,consumer,worker',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        LOG_LEVEL: 'warn',
        DATABASE_URL: dbUrl.toString(),
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_MAX: String(flags.pool ?? 20),
        REDIS_URL,
        KAFKA_BROKERS: BROKERS,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        QUEUE_PREFIX: queuePrefix,
        OPS_BOOTSTRAP_API_KEY: OPS_KEY,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        RATE_LIMIT_ADDRESS_MAX: '100000000',
        RATE_LIMIT_KEY_MAX: '100000000',
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitReady(`${url}/health/ready`);
    const publish = (context, schemaDesc, key, data) => producer.send({ topic: topicName(context, topicPrefix), acks: -1, messages: [message(schemaDesc, context, key, data)] });

    // A customer key, issued as billing would (every service projects ApiKeyIssued).
    const customerId = randomUUID();
    const customerKey = `ionet_customer_${randomBytes(32).toString('base64url')}`;
    await publish('billing', billingV1.ApiKeyIssuedSchema, customerId, {
      apiKeyId: randomUUID(),
      organizationId: customerId,
      keyHash: createHash('sha256').update(customerKey).digest('hex'),
      scopes: [billingV1.ApiKeyScope.CUSTOMER],
      displayPrefix: customerKey.slice(0, 18),
      label: 'bench',
      issuedAt: timestampFromDate(new Date()),
    });
    for (let i = 0; (await fetch(`${url}/v1/clusters`, { headers: { authorization: `Bearer ${customerKey}` } })).status !== 200; i++) {
      if (i > 300) throw new Error('the customer key never reached leasing');
      await sleep(100);
    }

    // The simulated agents: woken by the mailbox channel, they take every job item, acknowledge it
    // and report `accepted`.
    const agents = new Agents({ redis, subscriber, queuePrefix, onJob: (job, deviceId) => publish('verification', verificationV1.AgentJobReportedSchema, job.jobId, acceptedData(job, deviceId)) });
    await agents.start();
    // Leasing's own record of each accepted job, from its topic.
    const recorded = new AcceptedRecorder();
    consumers.push(await recorded.start(kafka, topicName('leasing', topicPrefix), `bench-${runId}-recorder`));

    const prepare = async (count) => {
      const clusters = [];
      for (let i = 0; i < count; i++) {
        const requestId = randomUUID();
        const quoteId = randomUUID();
        const devices = Array.from({ length: opts.devices }, () => randomUUID());
        await publish('matching', matchingV1.ClusterRequestedSchema, requestId, clusterRequested(requestId, customerId, opts.devices));
        await publish('matching', matchingV1.ClusterMatchedSchema, requestId, clusterMatched(requestId, quoteId, customerId, devices, clusterRequested(requestId, customerId, opts.devices)));
        clusters.push({ quoteId, devices });
      }
      const body = (quoteId) => ({ quoteId, name: 'bench', image: 'rayproject/ray:2.9.0-gpu', command: ['python', 'train.py'], env: {}, ports: [8265] });
      for (const c of clusters) {
        for (let attempt = 0; ; attempt++) {
          try {
            c.leaseId = (await post(`${url}/v1/clusters`, { authorization: `Bearer ${customerKey}` }, body(c.quoteId))).clusterId;
            break;
          } catch (err) {
            // The quote not projected yet: matching's facts are a Kafka hop away.
            if (attempt > 300) throw err;
            await sleep(100);
          }
        }
      }
      return clusters;
    };

    const measure = async (clusters) => {
      const fundedAt = new Map();
      const started = performance.now();
      for (const [i, c] of clusters.entries()) {
        const due = started + (i / opts.rate) * 1_000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        fundedAt.set(c.leaseId, Date.now());
        agents.expect(c.leaseId, opts.devices);
        recorded.expect(c.leaseId, opts.devices);
        await publish('ledger', ledgerV1.LeaseFundedSchema, c.leaseId, { leaseId: c.leaseId, customerId, escrowId: c.leaseId, escrowed: PRICE, sourceEventId: randomUUID(), fundedAt: timestampFromDate(new Date()) });
      }
      const taken = await agents.allDone(clusters.map((c) => c.leaseId), 300_000);
      const leasingSaw = await recorded.allDone(clusters.map((c) => c.leaseId), 300_000);
      const toAgents = clusters.map((c) => taken.get(c.leaseId) - fundedAt.get(c.leaseId)).sort((a, b) => a - b);
      const toLeasing = clusters.map((c) => leasingSaw.get(c.leaseId) - fundedAt.get(c.leaseId)).sort((a, b) => a - b);
      return { p50Ms: percentile(toAgents, 50), p99Ms: percentile(toAgents, 99), maxMs: toAgents[toAgents.length - 1], leasingP50Ms: percentile(toLeasing, 50), leasingP99Ms: percentile(toLeasing, 99), duplicates: agents.duplicates };
    };

    console.log(`\ndispatch bench: ${opts.clusters} clusters of ${opts.devices} devices per run at ${opts.rate} clusters/s, median of ${opts.runs} runs; leasing in one process (api, consumer, worker); ${os.cpus().length} CPUs, ${uptime()}`);
    await measure(await prepare(10)); // warm-up: consumer joined, pools open, JIT warm
    const service = [];
    const raw = [];
    for (let i = 0; i < opts.runs; i++) {
      const clusters = await prepare(opts.clusters);
      const s = await measure(clusters);
      service.push({ ...s, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) });
      console.log(`  run ${i + 1}: funded -> all ${opts.devices} jobs taken by agents p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms (max ${s.maxMs}); -> leasing recorded all accepted p50 ${s.leasingP50Ms} ms p99 ${s.leasingP99Ms} ms; items delivered twice: ${s.duplicates}`);
      const r = await rawRoundTrips(kafka, producer, redis, subscriber, topicPrefix, `bench-${runId}-raw-${i}`, opts.clusters, opts.rate, consumers);
      raw.push({ ...r, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) });
      console.log(`  run ${i + 1}: raw long-poll round trip p50 ${r.longPollP50Ms} ms p99 ${r.longPollP99Ms} ms; raw Kafka publish -> consume p50 ${r.kafkaP50Ms} ms p99 ${r.kafkaP99Ms} ms; raw Redis PUBLISH -> message p50 ${r.redisP50Ms} ms p99 ${r.redisP99Ms} ms`);
    }
    const row = (name, list, p50, p99) => ({ name, p50Ms: median(list.map((x) => x[p50])), p99Ms: median(list.map((x) => x[p99])), p50Runs: list.map((x) => x[p50]), runs: list.map((x) => x[p99]) });
    const rows = [
      row(`funded -> every job of an ${opts.devices}-device cluster taken by its agent`, service, 'p50Ms', 'p99Ms'),
      row(`funded -> leasing recorded every job accepted`, service, 'leasingP50Ms', 'leasingP99Ms'),
      row('raw limit: one agent long-poll round trip (Redis PUBLISH -> held HTTP GET answered)', raw, 'longPollP50Ms', 'longPollP99Ms'),
      row('raw limit: one Kafka publish -> consume', raw, 'kafkaP50Ms', 'kafkaP99Ms'),
      row('raw limit: one Redis PUBLISH -> message', raw, 'redisP50Ms', 'redisP99Ms'),
    ];
    console.log('');
    for (const r of rows) console.log(`  ${r.name.padEnd(82)} p50 ${String(r.p50Ms).padStart(6)} ms   p99 ${String(r.p99Ms).padStart(6)} ms   (p50 of runs: ${r.p50Runs.join(', ')}; p99 of runs: ${r.runs.join(', ')})`);
    const comparable = opts.clusters >= 200 && opts.devices === 8;
    const verdict = { p99MsTarget: TARGET_P99_MS, comparable, p99Met: comparable && rows[0].p99Ms <= TARGET_P99_MS };
    console.log(`\n  target p99 <= ${TARGET_P99_MS} ms over >= 200 clusters of 8 devices: ${!comparable ? `not measured (${opts.clusters} clusters of ${opts.devices})` : verdict.p99Met ? 'met' : 'NOT met'}`);
    const result = {
      bench: 'dispatch',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      agents: 'simulated in the bench process: they read the mailbox in Redis (woken by its channel, as the long poll is), acknowledge each job item and publish AgentJobReported(accepted) on Kafka as verification would',
      loadAverageAtStart,
      uptimeAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      options: opts,
      rows,
      runs: { service, raw },
      verdict,
    };
    mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    const file = opts.rate === 10 ? 'dispatch.json' : `dispatch-rate${opts.rate}.json`;
    writeFileSync(path.join(root, 'bench', 'results', file), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to bench/results/${file}`);
  } finally {
    await cleanup();
  }
}

function message(schemaDesc, context, key, data) {
  const eventId = newEventId();
  const metadata = {
    eventId,
    eventType: schemaDesc.typeName,
    schemaVersion: 1,
    aggregateType: context,
    aggregateId: key,
    aggregateVersion: 1n,
    occurredAt: new Date(),
    correlationId: eventId,
    causationId: eventId,
    producer: 'bench',
    traceparent: '',
    tracestate: '',
    globalPosition: 0n,
  };
  return {
    key,
    value: Buffer.from(encodeEnvelope(metadata, toBinary(schemaDesc, create(schemaDesc, data)))),
    headers: { [EVENT_HEADERS.eventType]: schemaDesc.typeName, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: '1' },
  };
}

function clusterRequested(requestId, customerId, gpuCount) {
  return {
    requestId,
    customerId,
    clusterType: matchingV1.ClusterType.RAY,
    purpose: 'bench',
    gpuModel: 'RTX-4090',
    gpuCount,
    countryCodes: ['DE'],
    connectivityTier: commonV1.ConnectivityTier.HIGH,
    securityTier: commonV1.SecurityTier.STANDARD,
    supplySources: [commonV1.SupplySource.INDIVIDUAL],
    durationHours: 1,
    paymentAsset: Asset.USDC,
    requestedAt: timestampFromDate(new Date()),
  };
}

function clusterMatched(requestId, quoteId, customerId, devices, request) {
  const compute = 2_000_000n * BigInt(devices.length);
  const usdc = (n) => ({ amountBaseUnits: n.toString(), asset: Asset.USDC });
  return {
    requestId,
    customerId,
    quoteId,
    reservations: devices.map((deviceId, i) => ({
      deviceId,
      supplierId: randomUUID(),
      gpuCount: 1,
      pricePerGpuHour: PRICE,
      role: i === 0 ? matchingV1.ReservationRole.HEAD : matchingV1.ReservationRole.WORKER,
      countryCode: 'DE',
      region: 'eu-central',
    })),
    clusterType: matchingV1.ClusterType.RAY,
    paymentAsset: Asset.USDC,
    request,
    durationHours: 1,
    computePrice: usdc(compute),
    reservationFee: usdc(compute / 400n),
    paymentFee: usdc(compute / 50n),
    totalPrice: usdc(compute + compute / 400n + compute / 50n),
    quoteExpiresAt: timestampFromDate(new Date(Date.now() + 20 * 60_000)),
    matchedAt: timestampFromDate(new Date()),
  };
}

function acceptedData(job, deviceId) {
  return {
    jobId: job.jobId,
    leaseId: job.leaseId,
    deviceId,
    sequence: 0n,
    kind: verificationV1.AgentJobEventKind.ACCEPTED,
    text: '',
    stream: '',
    reportedAt: timestampFromDate(new Date()),
    receivedAt: timestampFromDate(new Date()),
  };
}

/** Simulated agents reading the mailbox (libs/platform/src/agent-work) as the long poll does. */
class Agents {
  constructor({ redis, subscriber, queuePrefix, onJob }) {
    Object.assign(this, { redis, subscriber, queuePrefix, onJob });
    this.prefix = `${queuePrefix}:agent-work:`;
    this.seen = new Set();
    this.waiting = new Map();
    this.doneAt = new Map();
    this.duplicates = 0;
    this.reading = new Map();
  }

  async start() {
    this.subscriber.on('message', (_channel, deviceId) => void this.read(deviceId));
    await this.subscriber.subscribe(`${this.queuePrefix}:agent-work:wake`);
  }

  expect(leaseId, jobs) {
    this.waiting.set(leaseId, jobs);
  }

  /** One read per device at a time; a wake during a read reads again after it. */
  async read(deviceId) {
    if (this.reading.has(deviceId)) {
      this.reading.set(deviceId, true);
      return;
    }
    this.reading.set(deviceId, false);
    try {
      do {
        this.reading.set(deviceId, false);
        const ids = await this.redis.zrange(`${this.prefix}${deviceId}:queue`, 0, 49);
        if (ids.length === 0) continue;
        const bodies = await this.redis.hmget(`${this.prefix}${deviceId}:items`, ...ids);
        for (const body of bodies) {
          if (!body) continue;
          const item = JSON.parse(body);
          if (item.kind !== 'job') continue;
          if (this.seen.has(item.job.jobId)) {
            this.duplicates++;
            continue;
          }
          this.seen.add(item.job.jobId);
          // As verification acknowledges on the agent's `accepted` (AgentWorkMailbox.acknowledge).
          const id = `job:${item.job.jobId}`;
          await this.redis
            .multi()
            .hdel(`${this.prefix}${deviceId}:items`, id)
            .zrem(`${this.prefix}${deviceId}:queue`, id)
            .sadd(`${this.prefix}${deviceId}:acked`, id)
            .pexpire(`${this.prefix}${deviceId}:acked`, ACKNOWLEDGED_MEMORY_MS)
            .exec();
          await this.onJob(item.job, deviceId);
          const left = (this.waiting.get(item.job.leaseId) ?? 0) - 1;
          this.waiting.set(item.job.leaseId, left);
          if (left === 0) this.doneAt.set(item.job.leaseId, Date.now());
        }
      } while (this.reading.get(deviceId));
    } finally {
      this.reading.delete(deviceId);
    }
  }

  async allDone(leaseIds, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (leaseIds.some((id) => !this.doneAt.has(id))) {
      if (Date.now() > deadline) throw new Error(`${leaseIds.filter((id) => !this.doneAt.has(id)).length} clusters never had every job taken`);
      await sleep(50);
    }
    return this.doneAt;
  }
}

/** Counts leasing's LeaseJobStatusChanged(accepted) per lease, from its topic. */
class AcceptedRecorder {
  constructor() {
    this.waiting = new Map();
    this.doneAt = new Map();
  }

  expect(leaseId, jobs) {
    this.waiting.set(leaseId, jobs);
  }

  async start(kafka, topic, groupId) {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 8,
      eachMessage: async ({ message: m }) => {
        const type = m.headers?.[EVENT_HEADERS.eventType]?.toString();
        if (type !== leasingV1.LeaseJobStatusChangedSchema.typeName) return;
        const { payload } = decodeEnvelope(m.value);
        const e = fromBinary(leasingV1.LeaseJobStatusChangedSchema, payload);
        if (e.status !== leasingV1.LeaseJobStatus.ACCEPTED || !this.waiting.has(e.leaseId)) return;
        const left = this.waiting.get(e.leaseId) - 1;
        this.waiting.set(e.leaseId, left);
        if (left === 0) this.doneAt.set(e.leaseId, Date.now());
      },
    });
    return consumer;
  }

  async allDone(leaseIds, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (leaseIds.some((id) => !this.doneAt.has(id))) {
      if (Date.now() > deadline) throw new Error(`${leaseIds.filter((id) => !this.doneAt.has(id)).length} clusters never had every job recorded accepted`);
      await sleep(50);
    }
    return this.doneAt;
  }
}

/** The hops' raw limits at the same rate: Kafka publish -> consume, Redis PUBLISH -> message, and an
 *  agent long-poll round trip (a GET held by a bare HTTP server until a Redis PUBLISH wakes it). */
async function rawRoundTrips(kafka, producer, redis, subscriber, topicPrefix, groupId, count, rate, consumers) {
  const topic = `${topicPrefix}raw`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).catch(() => undefined);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  const kafkaLatencies = [];
  let joined;
  const ready = new Promise((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ eachMessage: async ({ message: m }) => void kafkaLatencies.push(Date.now() - Number(m.value.toString())) });
  await ready;
  await sleep(500);
  const channel = `${topicPrefix}raw-redis`;
  const redisLatencies = [];
  const onMessage = (c, sent) => c === channel && redisLatencies.push(Date.now() - Number(sent));
  subscriber.on('message', onMessage);
  await subscriber.subscribe(channel);
  const poll = await longPoll(redis.duplicate(), `${topicPrefix}raw-long-poll`);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = started + (i / rate) * 1_000 - performance.now();
    if (wait > 0) await sleep(wait);
    await producer.send({ topic, acks: -1, messages: [{ value: String(Date.now()) }] });
    await redis.publish(channel, String(Date.now()));
    await poll.wake();
  }
  const deadline = Date.now() + 60_000;
  while ((kafkaLatencies.length < count || redisLatencies.length < count || poll.latencies.length < count) && Date.now() < deadline) await sleep(50);
  subscriber.off('message', onMessage);
  await subscriber.unsubscribe(channel);
  await consumer.disconnect();
  await poll.close();
  const k = kafkaLatencies.sort((a, b) => a - b);
  const r = redisLatencies.sort((a, b) => a - b);
  const l = poll.latencies.sort((a, b) => a - b);
  return { kafkaP50Ms: percentile(k, 50), kafkaP99Ms: percentile(k, 99), redisP50Ms: percentile(r, 50), redisP99Ms: percentile(r, 99), longPollP50Ms: percentile(l, 50), longPollP99Ms: percentile(l, 99) };
}

/** One agent's long poll, bare: the client always has a GET open; the server holds it until a
 *  PUBLISH on the channel names the time it was sent, and answers with it; the client takes the
 *  latency and polls again at once. */
async function longPoll(publisher, channel) {
  const sub = publisher.duplicate();
  const held = [];
  const pending = [];
  const latencies = [];
  sub.on('message', (_c, sent) => {
    const res = held.shift();
    if (res) res.end(sent);
    else pending.push(sent);
  });
  await sub.subscribe(channel);
  const server = createServer((_req, res) => {
    if (pending.length) res.end(pending.shift());
    else held.push(res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/poll`;
  let open = true;
  const client = (async () => {
    while (open) {
      const sent = await fetch(url).then((res) => res.text(), () => '');
      if (sent) latencies.push(Date.now() - Number(sent));
    }
  })();
  return {
    latencies,
    wake: () => publisher.publish(channel, String(Date.now())),
    close: async () => {
      open = false;
      server.closeAllConnections();
      await client;
      await new Promise((r) => server.close(r));
      sub.disconnect();
      publisher.disconnect();
    },
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
