// The eventing bench: event store appends (vs raw COPY and Emmett), relay throughput (vs Kafka's
// ProducerPerformance), commit-to-projection latency at a fixed rate, and replay (vs a raw kafkajs
// consumer). Durable settings throughout: synchronous_commit on, acks=all.
import { createRequire } from 'node:module';
import { fork, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ADMIN_URL, createTopicWithLeaders, KAFKA_BROKERS, median, rawConsume, sleep, table } from './support.mjs';

const require = createRequire(import.meta.url);
const { Pool, Client } = require('pg');
const { Kafka, logLevel } = require('kafkajs');
const { create, toBinary } = require('@bufbuild/protobuf');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const ev = require('@ionet/eventing');
const ct = require('@ionet/contracts');

const KAFKA_LIBS = process.env.IONET_KAFKA_LIBS ?? '/root/.cache/ionet/kafka-3.9.1/libs';
const BROKERS = KAFKA_BROKERS.split(',');
const quietLogger = { log: () => {}, warn: () => {}, error: (m) => console.error(m) };

// --runs=N runs the selected groups N times in one process and records each row's median (and
// every run's value), with the machine's load average before each run.
export async function run({ root, flags }) {
  const runs = Number(flags.runs ?? 1);
  const results = [];
  for (let i = 0; i < runs; i++) {
    const load = (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100);
    console.log(`run ${i + 1} of ${runs}, load average ${load.join(' ')}`);
    results.push({ load, ...(await runOnce({ flags })) });
  }
  const first = results[0];
  const rows = first.rows.map((row, i) => {
    const values = results.map((r) => r.rows[i]?.value);
    return { ...row, value: median(values), runs: values };
  });
  const notes = results.flatMap((r, i) => r.notes.map((n) => (runs > 1 ? `run ${i + 1}: ${n}` : n)));
  const os = await import('node:os');
  const result = {
    bench: 'eventing', runIds: results.map((r) => r.runId), at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadAverageBeforeEachRun: results.map((r) => r.load) },
    options: first.opts, runs, rows, notes,
  };
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'eventing.json'), JSON.stringify(result, null, 2) + '\n');
  console.log('\n' + (runs > 1 ? `median of ${runs} runs (row names from the first)\n` : '') + table(rows));
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`\nwrote bench/results/eventing.json`);
}


async function runOnce({ flags }) {
  const opts = {
    singleCommands: Number(flags['single-commands'] ?? 5_000),
    batchedEvents: Number(flags['batched-events'] ?? 100_000),
    eventsPerAppend: Number(flags['events-per-append'] ?? 100),
    latencyRatePerS: Number(flags['latency-rate'] ?? 1_000),
    latencySeconds: Number(flags['latency-seconds'] ?? 10),
    replayEvents: Number(flags['replay-events'] ?? 1_000_000),
    // The relay's backlog (relay and contention groups).
    relayEvents: Number(flags['relay-events'] ?? 110_000),
    // Where the latency bench's load generator runs: 'worker' (a worker thread, default) or
    // 'inline' (the consumer's own event loop, as before ADR 0207).
    latencyGenerator: String(flags['latency-generator'] ?? 'worker'),
    // The consumer's fetchWaitMsMax in the latency bench.
    latencyFetchWaitMs: Number(flags['latency-fetch-wait'] ?? 10),
    // The generator's event store wakes the relay by NOTIFY after commits (ADR 0207); off: polling.
    latencyCommitNotify: flags['latency-commit-notify'] !== 'false',
    // The consumer declares that it never appends (a projection: ADR 0221), so the relay of the same
    // database does not wait for its batches; true: it may append, and holds the relay back.
    latencyConsumerAppends: flags['latency-consumer-appends'] === 'true',
    // The consumer lets kafkajs fetch while it applies a batch (ConsumerRunner fetchAhead, ADR 0221).
    latencyFetchAhead: flags['latency-fetch-ahead'] === 'true',
    // A second consumer group beside the first, the other way for fetchAhead (a paired comparison).
    latencyPair: flags['latency-pair'] === 'true',
    // Groups: append, relay (beside ProducerPerformance), contention (the relay beside a second
    // workload), latency (with the raw kafkajs round trip), replay. A quick run:
    // --only=relay,contention,latency --relay-events=50000 (about 2 minutes).
    only: flags.only ? String(flags.only).split(',') : ['append', 'relay', 'contention', 'latency', 'replay'],
  };
  const want = (section) => opts.only.includes(section);
  const runId = `b${Date.now().toString(36)}`;
  // A database of its own, as each service has: the relay's horizon is per database (ADR 0220), so
  // another bench's transaction in a shared database (ionet_bench: the http, ledger and
  // verification benches) holds its relay back, correctly: that transaction could append to any
  // schema's events table. One such wait stalled the relay for 5 s in a run (ADR 0221).
  const dbName = 'ionet_bench_eventing';
  const emmettDb = `ionet_bench_emmett_${runId}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!(await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount) await admin.query(`create database ${dbName}`);
  await admin.query(`create database ${emmettDb}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const kafka = new Kafka({ clientId: `ionet-bench-${runId}`, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const rows = [];
  const notes = [];
  const add = (group, name, value, unit, target, extra = {}) => {
    rows.push({ group, name, value: Math.round(value * 10) / 10, unit, target: target ?? '', ...extra });
    console.log(`  ${group.padEnd(10)} ${name.padEnd(58)} ${String(Math.round(value * 10) / 10).padStart(12)} ${unit}`);
  };
  const schemas = [];
  const newSchema = async (label) => {
    const schema = `bench_${runId}_${label}`;
    const client = new Client({ connectionString: dbUrl.toString() });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    schemas.push(schema);
    const config = { connectionString: dbUrl.toString(), options: `-c search_path=${schema}`, max: 16 };
    const pool = new Pool(config);
    await ev.installEventingSchema(pool);
    return { schema, config, pool };
  };
  const topicPrefix = `bench.${runId}.`;
  const createTopic = (topic, partitions) => createTopicWithLeaders(kafkaAdmin, topic, partitions);

  try {
    const sync = (await admin.query('show synchronous_commit')).rows[0].synchronous_commit;
    console.log(`eventing bench ${runId}: synchronous_commit=${sync}, options ${JSON.stringify(opts)}`);
    if (sync !== 'on') notes.push(`synchronous_commit is ${sync}, not on`);

    const priceEvent = (i) => ({
      schema: ct.inventoryV1.DevicePriceSetSchema,
      data: { deviceId: `dev-${i}`, supplierId: 'sup-bench', askPricePerGpuHour: ct.money(BigInt(2_000_000 + (i % 1000)), ct.Asset.USDC), setAt: timestampFromDate(new Date(1_764_000_000_000 + i)) },
      occurredAt: new Date(1_764_000_000_000 + i),
    });
    const pools = [];
    let t;
    if (want('append')) {
    // Appends.
    const appendDb = await newSchema('append');
    pools.push(appendDb.pool);
    const store = new ev.EventStore({ pool: appendDb.pool, producer: 'bench' });
    // The same commands without the NOTIFY sent after each commit (coalesced, ADR 0207), first.
    const silentStore = new ev.EventStore({ pool: appendDb.pool, producer: 'bench', commitNotify: false });
    // Warm-up (not measured, not relayed): every pooled connection opened and the append prepared,
    // so that neither of the two measured runs pays for it.
    await inParallel(320, 16, (i) => silentStore.append(undefined, { streamId: `warmup-${i}`, streamType: 'device', expectedVersion: 'no_stream', events: [priceEvent(i)] }));
    await appendDb.pool.query(`delete from events where stream_id like 'warmup-%'`);
    t = performance.now();
    await inParallel(opts.singleCommands, 16, (i) => silentStore.append(undefined, { streamId: `silent-${i}`, streamType: 'device', expectedVersion: 'no_stream', events: [priceEvent(i)] }));
    const silentRate = opts.singleCommands / ((performance.now() - t) / 1000);
    add('append', 'event store: single-event commands (16 concurrent), no commit NOTIFY', silentRate, 'events/s');
    t = performance.now();
    await inParallel(opts.singleCommands, 16, (i) => store.append(undefined, { streamId: `single-${i}`, streamType: 'device', expectedVersion: 'no_stream', events: [priceEvent(i)] }));
    const singleRate = opts.singleCommands / ((performance.now() - t) / 1000);
    add('append', 'event store: single-event commands (16 concurrent), NOTIFY after commit', singleRate, 'events/s');
    const appendsBatched = Math.ceil(opts.batchedEvents / opts.eventsPerAppend);
    t = performance.now();
    await inParallel(appendsBatched, 8, (j) =>
      store.append(undefined, { streamId: `batched-${j}`, streamType: 'device', expectedVersion: 'no_stream', events: Array.from({ length: opts.eventsPerAppend }, (_, k) => priceEvent(j * opts.eventsPerAppend + k)) }),
    );
    const batchedRate = opts.batchedEvents / ((performance.now() - t) / 1000);
    add('append', `event store: batched, ${opts.eventsPerAppend} events per append (8 concurrent)`, batchedRate, 'events/s', '>= 10000 and >= 1.5x Emmett');

    // Raw COPY of the same rows into a copy of the events table (server-side file, durable commit).
    await appendDb.pool.query('create table events_copy (like events including all)');
    const copyFile = path.join('/tmp', `ionet-bench-${runId}.csv`);
    const sample = (await appendDb.pool.query(`select event_id, stream_id, stream_type, version, event_type, schema_version, encode(payload, 'hex') as payload, occurred_at, producer from events where stream_id like 'batched-%' order by position`)).rows;
    writeFileSync(copyFile, sample.map((r) => `${randomUUID()},${r.stream_id},${r.stream_type},${r.version},${r.event_type},${r.schema_version},\\x${r.payload},${r.occurred_at.toISOString()},${r.producer}`).join('\n') + '\n');
    chmodSync(copyFile, 0o644);
    t = performance.now();
    await appendDb.pool.query(`copy events_copy (event_id, stream_id, stream_type, version, event_type, schema_version, payload, occurred_at, producer) from '${copyFile}' (format csv)`);
    add('append', 'raw PostgreSQL COPY of the same rows (one transaction)', sample.length / ((performance.now() - t) / 1000), 'events/s');
    rmSync(copyFile, { force: true });

    // Emmett, same events, same durability, its own database.
    const emmettUrl = new URL(ADMIN_URL);
    emmettUrl.pathname = `/${emmettDb}`;
    const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
    const emmett = getPostgreSQLEventStore(emmettUrl.toString());
    const emmettEvent = (i) => ({ type: 'DevicePriceSet', data: { deviceId: `dev-${i}`, supplierId: 'sup-bench', askPrice: { amountBaseUnits: String(2_000_000 + (i % 1000)), asset: 'USDC' }, setAt: new Date(1_764_000_000_000 + i).toISOString() } });
    await emmett.appendToStream('warmup', [emmettEvent(0)]);
    t = performance.now();
    await inParallel(opts.singleCommands, 16, (i) => emmett.appendToStream(`single-${i}`, [emmettEvent(i)]));
    const emmettSingle = opts.singleCommands / ((performance.now() - t) / 1000);
    add('append', 'Emmett PostgreSQL: single-event commands (16 concurrent)', emmettSingle, 'events/s');
    t = performance.now();
    await inParallel(appendsBatched, 8, (j) => emmett.appendToStream(`batched-${j}`, Array.from({ length: opts.eventsPerAppend }, (_, k) => emmettEvent(j * opts.eventsPerAppend + k))));
    const emmettBatched = opts.batchedEvents / ((performance.now() - t) / 1000);
    add('append', `Emmett PostgreSQL: batched, ${opts.eventsPerAppend} events per append (8 concurrent)`, emmettBatched, 'events/s');
    add('append', 'event store single / Emmett single', singleRate / emmettSingle, 'x', '>= 1 (ideally >= 1.5)');
    add('append', 'event store batched / Emmett batched', batchedRate / emmettBatched, 'x', '>= 1.5');
    await emmett.close?.();
    }

    if (want('relay') || want('contention')) {
    // Relay: a backlog of relayEvents (batched appends, committed before any relay runs), published
    // from a zero checkpoint by a fresh relay id to fresh topics for every row.
    const relayDb = await newSchema('relay');
    pools.push(relayDb.pool);
    const relayStore = new ev.EventStore({ pool: relayDb.pool, producer: 'bench', commitNotify: false });
    const fill = async (store, count, tag) => {
      const perAppend = Math.min(opts.eventsPerAppend, count);
      await inParallel(Math.ceil(count / perAppend), 8, (j) =>
        store.append(undefined, { streamId: `${tag}-${j}`, streamType: 'device', expectedVersion: 'no_stream', events: Array.from({ length: Math.min(perAppend, count - j * perAppend) }, (_, k) => priceEvent(j * perAppend + k)) }),
      );
    };
    await fill(relayStore, opts.relayEvents, 'relay');
    // Read directly (the backlog has committed): readAll's cluster-wide horizon returns nothing while
    // any database of the cluster has a transaction open (ADR 0220), and the machine is shared.
    const sampleEvents = (await relayDb.pool.query(`select ${ev.EVENT_COLUMNS} from events order by transaction_id, position limit 200`)).rows.map(ev.toStoredEvent);
    const messageBytes = Math.round(sampleEvents.reduce((s, e) => s + ct.encodeEnvelope(e.metadata, e.payload).length, 0) / sampleEvents.length);
    const relayRun = async (db, label, count, { horizon = 'database', deadlineMs = 120_000 } = {}) => {
      const prefix = `${topicPrefix}relay-${label}.`;
      await createTopic(ct.topicName('inventory', prefix), 12);
      const relay = new ev.OutboxRelay({ connection: db.config, kafka, topicPrefix: prefix, relayId: label, batchSizeMax: 5_000, logger: quietLogger, visibilityHorizon: horizon });
      const started = performance.now();
      // drain() stops at the visibility horizon, so it is called until every event went out.
      let relayed = 0;
      for (const deadline = Date.now() + deadlineMs; relayed < count && Date.now() < deadline; ) {
        relayed += await relay.drain(10_000);
        if (relayed < count) await sleep(5);
      }
      const seconds = (performance.now() - started) / 1000;
      await relay.stop();
      const onTopic = (await kafkaAdmin.fetchTopicOffsets(ct.topicName('inventory', prefix))).reduce((s, p) => s + Number(p.high), 0);
      if (relayed === count && onTopic !== count) notes.push(`relay ${label}: published ${relayed}, topic holds ${onTopic}`);
      return { relayed, seconds, rate: relayed / seconds };
    };
    const quiet = await relayRun(relayDb, 'quiet', opts.relayEvents);
    add('relay', `outbox relay, idempotent, acks=all (${quiet.relayed} events, ~${messageBytes} B)`, quiet.rate, 'msg/s', '>= 15000');
    if (quiet.relayed !== opts.relayEvents) notes.push(`relay published ${quiet.relayed} of ${opts.relayEvents}`);
    const perfTopic = `${topicPrefix}producer-performance`;
    await createTopic(perfTopic, 12);
    const perf = spawnSync('java', ['-cp', `${KAFKA_LIBS}/*`, 'org.apache.kafka.tools.ProducerPerformance', '--topic', perfTopic, '--num-records', String(opts.relayEvents), '--record-size', String(messageBytes), '--throughput', '-1', '--producer-props', `bootstrap.servers=${BROKERS[0]}`, 'acks=all', 'enable.idempotence=true'], { encoding: 'utf8' });
    const perfLine = perf.stdout.trim().split('\n').filter((l) => l.includes('records/sec')).pop() ?? '';
    const perfRate = Number(/([\d.]+) records\/sec/.exec(perfLine)?.[1] ?? NaN);
    add('relay', `Kafka ProducerPerformance, acks=all, idempotent (${opts.relayEvents} x ${messageBytes} B)`, perfRate, 'msg/s', '', { detail: perfLine });
    add('relay', 'outbox relay / ProducerPerformance', quiet.rate / perfRate, 'x');
    if (perf.status !== 0) notes.push(`ProducerPerformance failed: ${perf.stderr.slice(-500)}`);

    if (want('contention')) {
      // A second workload on the broker: another process producing (acks=all, idempotent, batches
      // of 1,000) to its own topics as fast as it can, and a consumer group reading them.
      const load = fork(new URL('./broker-load.mjs', import.meta.url), [BROKERS.join(','), `${topicPrefix}other.`, '12', '1000', String(messageBytes)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      const loadTicks = [];
      load.stdout.setEncoding('utf8');
      load.stdout.on('data', (chunk) => {
        for (const line of chunk.split('\n').filter(Boolean)) loadTicks.push({ at: performance.now(), ...JSON.parse(line) });
      });
      await new Promise((resolve, reject) => {
        load.once('message', resolve);
        load.once('exit', (code) => reject(new Error(`broker load exited with ${code}`)));
      });
      let loaded;
      let loadRate = NaN;
      try {
        await sleep(2_000);
        const ticksBefore = loadTicks.length;
        loaded = await relayRun(relayDb, 'loaded', opts.relayEvents);
        const during = loadTicks.slice(ticksBefore);
        if (during.length > 1) loadRate = (during.at(-1).produced - during[0].produced) / ((during.at(-1).at - during[0].at) / 1000);
      } finally {
        const exited = new Promise((resolve) => load.once('exit', resolve));
        load.send('stop');
        await Promise.race([exited, sleep(15_000).then(() => load.kill())]);
      }
      add('contention', `outbox relay while another process produces ~${Math.round(loadRate)} msg/s to other topics (+ its consumer)`, loaded.rate, 'msg/s', '', { loadProducedPerS: loadRate });
      add('contention', 'outbox relay under that load / quiet', loaded.rate / quiet.rate, 'x');

      // A transaction open in another database of the cluster (transaction ids are cluster-wide),
      // taken before the events committed, as a test suite or a psql session left in a
      // transaction would hold it. The relay's horizon per database (ADR 0220) against the
      // cluster-wide one (pg_snapshot_xmin, before).
      const txDb = await newSchema('relaytx');
      pools.push(txDb.pool);
      const elsewhere = new Client({ connectionString: ADMIN_URL });
      await elsewhere.connect();
      try {
        await elsewhere.query('begin');
        await elsewhere.query('select pg_current_xact_id()');
        const txEvents = Math.min(opts.relayEvents, 20_000);
        await fill(new ev.EventStore({ pool: txDb.pool, producer: 'bench', commitNotify: false }), txEvents, 'tx');
        const perDatabase = await relayRun(txDb, 'elsewhere-db', txEvents);
        add('contention', `outbox relay, a transaction open in another database (${txEvents} events)`, perDatabase.rate, 'msg/s');
        const cluster = await relayRun(txDb, 'elsewhere-cluster', txEvents, { horizon: 'cluster', deadlineMs: 3_000 });
        add('contention', `  same, with the cluster-wide horizon of before ADR 0220 (${cluster.relayed} published in ${cluster.seconds.toFixed(1)} s)`, cluster.rate, 'msg/s');
      } finally {
        await elsewhere.query('rollback').catch(() => undefined);
        await elsewhere.end();
      }

      // Consumer batch transactions of the same database, begun before the events committed: one
      // marked as never appending (ConsumerRunner appendsEvents: false, ADR 0221), which the relay
      // leaves out of its horizon, and one that is not, which holds every later event back.
      const markDb = await newSchema('relaymark');
      pools.push(markDb.pool);
      const markedTx = new Client(markDb.config);
      const unmarkedTx = new Client(markDb.config);
      await markedTx.connect();
      await unmarkedTx.connect();
      try {
        await markedTx.query('begin');
        await markedTx.query(`select set_config('application_name', $1, true)`, [ev.noAppendMarker('bench-projection')]);
        await markedTx.query('select pg_current_xact_id()');
        await unmarkedTx.query('begin');
        await unmarkedTx.query('select pg_current_xact_id()');
        const markEvents = Math.min(opts.relayEvents, 20_000);
        await fill(new ev.EventStore({ pool: markDb.pool, producer: 'bench', commitNotify: false }), markEvents, 'mark');
        const held = await relayRun(markDb, 'unmarked-consumer', markEvents, { deadlineMs: 3_000 });
        add('contention', `outbox relay, a consumer transaction of its database open, may append (${held.relayed} published in ${held.seconds.toFixed(1)} s)`, held.rate, 'msg/s');
        await unmarkedTx.query('rollback');
        const marked = await relayRun(markDb, 'marked-consumer', markEvents);
        add('contention', `outbox relay, a consumer transaction of its database open, marked never appending (${markEvents} events)`, marked.rate, 'msg/s');
      } finally {
        await markedTx.query('rollback').catch(() => undefined);
        await unmarkedTx.query('rollback').catch(() => undefined);
        await markedTx.end();
        await unmarkedTx.end();
      }
    }
    }

    if (want('latency')) {
    // Latency: command commit -> projection applied, at a fixed rate.
    const latencyDb = await newSchema('latency');
    pools.push(latencyDb.pool);
    await latencyDb.pool.query('create table device_prices (device_id text primary key, price bigint not null, version bigint not null)');
    const latencyPrefix = `${topicPrefix}lat.`;
    await createTopic(ct.topicName('inventory', latencyPrefix), 3);
    await createTopic(ct.topicName('dlq', latencyPrefix), 1);
    const latencyStore = new ev.EventStore({ pool: latencyDb.pool, producer: 'bench', commitNotify: opts.latencyCommitNotify ? {} : false });
    // Absolute times (timeOrigin + now): the generator may run in another thread, another clock origin.
    const now = () => performance.timeOrigin + performance.now();
    const committedAt = new Map();
    const appliedAt = new Map();
    // When the consumer's handler got each event (fetched, transaction begun, event id claimed).
    const handledAt = new Map();
    const fetchedAt = new Map();
    let batchStartedAt;
    // Split of the latency: commit -> acknowledged by Kafka (relay), then -> applied (consumer).
    const publishedAt = new Map();
    // When the relay's send to Kafka started and was acknowledged (its producer, wrapped).
    const sendStartedAt = new Map();
    const sendAckedAt = new Map();
    const relayKafka = Object.create(kafka);
    relayKafka.producer = (config) => {
      const producer = kafka.producer(config);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = async (batch) => {
        const started = now();
        const result = await sendBatch(batch);
        const acked = now();
        for (const { messages } of batch.topicMessages) {
          for (const m of messages) {
            sendStartedAt.set(m.headers[ct.EVENT_HEADERS.eventId], started);
            sendAckedAt.set(m.headers[ct.EVENT_HEADERS.eventId], acked);
          }
        }
        return result;
      };
      return producer;
    };
    const latencyRelay = new ev.OutboxRelay({
      connection: latencyDb.config, kafka: relayKafka, topicPrefix: latencyPrefix, batchSizeMax: 1_000, logger: quietLogger,
      onBatchPublished: (events) => {
        const at = now();
        for (const e of events) publishedAt.set(e.metadata.eventId, at);
      },
    });
    // The inline generator appends through latencyStore in this process: wake the relay directly.
    latencyStore.onCommitted(() => latencyRelay.wake());
    // A projection of the prices into `table`; `applied` gets each event's time once its batch's
    // transaction committed (batches of other partitions commit on their own).
    const latencyConsumer = ({ groupId, table, fetchAhead, applied, onBatch }) =>
      new ev.ConsumerRunner({
        kafka,
        groupId,
        topics: [ct.topicName('inventory', latencyPrefix)],
        transactions: new ev.PgTransactionRunner(latencyDb.pool),
        deadLetterTopic: ct.topicName('dlq', latencyPrefix),
        fetchWaitMsMax: opts.latencyFetchWaitMs,
        partitionsConsumedConcurrently: 4,
        appendsEvents: opts.latencyConsumerAppends,
        fetchAhead,
        logger: quietLogger,
        handleBatch: async (events, ctx) => {
          onBatch?.(events, ctx);
          await ctx.tx.query(
            `insert into ${table} (device_id, price, version) select * from unnest($1::text[], $2::bigint[], $3::bigint[])
             on conflict (device_id) do update set price = excluded.price, version = excluded.version where ${table}.version < excluded.version`,
            [events.map((e) => e.event.deviceId), events.map((e) => e.event.askPricePerGpuHour.amountBaseUnits), events.map((e) => e.metadata.aggregateVersion.toString())],
          );
          ctx.tx.afterCommit(() => {
            const at = now();
            for (const e of events) applied.set(e.metadata.eventId, at);
          });
        },
      });
    const consumer = latencyConsumer({
      groupId: `${latencyPrefix}projection`,
      table: 'device_prices',
      fetchAhead: opts.latencyFetchAhead,
      applied: appliedAt,
      onBatch: (events, ctx) => {
        const entered = now();
        for (const e of events) handledAt.set(e.metadata.eventId, entered);
        // When kafkajs handed over the fetch each event came in (with fetchAhead, one batch can
        // merge several fetches).
        for (const e of events) {
          const startedAt = batchStartedAt?.get(`${ctx.partition}:${e.offset}`);
          if (startedAt) fetchedAt.set(e.metadata.eventId, startedAt);
        }
      },
    });
    // --latency-pair: a second consumer group beside the first, the other way for fetchAhead, on
    // the same events at the same time: a paired comparison that the machine's load affects alike.
    const pairedAt = new Map();
    const paired = opts.latencyPair
      ? latencyConsumer({ groupId: `${latencyPrefix}projection-paired`, table: 'device_prices_paired', fetchAhead: !opts.latencyFetchAhead, applied: pairedAt })
      : undefined;
    if (paired) await latencyDb.pool.query('create table device_prices_paired (like device_prices including all)');
    await latencyRelay.start();
    await consumer.start();
    await paired?.start();
    // When kafkajs handed each batch over (after its fetch), by partition and offset.
    batchStartedAt = new Map();
    consumer.consumer.on('consumer.start_batch_process', (e) => {
      const at = now();
      for (let o = BigInt(e.payload.firstOffset); o <= BigInt(e.payload.lastOffset); o++) batchStartedAt.set(`${e.payload.partition}:${o}`, at);
    });
    // Warm-up: the group has joined and one event went the whole way before measuring.
    const warmupId = ct.newEventId();
    await latencyStore.append(undefined, { streamId: 'lat-warmup', streamType: 'device', expectedVersion: 'any', events: [{ ...priceEvent(0), eventId: warmupId }] });
    for (let i = 0; i < 600 && !(appliedAt.has(warmupId) && (!paired || pairedAt.has(warmupId))); i++) await sleep(50);
    appliedAt.clear();
    pairedAt.clear();
    publishedAt.clear();
    handledAt.clear();
    sendStartedAt.clear();
    sendAckedAt.clear();
    const latencyCommands = opts.latencyRatePerS * opts.latencySeconds;
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    let achievedRate;
    if (opts.latencyGenerator === 'worker') {
      const worker = new Worker(new URL('./latency-load.worker.mjs', import.meta.url), {
        workerData: { poolConfig: { ...latencyDb.config, max: 16 }, ratePerS: opts.latencyRatePerS, commands: latencyCommands, commitNotify: opts.latencyCommitNotify },
      });
      const result = await new Promise((resolve, reject) => {
        worker.on('message', (m) => {
          if (m.committed) for (const [id, at] of m.committed) committedAt.set(id, at);
          if (m.done) resolve(m);
        });
        worker.once('error', reject);
      });
      await worker.terminate();
      achievedRate = result.achievedRate;
    } else {
      const started = performance.now();
      const inflight = [];
      for (let i = 0; i < latencyCommands; i++) {
        const due = started + (i * 1000) / opts.latencyRatePerS;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const eventId = ct.newEventId();
        inflight.push(
          latencyStore
            .append(undefined, { streamId: `lat-${i % 500}`, streamType: 'device', expectedVersion: 'any', events: [{ ...priceEvent(i), eventId }] })
            .then(() => committedAt.set(eventId, now())),
        );
      }
      await Promise.all(inflight);
      achievedRate = latencyCommands / ((performance.now() - started) / 1000);
    }
    const deadline = Date.now() + 30_000;
    while (appliedAt.size < latencyCommands && Date.now() < deadline) await sleep(50);
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const latencies = [];
    const publishLatencies = [];
    const handledLatencies = [];
    const steps = { sendStarted: [], sendAcked: [], published: [], fetched: [], handled: [], applied: [] };
    for (const [id, at] of committedAt) {
      if (appliedAt.has(id) && sendStartedAt.has(id)) {
        steps.sendStarted.push(sendStartedAt.get(id) - at);
        steps.sendAcked.push(sendAckedAt.get(id) - sendStartedAt.get(id));
        steps.published.push(publishedAt.get(id) - sendAckedAt.get(id));
        if (fetchedAt.has(id)) {
          steps.fetched.push(fetchedAt.get(id) - publishedAt.get(id));
          steps.handled.push(handledAt.get(id) - fetchedAt.get(id));
        }
        steps.applied.push(appliedAt.get(id) - handledAt.get(id));
      }
      if (appliedAt.has(id)) latencies.push(appliedAt.get(id) - at);
      if (publishedAt.has(id)) publishLatencies.push(publishedAt.get(id) - at);
      if (handledAt.has(id)) handledLatencies.push(handledAt.get(id) - at);
    }
    latencies.sort((a, b) => a - b);
    if (paired) {
      for (let i = 0; i < 200 && pairedAt.size < latencyCommands; i++) await sleep(50);
      const pairedLatencies = [...committedAt].filter(([id]) => pairedAt.has(id)).map(([id, at]) => pairedAt.get(id) - at).sort((a, b) => a - b);
      const way = opts.latencyFetchAhead ? 'without' : 'with';
      add('latency', `  paired: a second group ${way} fetchAhead, same events, same time, p50`, percentile(pairedLatencies, 0.5), 'ms');
      add('latency', `  paired: a second group ${way} fetchAhead, same events, same time, p99`, percentile(pairedLatencies, 0.99), 'ms');
    }
    const setup = `${opts.latencyGenerator} generator, fetch wait ${opts.latencyFetchWaitMs} ms, ${opts.latencyCommitNotify ? 'NOTIFY after commit' : 'relay polls'}, consumer ${opts.latencyConsumerAppends ? 'may append' : 'never appends'}${opts.latencyFetchAhead ? ', fetch ahead' : ''}`;
    add('latency', `commit -> projection applied p50 at ${opts.latencyRatePerS}/s (achieved ${Math.round(achievedRate)}/s)`, percentile(latencies, 0.5), 'ms', '', { setup });
    add('latency', `commit -> projection applied p99 at ${opts.latencyRatePerS}/s (${setup})`, percentile(latencies, 0.99), 'ms', '<= 25');
    publishLatencies.sort((a, b) => a - b);
    add('latency', `  of which commit -> relay published (Kafka acked) p50`, percentile(publishLatencies, 0.5), 'ms');
    add('latency', `  of which commit -> relay published (Kafka acked) p99`, percentile(publishLatencies, 0.99), 'ms');
    handledLatencies.sort((a, b) => a - b);
    add('latency', `  of which commit -> in the consumer's handler p50`, percentile(handledLatencies, 0.5), 'ms');
    add('latency', `  of which commit -> in the consumer's handler p99`, percentile(handledLatencies, 0.99), 'ms');
    add('latency', `  CPU of the bench process per event (generator, relay, consumer${paired ? ', paired consumer' : ''})`, (cpu.user + cpu.system) / latencyCommands, 'µs');
    add('latency', `  consumer event loop delay p99 (max ${Math.round(loopDelay.max / 1e6)} ms)`, loopDelay.percentile(99) / 1e6, 'ms', '', { maxMs: loopDelay.max / 1e6 });
    // The path step by step (each step's own distribution; they do not add up to the total's
    // percentiles): commit -> the relay's send starts -> Kafka acknowledged -> the relay's
    // bookkeeping -> kafkajs hands the batch over -> the handler runs -> the batch committed.
    const stepSplit = {};
    for (const [step, values] of Object.entries(steps)) {
      values.sort((a, b) => a - b);
      stepSplit[step] = { p50: percentile(values, 0.5), p90: percentile(values, 0.9), p99: percentile(values, 0.99) };
      console.log(`    step ${step.padEnd(12)} p50 ${percentile(values, 0.5).toFixed(1)} p90 ${percentile(values, 0.9).toFixed(1)} p99 ${percentile(values, 0.99).toFixed(1)} ms`);
    }
    notes.push(`latency steps (ms, p50/p90/p99): ${Object.entries(stepSplit).map(([k, v]) => `${k} ${v.p50.toFixed(1)}/${v.p90.toFixed(1)}/${v.p99.toFixed(1)}`).join(', ')}`);
    if (process.env.BENCH_DEBUG) console.log('latency p90/p95/p999/max', [0.9, 0.95, 0.999, 1].map((p) => Math.round(percentile(latencies, p))));
    if (latencies.length < latencyCommands) notes.push(`latency: only ${latencies.length} of ${latencyCommands} events were measured`);
    await consumer.stop();
    await paired?.stop();
    await latencyRelay.stop();

    // The limit: a raw kafkajs produce -> consume round trip at the same rate, same settings
    // (idempotent producer, acks=all, one send in flight; consumer fetch wait as above, 3
    // partitions, 4 concurrently), no database. A message "commits" when its timer fires; a
    // sender publishes whatever is waiting, one batch at a time, as the relay does.
    const raw = await rawRoundTrip(kafka, `${latencyPrefix}raw`, createTopic, opts);
    add('latency', `raw kafkajs produce -> consume p50 at ${opts.latencyRatePerS}/s (the limit)`, raw.p50, 'ms');
    add('latency', `raw kafkajs produce -> consume p99 at ${opts.latencyRatePerS}/s (the limit)`, raw.p99, 'ms');
    add('latency', `  raw round trip's event loop delay p99 (max ${Math.round(raw.loopDelayMaxMs)} ms)`, raw.loopDelayP99Ms, 'ms');
    if (raw.measured < raw.sent) notes.push(`raw round trip: only ${raw.measured} of ${raw.sent} messages were measured`);
    // The same raw round trip while the same generator appends its 1,000 durable commands/s (no
    // relay, no consumer): the limit on a machine as busy as during the measurement above.
    const generatorAlone = () => {
      const worker = new Worker(new URL('./latency-load.worker.mjs', import.meta.url), {
        workerData: { poolConfig: { ...latencyDb.config, max: 16 }, ratePerS: opts.latencyRatePerS, commands: latencyCommands, commitNotify: opts.latencyCommitNotify },
      });
      return new Promise((resolve, reject) => {
        worker.on('message', (m) => m.done && resolve(m));
        worker.once('error', reject);
      }).finally(() => worker.terminate());
    };
    const rawLoaded = await rawRoundTrip(kafka, `${latencyPrefix}raw-loaded`, createTopic, opts, generatorAlone);
    add('latency', `raw kafkajs produce -> consume p50, ${opts.latencyRatePerS} appends/s beside it`, rawLoaded.p50, 'ms');
    add('latency', `raw kafkajs produce -> consume p99, ${opts.latencyRatePerS} appends/s beside it`, rawLoaded.p99, 'ms');
    // The floor of this design on this machine: the same, and the consumer commits each batch in
    // one durable PostgreSQL transaction (BEGIN, one upsert, COMMIT) before it counts as applied.
    await latencyDb.pool.query('create table raw_floor (k text primary key, n bigint not null)');
    const rawTx = await rawRoundTrip(kafka, `${latencyPrefix}raw-tx`, createTopic, opts, generatorAlone, latencyDb.pool);
    add('latency', `raw kafkajs produce -> one durable pg transaction per batch p50, appends beside it (the floor)`, rawTx.p50, 'ms');
    add('latency', `raw kafkajs produce -> one durable pg transaction per batch p99, appends beside it (the floor)`, rawTx.p99, 'ms');
    }

    if (want('replay')) {
    // Replay: a topic of N events, read by a raw kafkajs consumer and rebuilt by ProjectionManager.
    const replayDb = await newSchema('replay');
    pools.push(replayDb.pool);
    const replayPrefix = `${topicPrefix}replay.`;
    const replayTopic = ct.topicName('inventory', replayPrefix);
    await createTopic(replayTopic, 12);
    await createTopic(ct.topicName('dlq', replayPrefix), 1);
    t = performance.now();
    await produceReplayTopic(kafka, replayTopic, opts.replayEvents);
    console.log(`  (produced ${opts.replayEvents} events for the replay in ${Math.round(performance.now() - t)} ms)`);
    const raw = await rawConsume(kafka, replayTopic, `${replayPrefix}raw`, opts.replayEvents);
    add('replay', `raw kafkajs consumer, eachBatch, no processing (${opts.replayEvents} events)`, raw.rate, 'events/s');
    const manager = new ev.ProjectionManager({ kafka, transactions: new ev.PgTransactionRunner(replayDb.pool), deadLetterTopic: ct.topicName('dlq', replayPrefix), logger: quietLogger, consumer: { partitionsConsumedConcurrently: 4, maxBytesPerPartition: 4 * 1_048_576 } });
    const definition = {
      name: 'device_price_counts',
      groupId: `${replayPrefix}device-price-counts`,
      topics: [replayTopic],
      tables: [{ name: 'device_price_counts', columnsSql: 'device_id text not null, events bigint not null, price_sum bigint not null', primaryKey: ['device_id'] }],
      async apply(events, ctx) {
        const byDevice = new Map();
        for (const e of events) {
          const entry = byDevice.get(e.event.deviceId) ?? { events: 0n, sum: 0n };
          entry.events += 1n;
          entry.sum += BigInt(e.event.askPricePerGpuHour.amountBaseUnits);
          byDevice.set(e.event.deviceId, entry);
        }
        const table = ctx.table('device_price_counts');
        await ctx.tx.query(
          `insert into ${table} (device_id, events, price_sum) select * from unnest($1::text[], $2::bigint[], $3::bigint[])
           on conflict (device_id) do update set events = ${table}.events + excluded.events, price_sum = ${table}.price_sum + excluded.price_sum`,
          [[...byDevice.keys()], [...byDevice.values()].map((v) => v.events.toString()), [...byDevice.values()].map((v) => v.sum.toString())],
        );
      },
    };
    await manager.install(definition);
    let firstProgressAt;
    t = performance.now();
    const rebuilt = await manager.rebuild(definition, { onProgress: () => (firstProgressAt ??= performance.now()) });
    const rebuildSteady = rebuilt.eventsApplied / ((performance.now() - firstProgressAt) / 1000);
    add('replay', `ProjectionManager.rebuild (decode, dedupe, apply, offsets in PG; ${rebuilt.eventsApplied} events)`, rebuildSteady, 'events/s', '>= 100000', { wallSeconds: (performance.now() - t) / 1000 });
    const check = (await replayDb.pool.query('select sum(events)::bigint as n from device_price_counts')).rows[0].n;
    if (String(check) !== String(opts.replayEvents)) notes.push(`replay projection holds ${check} events, expected ${opts.replayEvents}`);
    }
    for (const pool of pools) await pool.end();
  } finally {
    const cleanup = new Client({ connectionString: dbUrl.toString() });
    await cleanup.connect();
    for (const schema of schemas) await cleanup.query(`drop schema if exists ${schema} cascade`);
    await cleanup.end();
    await admin.query(`drop database if exists ${emmettDb} with (force)`);
    await admin.end();
    const topics = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await kafkaAdmin.deleteTopics({ topics });
    await kafkaAdmin.disconnect();
  }
  return { runId, opts, rows, notes };
}

async function inParallel(count, concurrency, task) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}


function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

async function produceReplayTopic(kafka, topic, count) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batchSize = 10_000;
  const payloads = Array.from({ length: 1_000 }, (_, i) =>
    toBinary(ct.inventoryV1.DevicePriceSetSchema, create(ct.inventoryV1.DevicePriceSetSchema, { deviceId: `dev-${i}`, supplierId: 'sup-bench', askPricePerGpuHour: ct.money(BigInt(2_000_000 + i), ct.Asset.USDC), setAt: timestampFromDate(new Date(1_764_000_000_000 + i)) })),
  );
  const occurredAt = new Date(1_764_000_000_000);
  for (let start = 0; start < count; start += batchSize) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      const device = i % 1_000;
      const metadata = { eventId: ct.newEventId(), eventType: 'ionet.inventory.v1.DevicePriceSet', schemaVersion: 1, aggregateType: 'device', aggregateId: `dev-${device}`, aggregateVersion: BigInt(Math.floor(i / 1_000) + 1), occurredAt, correlationId: '', causationId: '', producer: 'bench', traceparent: '', tracestate: '', globalPosition: BigInt(i + 1) };
      messages.push({ key: metadata.aggregateId, value: Buffer.from(ct.encodeEnvelope(metadata, payloads[device])), headers: { 'ionet-event-type': metadata.eventType, 'ionet-event-id': metadata.eventId } });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

async function rawRoundTrip(kafka, topic, createTopic, opts, background, consumerPool) {
  await createTopic(topic, 3);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `${topic}.group`, maxWaitTimeInMs: opts.latencyFetchWaitMs, allowAutoTopicCreation: false });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const now = () => performance.timeOrigin + performance.now();
  const createdAt = new Map();
  const latencies = [];
  let warmedUp = false;
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      // The floor of a consumer that applies each batch in one durable transaction: BEGIN, one
      // statement, COMMIT (no inbox, no offsets, no library).
      if (consumerPool) {
        const client = await consumerPool.connect();
        try {
          await client.query('begin');
          await client.query('insert into raw_floor (k, n) select unnest($1::text[]), 1 on conflict (k) do update set n = raw_floor.n + 1', [batch.messages.map((m) => m.key.toString())]);
          await client.query('commit');
        } finally {
          client.release();
        }
      }
      const at = now();
      for (const m of batch.messages) {
        const key = m.key.toString();
        if (key === 'warmup') warmedUp = true;
        else if (createdAt.has(key)) latencies.push(at - createdAt.get(key));
      }
    },
  });
  let waiting = [];
  let sending;
  const pump = async () => {
    while (waiting.length > 0) {
      const messages = waiting;
      waiting = [];
      await producer.send({ topic, acks: -1, messages });
    }
    sending = undefined;
  };
  const enqueue = (message) => {
    waiting.push(message);
    sending ??= pump();
  };
  const value = Buffer.alloc(170, 7);
  enqueue({ key: 'warmup', value });
  for (let i = 0; i < 600 && !warmedUp; i++) await sleep(50);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const sent = opts.latencyRatePerS * opts.latencySeconds;
  const beside = background?.();
  const started = performance.now();
  for (let i = 0; i < sent; i++) {
    const wait = started + (i * 1000) / opts.latencyRatePerS - performance.now();
    if (wait > 1) await sleep(wait);
    createdAt.set(String(i), now());
    enqueue({ key: String(i), value });
  }
  await sending;
  for (const deadline = Date.now() + 30_000; latencies.length < sent && Date.now() < deadline; ) await sleep(50);
  loopDelay.disable();
  await beside;
  await consumer.disconnect();
  await producer.disconnect();
  latencies.sort((a, b) => a - b);
  return { sent, measured: latencies.length, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 };
}
