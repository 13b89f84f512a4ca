// The matching bench. (1) Placement: a 64-GPU Ray request against 100,000 devices held in memory,
// as a ranked index (sorted once by the cluster type's rank order), p50/p99 over many placements;
// beside it, in the same run, a naive SQL filter of the same 100,000 rows (no index, the same
// filters, ordered, limited to what a placement reads). (2) Durable quote decisions per second:
// the service's own quote path (advisory lock per GPU family, candidate read, placement, the
// reservation rows and ClusterMatched appended in one committed transaction, the expiry job added
// to BullMQ), many quotes in flight, against one GPU family and against four. Median of three runs,
// with the load average before each.
//   npm run bench -- matching [--runs=3] [--devices=100000] [--placements=2000] [--quotes=3000] [--concurrency=32]
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
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
    concurrency: Number(flags.concurrency ?? 32),
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
    const pool = new Pool({ connectionString: dbUrl.toString(), options: `-c search_path=${schema}`, max: opts.concurrency + 4 });
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
  const quotes = new QuotesService(pool, handlers, clock, { QUOTE_HOLD_SECONDS: 1200, IO_PRICE_USD_MICROS: 2_000_000n, QUOTE_ATTEMPTS_MAX: 50, QUOTE_CONCURRENCY: opts.concurrency }, expiry);
  const burst = async (label, modelOf) => {
    let next = 0;
    let refused = 0;
    const started = performance.now();
    const worker = async () => {
      for (let i = next++; i < opts.quotes; i = next++) {
        const requestId = randomUUID();
        try {
          await quotes.quote({
            quoteId: randomUUID(),
            requestId,
            customerId: 'bench-customer',
            request: { clusterType: 'container', gpuModel: modelOf(i), gpuCount: 8, countryCodes: [], connectivityTier: 'low', securityTier: 'standard', sources: [], durationHours: 1, paymentAsset: 'USDC' },
            cause: { correlationId: requestId, causationId: requestId, deterministic: false },
          });
        } catch (err) {
          if (err?.code !== 'MATCHING.UNMATCHABLE') throw err;
          refused++;
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    values[label] = opts.quotes / seconds;
    return refused;
  };
  const refusedOne = await burst('decisionsOneFamily', () => families[0]);
  labels.decisionsOneFamily = { name: `durable quote decisions, one GPU family (${opts.quotes} quotes, ${opts.concurrency} in flight)`, unit: 'per s', target: `>= ${TARGET_DECISIONS_PER_S}/s` };
  await pool.query('delete from reservations');
  const refusedFour = await burst('decisionsFourFamilies', (i) => families[i % 4]);
  labels.decisionsFourFamilies = { name: `durable quote decisions, four GPU families (${opts.quotes} quotes, ${opts.concurrency} in flight)`, unit: 'per s', target: `>= ${TARGET_DECISIONS_PER_S}/s` };
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
