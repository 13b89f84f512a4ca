// The ledger bench: the ledger projection (services/ledger) applying money events live, and rebuilt
// blue/green from a topic of N events, each beside a raw kafkajs consume of the same topic in the
// same run (the limit). Durable settings: synchronous_commit on, acks=all.
//   npm run bench -- ledger [--runs=3] [--events=1000000] [--decision-events=20000] [--raw-max-bytes=67108864]
// Beside each rate: the CPU per event of this process and of the PostgreSQL backends of its pool
// (read from /proc when PostgreSQL runs on this machine), which a loaded machine does not change
// the way it changes rates (ADR 0331).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, createTopicWithLeaders, KAFKA_BROKERS, median, rawConsume, table } from './support.mjs';

const require = createRequire(import.meta.url);
const { Pool, Client } = require('pg');
const { Kafka, logLevel } = require('kafkajs');
const { create, toBinary } = require('@bufbuild/protobuf');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const ev = require('@ionet/eventing');
const ct = require('@ionet/contracts');

const BROKERS = KAFKA_BROKERS.split(',');
const quietLogger = { log: () => {}, warn: () => {}, error: (m) => console.error(m) };
// Every partition of the bench topic (12) applied side by side, fetches of up to 64 MiB: on a loaded
// machine a rebuild waits on round trips more than on CPU, and fewer, wider fetches wait less
// (ADR 0331). The raw baseline runs with the same concurrency.
const CONSUMER = { partitionsConsumedConcurrently: 12, maxBytesPerPartition: 4 * 1_048_576, maxBytes: 64 * 1_048_576 };

export async function run({ root, flags }) {
  const { ledgerProjection, LEDGER_TABLES } = require(path.join(root, 'services/ledger/dist/application/projections/ledger.projection'));
  const runs = Number(flags.runs ?? 1);
  const results = [];
  for (let i = 0; i < runs; i++) {
    const load = os.loadavg().map((l) => Math.round(l * 100) / 100);
    console.log(`run ${i + 1} of ${runs}, load average ${load.join(' ')}`);
    results.push({ load, ...(await runOnce({ flags, ledgerProjection, LEDGER_TABLES })) });
  }
  const first = results[0];
  const rows = first.rows.map((row, i) => {
    const values = results.map((r) => r.rows[i]?.value);
    return { ...row, value: median(values), runs: values };
  });
  const notes = results.flatMap((r, i) => r.notes.map((n) => (runs > 1 ? `run ${i + 1}: ${n}` : n)));
  const result = {
    bench: 'ledger', runIds: results.map((r) => r.runId), at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadAverageBeforeEachRun: results.map((r) => r.load), loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    options: first.opts, runs, rows, notes,
  };
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'ledger.json'), JSON.stringify(result, null, 2) + '\n');
  console.log('\n' + (runs > 1 ? `median of ${runs} runs\n` : '') + table(rows));
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`\nwrote bench/results/ledger.json`);
}

async function runOnce({ flags, ledgerProjection, LEDGER_TABLES }) {
  const opts = {
    events: Number(flags.events ?? 1_000_000),
    decisionEvents: Number(flags['decision-events'] ?? 20_000),
    partitions: Number(flags.partitions ?? 12),
    // The raw baseline's fetch limits: the whole fetch and each partition (ADR 0331).
    rawMaxBytes: Number(flags['raw-max-bytes'] ?? 64 * 1_048_576),
    rawMaxBytesPerPartition: Number(flags['raw-max-bytes-per-partition'] ?? 16 * 1_048_576),
  };
  const runId = `l${Date.now().toString(36)}`;
  const dbName = 'ionet_bench';
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!(await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount) await admin.query(`create database ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const kafka = new Kafka({ clientId: `ionet-bench-${runId}`, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const rows = [];
  const notes = [];
  const add = (group, name, value, unit, target, extra = {}) => {
    // Ratios keep three decimals, rates one.
    const scale = unit === 'x' ? 1_000 : 10;
    const rounded = Math.round(value * scale) / scale;
    rows.push({ group, name, value: rounded, unit, target: target ?? '', ...extra });
    console.log(`  ${group.padEnd(8)} ${name.padEnd(72)} ${String(rounded).padStart(12)} ${unit}`);
  };
  const schemas = [];
  const pools = [];
  const newSchema = async (label) => {
    const schema = `bench_${runId}_${label}`;
    const client = new Client({ connectionString: dbUrl.toString() });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    schemas.push(schema);
    // Connections kept open (no idle timeout) under the schema's name, so their backends' CPU can be read.
    const pool = new Pool({ connectionString: dbUrl.toString(), options: `-c search_path=${schema}`, max: 16, idleTimeoutMillis: 0, application_name: schema });
    pool.benchName = schema;
    pools.push(pool);
    await ev.installEventingSchema(pool);
    return pool;
  };
  const prefix = `bench.${runId}.`;
  const createTopic = (topic, partitions) => createTopicWithLeaders(kafkaAdmin, topic, partitions);

  const ledgerState = async (pool) => {
    const { rows: balances } = await pool.query(`select account, asset, debits_posted_base_units::text as d, credits_posted_base_units::text as c from ${LEDGER_TABLES.balances}`);
    balances.sort((x, y) => (x.account < y.account ? -1 : x.account > y.account ? 1 : x.asset < y.asset ? -1 : 1));
    const hash = require('node:crypto').createHash('sha256');
    for (const b of balances) hash.update(`${b.account}\t${b.asset}\t${b.d}\t${b.c}\n`);
    const entries = (await pool.query(`select count(*)::int as n from ${LEDGER_TABLES.entries}`)).rows[0].n;
    return { hash: hash.digest('hex'), entries, balances: balances.length };
  };
  /** CPU (µs) of this process and of the pool's PostgreSQL backends, to diff around a phase. */
  const cpuNow = async (pool) => {
    const cpu = process.cpuUsage();
    const backends = new Map();
    try {
      const { rows } = await pool.query('select pid from pg_stat_activity where application_name = $1', [pool.benchName]);
      const tick = 1e6 / 100; // USER_HZ
      for (const { pid } of rows) {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        backends.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
      }
    } catch {
      return { node: cpu.user + cpu.system, backends: undefined };
    }
    return { node: cpu.user + cpu.system, backends };
  };
  const cpuPerEvent = (before, after, events) => {
    let pg;
    if (before.backends && after.backends) {
      pg = 0;
      for (const [pid, micros] of after.backends) pg += micros - (before.backends.get(pid) ?? 0);
    }
    return { node: (after.node - before.node) / events, pg: pg === undefined ? NaN : pg / events };
  };
  /** Runs a live consumer of the projection until it applied `count` events; events/s from its first batch. */
  const applyLive = async (manager, definition, count) => {
    let applied = 0;
    let firstAt;
    let lastAt;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const runner = manager.liveRunner(definition, {
      logger: quietLogger,
      onProgress: (p) => {
        firstAt ??= performance.now();
        applied += p.appliedCount;
        lastAt = performance.now();
        if (applied >= count) done();
      },
    });
    const t = performance.now();
    await runner.start();
    await finished;
    await runner.stop();
    return { applied, rate: applied / ((lastAt - firstAt) / 1000), wallSeconds: (performance.now() - t) / 1000 };
  };

  try {
    const sync = (await admin.query('show synchronous_commit')).rows[0].synchronous_commit;
    console.log(`ledger bench ${runId}: synchronous_commit=${sync}, options ${JSON.stringify(opts)}`);
    if (sync !== 'on') notes.push(`synchronous_commit is ${sync}, not on`);

    // The topic: billing events of many customers, leases and suppliers, as the real mix would be
    // (charged hours dominate), produced with a batched idempotent producer.
    const topic = ct.topicName('billing', prefix);
    await createTopic(topic, opts.partitions);
    await createTopic(ct.topicName('tokenomics', prefix), 1);
    await createTopic(ct.topicName('dlq', prefix), 1);
    let t = performance.now();
    await produceMoneyEvents(kafka, topic, opts.events);
    const produceS = (performance.now() - t) / 1000;
    add('produce', `batched idempotent producer, acks=all (${opts.events} events)`, opts.events / produceS, 'events/s');

    const raw = await rawConsume(kafka, topic, `${prefix}raw`, opts.events, { ...CONSUMER, maxBytes: opts.rawMaxBytes, maxBytesPerPartition: opts.rawMaxBytesPerPartition });
    add('limit', `raw kafkajs consumer, eachBatch, values touched, fetch ${opts.rawMaxBytes / 1_048_576} MiB / ${opts.rawMaxBytesPerPartition / 1_048_576} MiB per partition (${opts.events} events)`, raw.rate, 'events/s');
    add('limit', 'raw kafkajs consumer: CPU of this process per event', raw.cpuMicros / opts.events, 'µs');

    const pool = await newSchema('journal');
    const manager = new ev.ProjectionManager({ kafka, transactions: new ev.PgTransactionRunner(pool), deadLetterTopic: ct.topicName('dlq', prefix), logger: quietLogger, consumer: CONSUMER });
    const spec = ledgerProjection({});
    const definition = ev.projectionDefinition({ ...spec, consumerGroup: 'ledger.journal' }, prefix);
    await manager.install(definition);
    let cpuBefore = await cpuNow(pool);
    const live = await applyLive(manager, definition, opts.events);
    let cpu = cpuPerEvent(cpuBefore, await cpuNow(pool), live.applied);
    add('live', `ledger projection live: entries booked (${live.applied} events, one entry each)`, live.rate, 'entries/s', '', { wallSeconds: live.wallSeconds });
    add('live', 'live: CPU per event of this process', cpu.node, 'µs');
    add('live', 'live: CPU per event of its PostgreSQL backends', cpu.pg, 'µs');
    const liveState = await ledgerState(pool);

    let firstProgressAt;
    t = performance.now();
    cpuBefore = await cpuNow(pool);
    const rebuilt = await manager.rebuild(definition, { verifyAgainstLive: false, onProgress: () => (firstProgressAt ??= performance.now()) });
    const rebuildRate = rebuilt.eventsApplied / ((performance.now() - firstProgressAt) / 1000);
    cpu = cpuPerEvent(cpuBefore, await cpuNow(pool), rebuilt.eventsApplied);
    add('rebuild', `ProjectionManager.rebuild of the ledger (${rebuilt.eventsApplied} events, new generation, swap)`, rebuildRate, 'events/s', '>= 100000', { wallSeconds: (performance.now() - t) / 1000 });
    add('rebuild', 'rebuild / raw kafkajs consume', rebuildRate / raw.rate, 'x', '>= 0.5');
    add('rebuild', 'rebuild: CPU per event of this process (raw consume: the limit row above)', cpu.node, 'µs');
    add('rebuild', 'rebuild: CPU per event of its PostgreSQL backends (inbox copy, indexes, COPY)', cpu.pg, 'µs');
    const rebuiltState = await ledgerState(pool);
    add('rebuild', 'rebuilt state hash equals the live one (1 = yes)', rebuiltState.hash === liveState.hash && rebuiltState.entries === liveState.entries ? 1 : 0, '', '1');
    if (rebuiltState.entries !== opts.events) notes.push(`the ledger holds ${rebuiltState.entries} entries, expected ${opts.events}`);

    // Live apply with the process managers deciding (payouts accrued, buybacks requested: two
    // appends to the ledger's event store per charged hour) on a smaller topic of its own.
    const decisionPrefix = `${prefix}pm.`;
    const decisionTopic = ct.topicName('billing', decisionPrefix);
    await createTopic(decisionTopic, opts.partitions);
    await createTopic(ct.topicName('tokenomics', decisionPrefix), 1);
    await createTopic(ct.topicName('dlq', decisionPrefix), 1);
    await produceMoneyEvents(kafka, decisionTopic, opts.decisionEvents, true);
    const pmPool = await newSchema('decisions');
    const pmManager = new ev.ProjectionManager({ kafka, transactions: new ev.PgTransactionRunner(pmPool), deadLetterTopic: ct.topicName('dlq', decisionPrefix), logger: quietLogger, consumer: CONSUMER });
    const pmDefinition = ev.projectionDefinition(ledgerProjection({ store: new ev.EventStore({ pool: pmPool, producer: 'ledger', commitNotify: false }) }), decisionPrefix);
    await pmManager.install(pmDefinition);
    const pmLive = await applyLive(pmManager, pmDefinition, opts.decisionEvents);
    const decided = (await pmPool.query('select count(*)::int as n from events')).rows[0].n;
    add('live', `ledger projection live with its process managers (${pmLive.applied} events, ${decided} decisions)`, pmLive.rate, 'events/s', '', { wallSeconds: pmLive.wallSeconds });
    t = performance.now();
    firstProgressAt = undefined;
    const pmRebuilt = await pmManager.rebuild(pmDefinition, { verifyAgainstLive: false, onProgress: () => (firstProgressAt ??= performance.now()) });
    const decidedAfter = (await pmPool.query('select count(*)::int as n from events')).rows[0].n;
    add('rebuild', `rebuild with process managers: decisions found made, none appended (${pmRebuilt.eventsApplied} events)`, pmRebuilt.eventsApplied / ((performance.now() - firstProgressAt) / 1000), 'events/s');
    add('rebuild', 'decisions appended again by the rebuild', decidedAfter - decided, '', '0');
  } finally {
    for (const pool of pools) await pool.end();
    const cleanup = new Client({ connectionString: dbUrl.toString() });
    await cleanup.connect();
    for (const schema of schemas) await cleanup.query(`drop schema if exists ${schema} cascade`);
    await cleanup.end();
    await admin.end();
    const topics = (await kafkaAdmin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length) await kafkaAdmin.deleteTopics({ topics });
    await kafkaAdmin.disconnect();
  }
  return { runId, opts, rows, notes };
}

/** Deposits, locks, charged hours (most), refunds and releases of 5,000 customers and 2,000 suppliers. */
export async function produceMoneyEvents(kafka, topic, count, unique = false) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batchSize = 10_000;
  const usdc = (n) => ct.money(BigInt(n), ct.Asset.USDC);
  const customer = (i) => `00000000-0000-7000-8000-${String(i % 5_000).padStart(12, '0')}`;
  const supplier = (i) => `00000000-0000-7000-9000-${String(i % 2_000).padStart(12, '0')}`;
  const lease = (i) => `00000000-0000-7000-a000-${String(i % 20_000).padStart(12, '0')}`;
  const baseMs = 1_764_000_000_000;
  const types = [
    [ct.billingV1.DepositReceivedSchema, (i, at) => ({ depositId: `dep-${i}`, customerId: customer(i), amount: usdc(50_000_000), method: ct.billingV1.PaymentMethod.USDC, externalReference: 'bench', receivedAt: at })],
    [ct.billingV1.EscrowLockedSchema, (i, at) => ({ escrowId: `esc-${i}`, leaseId: lease(i), customerId: customer(i), amount: usdc(10_225_000), reservationFee: usdc(25_000), paymentFee: usdc(200_000), lockedAt: at })],
    ...Array.from({ length: 6 }, () => [
      ct.billingV1.UsageChargedSchema,
      (i, at) => ({ chargeId: `chg-${i}`, leaseId: lease(i), customerId: customer(i), supplierId: supplier(i), deviceId: `dev-${i % 4_000}`, hourIndex: 1 + (i % 24), gross: usdc(1_000_000), supplierEarnings: usdc(977_500), platformFee: usdc(22_500), sourceEventId: ct.newEventId(), chargedAt: at }),
    ]),
    [ct.billingV1.RefundIssuedSchema, (i, at) => ({ refundId: `ref-${i}`, leaseId: lease(i), customerId: customer(i), amount: usdc(1_000_000), reason: ct.billingV1.RefundReason.TIME_LOCK_VIOLATED, sourceEventId: ct.newEventId(), refundedAt: at })],
    [ct.billingV1.EscrowReleasedSchema, (i, at) => ({ escrowId: `esc-${i}`, leaseId: lease(i), customerId: customer(i), amount: usdc(500_000), releasedAt: at })],
  ];
  // Payloads repeat after `variants` events (the envelope, its event id and time, never does): a
  // charge id then appears more than once, which the journal does not mind (one entry per event).
  const variants = Math.min(count, unique ? count : 20_000);
  const payloads = Array.from({ length: variants }, (_, i) => {
    const [schema, build] = types[i % types.length];
    return toBinary(schema, create(schema, build(i, timestampFromDate(new Date(baseMs + i)))));
  });
  const pending = [];
  for (let start = 0; start < count; start += batchSize) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      const [schema] = types[i % types.length];
      const occurredAt = new Date(baseMs + i);
      const payload = payloads[i % variants];
      const aggregateId = lease(i);
      const metadata = { eventId: ct.newEventId(), eventType: schema.typeName, schemaVersion: 1, aggregateType: 'billing', aggregateId, aggregateVersion: 1n, occurredAt, correlationId: '', causationId: '', producer: 'bench', traceparent: '', tracestate: '', globalPosition: BigInt(i + 1) };
      messages.push({ key: aggregateId, value: Buffer.from(ct.encodeEnvelope(metadata, payload)), headers: { 'ionet-event-type': schema.typeName, 'ionet-event-id': metadata.eventId } });
    }
    pending.push(producer.send({ topic, acks: -1, messages }));
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);
  await producer.disconnect();
}
