// The HTTP bench: an authenticated indexed read (`GET /v1/devices?limit=20` with a supplier key issued
// by billing) through the gateway, the same read straight at inventory (by its fast read and through
// Nest's chain), the gateway in front of a bare Fastify route, and that bare route returning the same
// JSON, in one run: autocannon, 32 connections, the median of three runs each. Beside each row, the
// CPU time per request of every process on the path (less its idle background) and the ceiling that
// sum allows on this machine's cores. `--profile` also writes CPU profiles of inventory and the
// gateway during one extra run and summarises where their time goes.
//   npm run bench -- http [--duration=10] [--runs=3] [--connections=32] [--profile [--keep-profiles]] [--only=<part of a row's name>]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, benchDatabase, cpuSnapshot, freePort, KAFKA_BROKERS, newOpsKey, post, postgresBackendsOf, REDIS_URL, start, stopChild, uptime, waitReady } from './support.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { Kafka, logLevel } = require('kafkajs');
const bs58 = require('bs58').default;
const { ensureTopics } = require('@ionet/eventing');

const BROKERS = KAFKA_BROKERS;
const OPS_KEY = newOpsKey();
const DEVICES = 40;

export async function run({ root, flags }) {
  const opts = {
    durationS: Number(flags.duration ?? 10),
    runs: Number(flags.runs ?? 3),
    connections: Number(flags.connections ?? 32),
    profile: flags.profile === 'true',
  };
  const runId = `h${Date.now().toString(36)}`;
  const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const uptimeAtStart = uptime();
  const schema = `bench_http_${runId}`;
  const topicPrefix = `bench.${runId}.`;
  const { db, dbUrl } = await benchDatabase(ADMIN_URL, schema);

  const profileDir = path.join(root, 'bench', 'results', `profile-${runId}.tmp`);
  const children = [];
  const cleanup = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    for (const name of [schema, `${schema}_billing`]) await db.query(`drop schema if exists "${name}" cascade`).catch(() => undefined);
    await db.end().catch(() => undefined);
    const kafkaAdmin = new Kafka({ clientId: 'ionet-bench-http', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    const topics = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await kafkaAdmin.deleteTopics({ topics }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  };

  try {
    const [inventoryPort, billingPort, gatewayPort, barePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const inventoryUrl = `http://127.0.0.1:${inventoryPort}`;
    const billingUrl = `http://127.0.0.1:${billingPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const bareUrl = `http://127.0.0.1:${barePort}`;
    // `--perf-map`: the processes write /tmp/perf-<pid>.map, so `perf record -e cpu-clock -p <pid>` names JavaScript frames.
    const nodeArgs = (name) => [...(opts.profile ? [`--cpu-prof`, `--cpu-prof-dir=${path.join(profileDir, name)}`] : []), ...(flags['perf-map'] === 'true' ? ['--perf-basic-prof'] : [])];
    const serviceEnv = (name, port, serviceSchema) => ({
      NODE_ENV: 'production',
      SERVICE_NAME: name,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl.toString(),
      DATABASE_SCHEMA: serviceSchema,
      REDIS_URL,
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OPS_BOOTSTRAP_API_KEY: OPS_KEY,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      // One client makes every request here: the services' per-address and per-key budgets would be the bench.
      RATE_LIMIT_ADDRESS_MAX: '100000000',
      RATE_LIMIT_KEY_MAX: '100000000',
      // The bench polls inventory until billing's key reaches it: on a loaded machine that takes
      // more than the default budget of refused credentials per address.
      RATE_LIMIT_AUTH_FAILURES_MAX: '1000000',
    });
    await db.query(`create schema "${schema}_billing"`);
    // Topics before services, as in production (services starting together race to create them).
    const kafka = new Kafka({ clientId: 'ionet-bench-http', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, { prefix: topicPrefix });
    children.push(start(root, 'inventory', [...nodeArgs('inventory'), 'services/inventory/dist/main.js'], serviceEnv('inventory', inventoryPort, schema)));
    children.push(start(root, 'billing', ['services/billing/dist/main.js'], serviceEnv('billing', billingPort, `${schema}_billing`)));
    children.push(
      start(root, 'gateway', [...nodeArgs('gateway'), 'services/gateway/dist/main.js'], {
        NODE_ENV: 'production',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(gatewayPort),
        LOG_LEVEL: 'warn',
        GATEWAY_UPSTREAMS: `inventory=${inventoryUrl},billing=${billingUrl}`,
        RATE_LIMIT_PER_KEY: '10000000',
        RATE_LIMIT_PER_ADDRESS: '10000000',
      }),
    );
    await Promise.all([waitReady(`${inventoryUrl}/health/ready`), waitReady(`${billingUrl}/health/ready`), waitReady(`${gatewayUrl}/health/ready`)]);

    // A supplier organization and its key, issued by billing; inventory learns the key from billing's events.
    const ops = { authorization: `Bearer ${OPS_KEY}` };
    const organization = await post(`${gatewayUrl}/v1/organizations`, ops, { name: 'Bench Farm', kind: 'supplier' });
    const supplierKey = (await post(`${gatewayUrl}/v1/organizations/${organization.organizationId}/api-keys`, ops, { scopes: ['supplier'] })).key;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      if ((await fetch(`${inventoryUrl}/v1/devices?limit=1`, { headers: { authorization: `Bearer ${supplierKey}` } })).status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const auth = { authorization: `Bearer ${supplierKey}` };
    const supplier = await post(`${gatewayUrl}/v1/suppliers`, auth, { name: 'Bench Farm', source: 'data_center', payoutWallet: '11111111111111111111111111111111' });
    for (let i = 0; i < DEVICES; i++) {
      await post(`${gatewayUrl}/v1/suppliers/${supplier.supplierId}/devices`, auth, {
        agentPublicKey: bs58.encode(randomBytes(32)),
        deviceClass: 'gpu',
        gpu: { model: i % 2 ? 'H100' : 'A100', vramMib: 81_920, count: 8 },
        cpuCores: 64,
        ramMib: 1_048_576,
        diskGib: 4_000,
        countryCode: 'de',
        region: 'eu-central',
        connectivityTier: 'ultra_high',
        securityTier: 'secure',
        askPricePerGpuHour: { amountBaseUnits: String(1_990_000 + i), asset: 'USDC' },
      });
    }
    const path20 = '/v1/devices?limit=20';
    let sample;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      sample = await (await fetch(`${gatewayUrl}${path20}`, { headers: auth })).json();
      if (sample.items?.length === 20) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (sample?.items?.length !== 20) throw new Error(`the catalogue did not reach 20 devices: ${JSON.stringify(sample).slice(0, 300)}`);
    const sampleBody = JSON.stringify(sample);
    children.push(startBare(root, barePort, sampleBody));
    await waitReady(`${bareUrl}/v1/devices`);
    // The gateway in front of the bare route: what the gateway alone costs, without inventory's time.
    const gatewayToBarePort = await freePort();
    const gatewayToBareUrl = `http://127.0.0.1:${gatewayToBarePort}`;
    children.push(
      start(root, 'gateway (to bare)', [...nodeArgs('gateway-alone'), 'services/gateway/dist/main.js'], {
        NODE_ENV: 'production',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(gatewayToBarePort),
        LOG_LEVEL: 'warn',
        GATEWAY_UPSTREAMS: `inventory=${bareUrl}`,
        RATE_LIMIT_PER_KEY: '10000000',
        RATE_LIMIT_PER_ADDRESS: '10000000',
      }),
    );
    await waitReady(`${gatewayToBareUrl}/health/ready`);

    const targets = [
      { name: 'gateway -> inventory: GET /v1/devices?limit=20 (supplier key)', url: `${gatewayUrl}${path20}`, headers: auth },
      { name: 'inventory direct: GET /v1/devices?limit=20 (supplier key)', url: `${inventoryUrl}${path20}`, headers: auth },
      // The same page through Nest's guard/pipe/interceptor chain: `limit=020` is valid, but the fast
      // read (ADR 0314) takes only canonical values and leaves the rest to the Nest route.
      { name: 'inventory direct, Nest chain: ?limit=020 (not a fast read)', url: `${inventoryUrl}/v1/devices?limit=020`, headers: auth },
      { name: 'gateway -> bare Fastify: the gateway alone (supplier key)', url: `${gatewayToBareUrl}${path20}`, headers: auth },
      { name: 'bare Fastify: the same JSON from a constant', url: `${bareUrl}${path20}`, headers: {} },
    ];
    console.log(`\nhttp bench: ${opts.connections} connections, ${opts.durationS} s per run, median of ${opts.runs} runs; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    // CPU time per request of every process on the path (user + system, from /proc, less each
    // process's idle background): it depends far less than requests/s on what else the machine
    // runs, and the sum over a row's processes bounds that row on these cores (cores / CPU per request).
    const processes = [
      ...children.map((c) => ({ name: c.benchName, pids: async () => [c.pid] })),
      { name: 'postgres (the services\' backends)', pids: () => postgresBackendsOf(db, children.map((c) => c.pid)) },
    ];
    const rows = [];
    // `--only=direct` (a part of a row's name) measures only the rows that name, while iterating.
    const selected = flags.only ? targets.filter((t) => t.name.includes(flags.only)) : targets;
    for (const target of selected) {
      const runs = [];
      let cpuBefore;
      let idleUsPerMs;
      let measuredFrom;
      for (let i = 0; i < opts.runs; i++) {
        // warm-up: JIT, connection pools, the database's buffers
        if (i === 0) {
          await cannon(target, opts.connections, 2);
          // Each process's own background (consumers polling, the relay, key refreshes) while no
          // request arrives, subtracted below: it is not a cost of the requests.
          const idleFrom = await cpuSnapshot(processes);
          const idleStart = performance.now();
          await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
          const idleTo = await cpuSnapshot(processes);
          idleUsPerMs = Object.fromEntries(Object.keys(idleTo).map((n) => [n, (idleTo[n] - (idleFrom[n] ?? 0)) / (performance.now() - idleStart)]));
          cpuBefore = await cpuSnapshot(processes);
          measuredFrom = performance.now();
        }
        runs.push(await cannon(target, opts.connections, opts.durationS));
      }
      const cpuAfter = await cpuSnapshot(processes);
      const measuredMs = performance.now() - measuredFrom;
      const requests = runs.reduce((n, r) => n + r.requests, 0);
      const cpuUsPerRequest = Object.fromEntries(
        Object.keys(cpuAfter)
          .map((name) => [name, Math.round((Math.max(0, cpuAfter[name] - (cpuBefore[name] ?? 0) - (idleUsPerMs[name] ?? 0) * measuredMs) / requests) * 10) / 10])
          .filter(([, us]) => us >= 1),
      );
      const cpuUsTotal = Math.round(Object.values(cpuUsPerRequest).reduce((a, b) => a + b, 0));
      const median = [...runs].sort((a, b) => a.requestsPerS - b.requestsPerS)[Math.floor(runs.length / 2)];
      const { requests: _n, ...shown } = median;
      const idleCpuPercent = Object.fromEntries(Object.entries(idleUsPerMs).map(([n, usPerMs]) => [n, Math.round(usPerMs / 10 * 10) / 10]).filter(([, p]) => p > 0));
      if (flags.debug) console.log({ idleCpuPercent, before: cpuBefore, after: cpuAfter, measuredMs, requests });
      rows.push({ name: target.name, ...shown, runs: runs.map((r) => r.requestsPerS), cpuUsPerRequest, cpuUsTotal, idleCpuPercent, ceilingRequestsPerS: Math.round((os.cpus().length * 1e6) / cpuUsTotal) });
      console.log(
        `  ${target.name.padEnd(64)} ${String(median.requestsPerS).padStart(7)} req/s   p50 ${String(median.p50Ms).padStart(4)} ms   p99 ${String(median.p99Ms).padStart(4)} ms   non-2xx ${median.non2xx}   errors ${median.errors}   (runs: ${runs.map((r) => r.requestsPerS).join(', ')})`,
      );
      console.log(
        `  ${''.padEnd(64)} CPU per request ${cpuUsTotal} us (${Object.entries(cpuUsPerRequest).map(([n, us]) => `${n} ${us}`).join(', ')}): at most ${rows.at(-1).ceilingRequestsPerS} req/s on ${os.cpus().length} cores`,
      );
    }

    // How many of inventory's fast reads of the page came from its read cache (ADR 0315): the rows
    // above read one page over and over, so they measure the cache's hit path.
    const metricsText = await (await fetch(`${inventoryUrl}/metrics`, { headers: ops })).text();
    const counterOf = (name) => Number(metricsText.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('route="/v1/devices"'))?.split(' ').pop() ?? 0);
    const readCache = { fastReads: counterOf('http_fast_reads_total'), cacheHits: counterOf('http_fast_read_cache_hits_total') };
    console.log(`\n  inventory's fast reads of /v1/devices: ${readCache.fastReads}, of which answered from the read cache: ${readCache.cacheHits}`);

    let profile;
    if (opts.profile) {
      // One more run of the read through the gateway (inventory's profile) and of the gateway alone.
      await cannon(targets[0], opts.connections, opts.durationS);
      await cannon(targets.find((t) => t.name.startsWith('gateway -> bare')), opts.connections, opts.durationS);
      await Promise.all(children.map((c) => stopChild(c)));
      profile = {
        inventory: summariseProfiles(path.join(profileDir, 'inventory')),
        'gateway (in front of bare Fastify)': summariseProfiles(path.join(profileDir, 'gateway-alone')),
      };
      for (const [name, summary] of Object.entries(profile)) {
        console.log(`\n  where ${name}'s CPU time goes (self time by package, during the profiled run):`);
        for (const row of summary.byPackage.slice(0, 12)) console.log(`    ${row.package.padEnd(40)} ${String(row.percent).padStart(5)} %`);
        console.log(`  the functions with the most self time:`);
        for (const row of summary.byFunction.slice(0, 12)) console.log(`    ${row.function.slice(0, 90).padEnd(90)} ${String(row.percent).padStart(5)} %`);
      }
      if (flags['keep-profiles'] === 'true') console.log(`\n  profiles kept in ${profileDir}`);
      else rmSync(profileDir, { recursive: true, force: true });
    }

    const result = {
      bench: 'http',
      runId,
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        loadAverageAtStart,
        loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
        // Other work on the machine shares its cores with all four processes of the run.
        uptimeAtStart,
        uptimeAtEnd: uptime(),
      },
      options: opts,
      target: { requestsPerS: 5_000, p99Ms: 20, through: 'gateway', met: rows[0]?.name === targets[0].name && rows[0].requestsPerS >= 5_000 && rows[0].p99Ms <= 20 },
      rows,
      readCache,
      ...(profile ? { profile } : {}),
    };
    if (flags.only) {
      console.log(`\n--only: a partial run, bench/results/http.json is left as it was`);
    } else {
      mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
      writeFileSync(path.join(root, 'bench', 'results', 'http.json'), `${JSON.stringify(result, null, 2)}\n`);
      console.log(`\nwritten to bench/results/http.json`);
    }
  } finally {
    await cleanup();
  }
}

async function cannon(target, connections, durationS) {
  const result = await autocannon({ url: target.url, connections, duration: durationS, headers: target.headers, pipelining: 1 });
  return {
    requestsPerS: Math.round(result.requests.average),
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** A bare Fastify app returning the same JSON the real read returns: the floor of this machine. */
function startBare(root, port, body) {
  const script = `
    const app = require('fastify')();
    const body = ${JSON.stringify(body)};
    app.get('/v1/devices', async (_req, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
    app.listen({ host: '127.0.0.1', port: ${port} });
    process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: 'ignore' });
  child.benchName = 'bare Fastify';
  return child;
}

const IDLE_SAMPLE_MS = 3_000;

/** Self time per package (node_modules/<name>, node's internals, our own code) from .cpuprofile files. */
function summariseProfiles(dir) {
  const totals = new Map();
  const functions = new Map();
  let all = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const deltas = profile.timeDeltas;
    for (let i = 0; i < profile.samples.length; i++) {
      const node = byId.get(profile.samples[i]);
      const us = deltas[i] ?? 0;
      const key = packageOf(node.callFrame);
      totals.set(key, (totals.get(key) ?? 0) + us);
      const fn = `${node.callFrame.functionName || '(anonymous)'} ${key}:${(node.callFrame.url ?? '').split('/').pop()}:${node.callFrame.lineNumber + 1}`;
      if (key !== '(idle)') functions.set(fn, (functions.get(fn) ?? 0) + us);
      all += us;
    }
  }
  const byPackage = [...totals.entries()]
    .map(([pkg, us]) => ({ package: pkg, percent: Math.round((us / all) * 1_000) / 10 }))
    .sort((a, b) => b.percent - a.percent);
  const byFunction = [...functions.entries()]
    .map(([fn, us]) => ({ function: fn, percent: Math.round((us / all) * 1_000) / 10 }))
    .sort((a, b) => b.percent - a.percent)
    .slice(0, 25);
  return { byPackage, byFunction };
}

function packageOf(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName === '(garbage collector)' ? '(garbage collector)' : frame.functionName === '(idle)' ? '(idle)' : frame.functionName === '(program)' ? '(program)' : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(libs|services)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}
