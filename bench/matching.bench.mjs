// The matching bench. (1) Placement: a 64-GPU Ray request against 100,000 devices held in memory,
// as a ranked index (sorted once by the cluster type's rank order), p50/p99 over many placements;
// beside it, in the same run, a naive SQL filter of the same 100,000 rows (no index, the same
// filters, ordered, limited to what a placement reads). (2) Durable quote decisions per second:
// the service's own quote path (advisory lock per GPU family, candidate read, placement, the
// reservation rows and ClusterMatched appended in one committed transaction, the expiry job added
// to BullMQ), many quotes in flight, against one GPU family and against four. Median of three runs,
// with the load average before each.
// Beside the decisions, in the same run, the raw PostgreSQL limit: transactions committing the same
// rows (the quotes' reservation rows and event rows, as many and as large) with multi-row inserts
// and nothing else, one quote per transaction from as many connections as requests in flight, and the mean
// batch the service formed per transaction from one connection (what a family's lock allows).
//   npm run bench -- matching [--runs=3] [--devices=100000] [--placements=2000] [--quotes=3000] [--in-flight=256] [--quote-concurrency=4] [--batch-max=128]
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, benchDatabase, REDIS_URL, uptime } from './support.mjs';

const require = createRequire(import.meta.url);
const { Pool } = require('pg');
const ev = require('@ionet/eventing');
const TARGET_P99_MS = 2;
const TARGET_DECISIONS_PER_S = 2_000;
const MODELS = ['H100-80GB', 'A100-80GB', 'L40S', 'RTX-4090', 'H200', 'A100-40GB', 'RTX-3090', 'L4', 'A6000', 'V100'];
const COUNTRIES = ['DE', 'NL', 'US', 'FR', 'GB', 'SE', 'PL', 'CA', 'JP', 'SG', 'IN', 'BR'];
const SOURCES = ['data_center', 'mining_farm', 'individual', 'partner_network'];

export async function run({ root, flags }) {
  const opts = {
    runs: Number(flags.runs ?? 3),
    devices: Number(flags.devices ?? 100_000),
    placements: Number(flags.placements ?? 2_000),
    sqlQueries: Number(flags['sql-queries'] ?? 50),
    quotes: Number(flags.quotes ?? 3_000),
    inFlight: Number(flags['in-flight'] ?? flags.concurrency ?? 256),
    quoteConcurrency: Number(flags['quote-concurrency'] ?? 4),
    batchMax: Number(flags['batch-max'] ?? 128),
  };
  const dist = path.join(root, 'services', 'matching', 'dist');
  const placement = require(path.join(dist, 'domain', 'placement.js'));
  const { QuotesService } = require(path.join(dist, 'application', 'quotes.service.js'));
  const { QuoteExpiryQueue } = require(path.join(dist, 'infrastructure', 'queues', 'quote-expiry-queue.js'));
  const { MatchingReservations1764590400000 } = require(path.join(dist, 'infrastructure', 'persistence', 'migrations', '1764590400000-matching-reservations.js'));
  const runId = `m${Date.now().toString(36)}`;
  const uptimeAtStart = uptime();
  console.log(`matching bench ${runId}: ${JSON.stringify(opts)}; ${uptimeAtStart}`);
  const results = [];
  for (let i = 0; i < opts.runs; i++) {
    const load = os.loadavg().map((l) => Math.round(l * 100) / 100);
    console.log(`run ${i + 1} of ${opts.runs}, load average ${load.join(' ')}`);
    const schema = `bench_matching_${runId}_${i}`;
    const { db, dbUrl } = await benchDatabase(ADMIN_URL, schema);
    await db.end();
    const pool = new Pool({ connectionString: dbUrl.toString(), options: `-c search_path=${schema}`, max: Math.max(opts.quoteConcurrency, 32) + 4, application_name: schema });
    try {
      results.push({ load, ...(await runOnce({ opts, pool, placement, QuotesService, QuoteExpiryQueue, Migration: MatchingReservations1764590400000, runId: `${runId}-${i}` })) });
    } finally {
      await pool.query(`drop schema "${schema}" cascade`).catch(() => undefined);
      await pool.end();
    }
  }
  const keys = Object.keys(results[0].values);
  const rows = keys.map((key) => ({ key, ...results[0].labels[key], value: median(results.map((r) => r.values[key])), runs: results.map((r) => r.values[key]) }));
  const result = {
    bench: 'matching',
    runId,
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, uptimeAtStart, loadAverageBeforeEachRun: results.map((r) => r.load) },
    options: opts,
    targets: { placementP99Ms: TARGET_P99_MS, durableDecisionsPerS: TARGET_DECISIONS_PER_S },
    rows,
  };
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'matching.json'), JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  console.log(`\nmedian of ${opts.runs} runs (load average before each: ${results.map((r) => r.load[0]).join(', ')})`);
  console.log(table(rows));
  console.log(`\nwrote bench/results/matching.json`);
}

function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function table(rows) {
  const lines = [['measure', 'value', 'unit', 'target', 'runs'].join(' | '), '---|---|---|---|---'];
  for (const r of rows) lines.push([r.name, fmt(r.value), r.unit, r.target ?? '', r.runs.map(fmt).join(', ')].join(' | '));
  return lines.join('\n');
}

const fmt = (v) => (typeof v !== 'number' ? String(v) : v >= 100 ? String(Math.round(v)) : v.toFixed(3));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU ticks (utime + stime, 10 ms each) of the pool's PostgreSQL backends (local server), by pid. */
async function backendTicks(pool) {
  const { rows } = await pool.query('select pid from pg_stat_activity where application_name = current_setting($1)', ['application_name']);
  const ticks = new Map();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // a backend on another machine, or gone: not counted
    }
  }
  return ticks;
}

/** Quotes' worth of rows per second committed by bare multi-row inserts (the reservation rows and
 *  the event row of a quote, as many and as large as the service's), `perTransaction` quotes per
 *  transaction, on `connections` connections at once: the floor under the service's own path. */
async function rawCommits(pool, { quotes, perTransaction, connections, rowsPerQuote, payloadBytes }) {
  await pool.query('create table if not exists raw_reservations (device_id uuid primary key, quote_id uuid not null, lease_id text, held_at timestamptz not null)');
  await pool.query('create table if not exists raw_events (position bigint generated always as identity primary key, event_id uuid not null unique, stream_id text not null, version bigint not null, payload bytea not null, occurred_at timestamptz not null, unique (stream_id, version))');
  const payload = Buffer.alloc(payloadBytes, 7);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    const client = await pool.connect();
    try {
      for (let first = next, n = Math.min(perTransaction, quotes - first); n > 0; first = next, n = Math.min(perTransaction, quotes - first)) {
        next += n;
        const quoteIds = Array.from({ length: n }, () => randomUUID());
        await client.query('begin');
        await client.query('insert into raw_reservations select unnest($1::uuid[]), unnest($2::uuid[]), null, now()', [
          quoteIds.flatMap(() => Array.from({ length: rowsPerQuote }, () => randomUUID())),
          quoteIds.flatMap((q) => Array(rowsPerQuote).fill(q)),
        ]);
        await client.query('insert into raw_events (event_id, stream_id, version, payload, occurred_at) select unnest($1::uuid[]), unnest($2::text[]), 1, unnest($3::bytea[]), now()', [
          quoteIds.map(() => randomUUID()),
          quoteIds,
          quoteIds.map(() => payload),
        ]);
        await client.query('commit');
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return quotes / ((performance.now() - started) / 1000);
}

/** A deterministic fleet: 10 models (H100 the most common), 12 countries, 3 regions each, 1-8 GPUs. */
function fleet(n) {
  let seed = 42;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const country = COUNTRIES[Math.floor(rand() * COUNTRIES.length)];
    return {
      deviceId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      supplierId: `00000000-0000-4000-9000-${(i % 5000).toString(16).padStart(12, '0')}`,
      gpuModel: rand() < 0.3 ? MODELS[0] : MODELS[Math.floor(rand() * MODELS.length)],
      gpuCount: [1, 2, 4, 8][Math.floor(rand() * 4)],
      vramMib: 81_920,
      countryCode: country,
      region: `${country.toLowerCase()}-${Math.floor(rand() * 3)}`,
      connectivity: 1 + Math.floor(rand() * 4),
      security: 1 + Math.floor(rand() * 3),
      source: SOURCES[Math.floor(rand() * SOURCES.length)],
      priceUsdMicros: BigInt(500_000 + Math.floor(rand() * 3_000) * 1_000),
      reputationBps: Math.floor(rand() * 10_001),
      held: rand() < 0.1,
    };
  });
}

async function runOnce({ opts, pool, placement, QuotesService, QuoteExpiryQueue, Migration, runId }) {
  const values = {};
  const labels = {};
  const devices = fleet(opts.devices);
  const request = { clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: 64, countryCodes: ['DE', 'NL', 'FR', 'SE', 'PL'], connectivityMin: 3, securityMin: 2, sources: [], maxPriceUsdMicros: 3_000_000n };

  // (1) In memory: the index sorted once, then placements.
  let t = performance.now();
  const ranked = [...devices].sort(placement.rankOrder('ray'));
  values.indexBuildMs = performance.now() - t;
  labels.indexBuildMs = { name: `rank index of ${opts.devices} devices (sorted once)`, unit: 'ms' };
  // Warm-up (JIT), not measured.
  for (let i = 0; i < 200; i++) placement.place(ranked, { ...request, gpuCount: 48 + (i % 17) }, { ranked: true });
  const timings = [];
  let placed;
  for (let i = 0; i < opts.placements; i++) {
    t = performance.now();
    placed = placement.place(ranked, { ...request, gpuCount: 48 + (i % 17) }, { ranked: true });
    timings.push(performance.now() - t);
  }
  if (!placed.placed) throw new Error('the bench request must be placeable');
  timings.sort((a, b) => a - b);
  values.placeP50 = percentile(timings, 50);
  values.placeP99 = percentile(timings, 99);
  labels.placeP50 = { name: `placement of 48-64 GPUs (ray, 5 countries, tiers, price cap), in memory, p50`, unit: 'ms' };
  labels.placeP99 = { name: `placement, in memory, p99`, unit: 'ms', target: `<= ${TARGET_P99_MS} ms` };
  const unsorted = [];
  for (let i = 0; i < 20; i++) {
    t = performance.now();
    placement.place(devices, request);
    unsorted.push(performance.now() - t);
  }
  unsorted.sort((a, b) => a - b);
  values.placeUnrankedP50 = percentile(unsorted, 50);
  labels.placeUnrankedP50 = { name: 'placement without the index (filter, then sort the eligible), p50', unit: 'ms' };

  // The naive SQL filter of the same rows (no index), the same filters, ordered, 64 rows.
  await pool.query(`create table bench_devices (device_id uuid primary key, gpu_model text, gpu_count int, country_code text, region text,
    connectivity int, security int, source text, price numeric(30,0), reputation int, held boolean)`);
  for (let i = 0; i < devices.length; i += 5_000) {
    const chunk = devices.slice(i, i + 5_000);
    await pool.query(
      `insert into bench_devices select * from unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::numeric[], $10::int[], $11::boolean[])`,
      [
        chunk.map((d) => d.deviceId),
        chunk.map((d) => d.gpuModel),
        chunk.map((d) => d.gpuCount),
        chunk.map((d) => d.countryCode),
        chunk.map((d) => d.region),
        chunk.map((d) => d.connectivity),
        chunk.map((d) => d.security),
        chunk.map((d) => d.source),
        chunk.map((d) => d.priceUsdMicros.toString()),
        chunk.map((d) => d.reputationBps),
        chunk.map((d) => d.held),
      ],
    );
  }
  await pool.query('analyze bench_devices');
  const sqlTimings = [];
  for (let i = 0; i < opts.sqlQueries; i++) {
    t = performance.now();
    await pool.query(
      `select * from bench_devices where gpu_model = $1 and not held and country_code = any($2) and connectivity >= 3 and security >= 2 and price <= 3000000
       order by connectivity desc, price, reputation desc, device_id limit 64`,
      ['H100-80GB', request.countryCodes],
    );
    sqlTimings.push(performance.now() - t);
  }
  sqlTimings.sort((a, b) => a - b);
  values.sqlP50 = percentile(sqlTimings, 50);
  values.sqlP99 = percentile(sqlTimings, 99);
  labels.sqlP50 = { name: 'naive SQL filter of the same 100,000 rows (no index, same filters, ordered, 64 rows), p50', unit: 'ms' };
  labels.sqlP99 = { name: 'naive SQL filter, p99', unit: 'ms' };

  // (2) Durable quote decisions: the service's path on a real schema.
  await ev.installEventingSchema(pool);
  await new Migration().up({ query: (q, p) => pool.query(q, p) });
  await pool.query(`create table devices (device_id uuid primary key, supplier_id uuid not null, gpu_model text not null, gpu_vram_mib int not null, gpu_count int not null,
    country_code text not null, region text not null, connectivity_tier text not null, security_tier text not null, source text not null,
    price_usdc_base_units numeric(30, 0) not null, status text not null, simulated boolean not null, registered_at timestamptz not null, version bigint not null)`);
  await pool.query(`create table reputations (device_id uuid primary key, score_bps int not null, changed_at timestamptz not null)`);
  // Enough 8-GPU devices for every quote of 8 GPUs, in four families.
  const families = ['H100-80GB', 'A100-80GB', 'L40S', 'RTX-4090'];
  const perFamily = opts.quotes;
  for (const [f, model] of families.entries()) {
    await pool.query(
      `insert into devices select ('00000000-0000-4000-a00' || $1 || '-' || lpad(to_hex(g), 12, '0'))::uuid, '00000000-0000-4000-9000-000000000001', $2, 81920, 8,
         (array['DE','NL','US','FR'])[1 + g % 4], 'r' || (g % 3), (array['low','medium','high','ultra_high'])[1 + g % 4], 'secure', 'data_center',
         1000000 + (g % 997) * 1000, 'cluster_ready', false, now(), 1 from generate_series(1, $3) g`,
      [String(f), model, perFamily],
    );
  }
  await pool.query('analyze devices');
  const handlers = new ev.CommandHandlers({ store: new ev.EventStore({ pool, producer: 'matching', commitNotify: false }) });
  const clock = { now: () => new Date() };
  const logger = { warn: () => undefined, info: () => undefined, error: (o) => console.error(o) };
  const expiry = new QuoteExpiryQueue({ redisUrl: REDIS_URL, prefix: `ionet-bench-${runId}`, runWorker: false, clock, logger, pool, holdSeconds: 1200 });
  const quotes = new QuotesService(
    pool,
    handlers,
    clock,
    { QUOTE_HOLD_SECONDS: 1200, IO_PRICE_USD_MICROS: 2_000_000n, QUOTE_ATTEMPTS_MAX: 50, QUOTE_CONCURRENCY: opts.quoteConcurrency, QUOTE_BATCH_MAX: opts.batchMax, QUOTE_QUEUE_MAX: 1_000_000 },
    expiry,
  );
  const burst = async (label, modelOf) => {
    let next = 0;
    let refused = 0;
    const latencies = [];
    const started = performance.now();
    const worker = async () => {
      for (let i = next++; i < opts.quotes; i = next++) {
        const requestId = randomUUID();
        const asked = performance.now();
        try {
          await quotes.quote({
            quoteId: randomUUID(),
            requestId,
            customerId: 'bench-customer',
            request: { clusterType: 'container', gpuModel: modelOf(i), gpuCount: 8, countryCodes: [], connectivityTier: 'low', securityTier: 'standard', sources: [], durationHours: 1, paymentAsset: 'USDC' },
            cause: { correlationId: requestId, causationId: requestId, deterministic: false },
          });
          latencies.push(performance.now() - asked);
        } catch (err) {
          if (err?.code !== 'MATCHING.UNMATCHABLE') throw err;
          refused++;
        }
      }
    };
    const before = { ...quotes.batchStats };
    const backendsBefore = await backendTicks(pool);
    const cpuBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: opts.inFlight }, worker));
    const seconds = (performance.now() - started) / 1000;
    values[label] = opts.quotes / seconds;
    const cpu = process.cpuUsage(cpuBefore);
    const backendsAfter = await backendTicks(pool);
    let ticks = 0;
    for (const [pid, t] of backendsAfter) ticks += t - (backendsBefore.get(pid) ?? 0);
    values[`${label}PgCpuUs`] = (ticks * 10_000) / opts.quotes;
    latencies.sort((a, b) => a - b);
    values[`${label}P50`] = percentile(latencies, 50);
    values[`${label}P99`] = percentile(latencies, 99);
    values[`${label}CpuUs`] = (cpu.user + cpu.system) / opts.quotes;
    values[`${label}Batch`] = (quotes.batchStats.requests - before.requests) / Math.max(1, quotes.batchStats.batches - before.batches);
    return refused;
  };
  const refusedOne = await burst('decisionsOneFamily', () => families[0]);
  labels.decisionsOneFamily = { name: `durable quote decisions, one GPU family (${opts.quotes} quotes, ${opts.inFlight} in flight)`, unit: 'per s', target: `>= ${TARGET_DECISIONS_PER_S}/s` };
  labels.decisionsOneFamilyP50 = { name: 'one quote, asked -> answered (committed, expiry job added), one family, p50', unit: 'ms' };
  labels.decisionsOneFamilyP99 = { name: 'the same, p99', unit: 'ms' };
  const shapeRows = await pool.query(`select (select count(*) from reservations)::float / greatest(1, (select count(*) from events where event_type = 'ionet.matching.v1.ClusterMatched'))::float as rows_per_quote,
    (select avg(length(payload)) from events where event_type = 'ionet.matching.v1.ClusterMatched')::int as payload_bytes`);
  const { rows_per_quote: rowsPerQuote, payload_bytes: payloadBytes } = shapeRows.rows[0];
  labels.decisionsOneFamilyCpuUs = { name: 'CPU of the deciding process per decision (bench clients included), one family', unit: 'µs' };
  labels.decisionsOneFamilyPgCpuUs = { name: 'CPU of its PostgreSQL backends per decision, one family', unit: 'µs' };
  labels.decisionsOneFamilyBatch = { name: 'quotes per committed transaction (mean batch), one family', unit: '' };
  await pool.query('delete from reservations');
  const refusedFour = await burst('decisionsFourFamilies', (i) => families[i % 4]);
  labels.decisionsFourFamilies = { name: `durable quote decisions, four GPU families (${opts.quotes} quotes, ${opts.inFlight} in flight)`, unit: 'per s', target: `>= ${TARGET_DECISIONS_PER_S}/s` };
  labels.decisionsFourFamiliesP50 = { name: 'one quote, asked -> answered, four families, p50', unit: 'ms' };
  labels.decisionsFourFamiliesP99 = { name: 'the same, p99', unit: 'ms' };
  labels.decisionsFourFamiliesCpuUs = { name: 'CPU of the deciding process per decision (bench clients included), four families', unit: 'µs' };
  labels.decisionsFourFamiliesPgCpuUs = { name: 'CPU of its PostgreSQL backends per decision, four families', unit: 'µs' };
  labels.decisionsFourFamiliesBatch = { name: 'quotes per committed transaction (mean batch), four families', unit: '' };
  // The raw limit, in the same run: the same rows committed with nothing else.
  const batch = Math.max(1, Math.round(values.decisionsOneFamilyBatch));
  const shape = { rowsPerQuote: Math.max(1, Math.round(rowsPerQuote)), payloadBytes };
  values.rawPerQuote = await rawCommits(pool, { quotes: Math.min(opts.quotes, 2_000), perTransaction: 1, connections: Math.min(opts.inFlight, 16), ...shape });
  labels.rawPerQuote = { name: `raw PostgreSQL: one quote's rows (${shape.rowsPerQuote} reservation + 1 event of ${payloadBytes} bytes, as the quotes held) per committed transaction, ${Math.min(opts.inFlight, 16)} connections`, unit: 'quotes/s' };
  values.rawBatched = await rawCommits(pool, { quotes: opts.quotes, perTransaction: batch, connections: 1, ...shape });
  labels.rawBatched = { name: `raw PostgreSQL: ${batch} quotes' rows (the mean batch) per committed transaction, one connection`, unit: 'quotes/s' };
  const held = await pool.query('select count(*)::int as n, count(distinct device_id)::int as d from reservations');
  if (held.rows[0].n !== held.rows[0].d) throw new Error('a device is held twice');
  if (refusedOne || refusedFour) console.log(`refused quotes: ${refusedOne} (one family), ${refusedFour} (four)`);
  const sync = (await pool.query('show synchronous_commit')).rows[0].synchronous_commit;
  values.synchronousCommit = sync === 'on' ? 1 : 0;
  labels.synchronousCommit = { name: 'synchronous_commit on (1) or off (0)', unit: '' };
  await expiry.queue?.obliterate?.({ force: true }).catch(() => undefined);
  await expiry.close();
  return { values, labels };
}
