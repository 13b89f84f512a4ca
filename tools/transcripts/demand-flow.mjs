#!/usr/bin/env node
// The whole demand flow against a running `npm start`, as a terminal transcript: every request
// (method, path, body) and the real answer (status, JSON trimmed). It starts its own `ionet-agent`
// processes (simulated GPUs, jobs as local processes) and stops them, and their jobs, at the end.
//   npm run transcript -- demand                      gateway http://127.0.0.1:4000, ops key .local/ops-api-key
//   npm run transcript -- demand --api URL --ops-key K
// It takes minutes: it waits for the devices to qualify, for a lease-hour to pass and be proven on
// the shared clock (one hour a minute under npm start), and for a killed agent's silence to be seen.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AGENT_BIN = join(root, 'services', 'worker-agent', 'bin', 'ionet-agent.js');
const { values: options } = parseArgs({
  options: {
    api: { type: 'string', default: process.env.IONET_API_URL ?? 'http://127.0.0.1:4000' },
    'ops-key': { type: 'string', default: process.env.IONET_OPS_KEY },
    // A country of this run's own (devices of earlier runs elsewhere stay out of its searches).
    country: { type: 'string', default: 'IS' },
    agents: { type: 'string', default: '3' },
  },
});
const API = options.api.replace(/\/$/, '');
const COUNTRY = options.country.toUpperCase();
const AGENTS = Number(options.agents);
const GPUS_PER_AGENT = 2;
/** Long waits (qualification, a lease-hour, a silence) end with an error after this many ms. */
const WAIT_MS = Number(process.env.TRANSCRIPT_WAIT_MS ?? 6 * 60_000);

function opsKey() {
  if (options['ops-key']) return options['ops-key'];
  const file = join(root, '.local', 'ops-api-key');
  if (!existsSync(file)) throw new Error(`no ops key: start the platform with npm start (it writes ${file}) or pass --ops-key`);
  return readFileSync(file, 'utf8').trim();
}

const out = (text = '') => process.stdout.write(`${text}\n`);
const started = Date.now();
const elapsed = () => `+${((Date.now() - started) / 1000).toFixed(0)}s`;

/** Credentials in an answer (an API key, an enrollment token) are shown by their prefix only. */
const SECRET_FIELDS = new Set(['key', 'token']);
const redact = (value) => `${value.slice(0, 20)}...(redacted)`;

/** JSON for a reader: long arrays cut to their first items, long strings cut, deep objects elided,
 *  credentials redacted. */
function trim(value, depth = 0) {
  if (typeof value === 'string') return value.length > 96 ? `${value.slice(0, 93)}...` : value;
  if (Array.isArray(value)) {
    const shown = value.slice(0, 4).map((v) => trim(v, depth + 1));
    return value.length > 4 ? [...shown, `... ${value.length - 4} more`] : shown;
  }
  if (value && typeof value === 'object') {
    if (depth > 4) return '{...}';
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) && typeof v === 'string' ? redact(v) : trim(v, depth + 1)]));
  }
  return value;
}

const indent = (text) => text.split('\n').map((l) => `    ${l}`).join('\n');

/** One call through the gateway, printed as it went and as it was answered. */
async function call(who, key, method, path, body, { quiet = false } = {}) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { unparsed: text.slice(0, 200) };
  }
  if (!quiet) {
    out(`\n$ ${method} ${path}   (${who})  ${elapsed()}`);
    if (body !== undefined) out(indent(JSON.stringify(body, null, 2)));
    out(`  -> ${res.status} ${res.headers.get('content-type')?.split(';')[0] ?? ''}`);
    out(indent(JSON.stringify(trim(json), null, 2)));
  }
  return { status: res.status, body: json };
}

/** Polls `read` (not printed) until `done`; the answer that satisfied it is returned. */
async function until(what, read, done, timeoutMs = WAIT_MS) {
  out(`\n# waiting for ${what} ...`);
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) {
        out(`# ${what}: yes (${elapsed()})`);
        return last;
      }
    } catch (err) {
      last = { error: err.message };
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 400)}`);
}

/** The agents this script starts: `ionet-agent run --json` processes. */
class Agent {
  constructor(name, dir) {
    this.name = name;
    this.dir = dir;
    this.lines = [];
  }

  run() {
    this.child = spawn(process.execPath, [AGENT_BIN, 'run', '--json', '--dir', this.dir, '--heartbeat-interval', '1', '--work-wait-ms', '5000', '--runtime', 'process'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.child.stdout.on('data', (d) => {
      pending += d.toString('utf8');
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          // not JSON
        }
      }
    });
    this.child.stderr.on('data', () => undefined);
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  async stop(signal = 'SIGTERM') {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }

  /** The agent's job processes (each supervisor leads its own process group). */
  killJobs() {
    const jobs = join(this.dir, 'jobs');
    if (!existsSync(jobs)) return;
    for (const name of readdirSync(jobs)) {
      try {
        const { pid } = JSON.parse(readFileSync(join(jobs, name, 'job.json'), 'utf8'));
        if (pid) process.kill(-pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  /** The agent's own JSON lines about a lease's jobs. */
  jobLines(leaseId, jobIds) {
    return this.lines.filter((l) => l.leaseId === leaseId || (l.jobId && jobIds.has(l.jobId))).map((l) => `${this.name}: ${l.message}${l.role ? ` (${l.role})` : ''}`);
  }
}

function cli(args) {
  out(`\n$ ionet-agent ${args.join(' ').replace(/--token \S+/, '--token <token>')}`);
  const r = spawnSync(process.execPath, [AGENT_BIN, ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
  out(indent((r.stdout + r.stderr).trim()));
  if (r.status !== 0) throw new Error(`ionet-agent ${args[0]} exited with ${r.status}`);
  return r.stdout;
}

async function main() {
  if (!existsSync(join(root, 'services', 'worker-agent', 'dist', 'main.js'))) throw new Error('the worker agent is not built: npx tsc -b tsconfig.json (npm start builds it)');
  const ops = opsKey();
  const health = await fetch(`${API}/health/ready`).catch(() => undefined);
  if (!health?.ok) throw new Error(`nothing answers at ${API}: start the platform first (npm start)`);
  const agents = [];
  const workDir = mkdtempSync(join(tmpdir(), 'ionet-transcript-'));
  out(`ionet demand flow, through the gateway at ${API}; ${new Date().toISOString()}`);
  out('Requests as sent (method, path, body); answers as received (status, JSON trimmed: long lists cut).');
  try {
    await flow(ops, agents, workDir);
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    for (const a of agents) a.killJobs();
    rmSync(workDir, { recursive: true, force: true });
    out(`\n# the agents this script started are stopped (${elapsed()})`);
  }
}

async function flow(ops, agents, workDir) {
  out('\n## Accounts: a supplier and a customer organization, each with its key (ops)');
  const org = async (name, kind) => {
    const o = await call('ops', ops, 'POST', '/v1/organizations', { name, kind });
    const k = await call('ops', ops, 'POST', `/v1/organizations/${o.body.organizationId}/api-keys`, { scopes: [kind] });
    return { organizationId: o.body.organizationId, key: k.body.key };
  };
  const supplierOrg = await org('Transcript Compute', 'supplier');
  const customerOrg = await org('Transcript Customer', 'customer');
  const S = supplierOrg.key;
  const C = customerOrg.key;
  // Keys travel as events: wait until matching and leasing know the customer's.
  await until('the keys known everywhere', async () => [await call('customer', C, 'GET', '/v1/hardware', undefined, { quiet: true }), await call('customer', C, 'GET', '/v1/clusters', undefined, { quiet: true }), await call('supplier', S, 'GET', '/v1/devices?limit=1', undefined, { quiet: true })], (rs) => rs.every((r) => r.status === 200), 60_000);

  out(`\n## Supply: ${AGENTS} agents with simulated GPUs enroll and run`);
  const supplier = await call('supplier', S, 'POST', '/v1/suppliers', { name: 'Transcript Compute', source: 'individual', payoutWallet: '11111111111111111111111111111111' });
  for (let i = 1; i <= AGENTS; i++) {
    const agent = new Agent(`agent-${i}`, join(workDir, `agent-${i}`));
    const token = await call('supplier', S, 'POST', `/v1/suppliers/${supplier.body.supplierId}/enrollment-tokens`, {}, { quiet: i > 1 });
    cli(['keygen', '--dir', agent.dir]);
    const joined = cli(['join', '--dir', agent.dir, '--token', token.body.token, '--api', API, '--country', COUNTRY, '--region', `${COUNTRY.toLowerCase()}-1`, '--simulate-gpus', `H100x${GPUS_PER_AGENT}`, '--download-mbps', '900', '--upload-mbps', '700']);
    agent.deviceId = /device (\S+) of supplier/.exec(joined)?.[1];
    agents.push(agent);
  }
  out(`\n$ ionet-agent run --dir <each agent> --heartbeat-interval 1 --runtime process   (x${AGENTS}, in the background)`);
  for (const a of agents) a.run();
  const byDevice = (id) => agents.find((a) => a.deviceId === id);
  await until(
    'every device cluster_ready (proof of work passed, uptime shown)',
    () => Promise.all(agents.map((a) => call('supplier', S, 'GET', `/v1/devices/${a.deviceId}`, undefined, { quiet: true }))),
    (rs) => rs.every((r) => r.body.status === 'cluster_ready'),
  );
  await call('supplier', S, 'GET', `/v1/devices/${agents[0].deviceId}`);

  out('\n## Search');
  await until('the devices in the hardware list', () => call('customer', C, 'GET', `/v1/hardware?countryCode=${COUNTRY}`, undefined, { quiet: true }), (r) => r.body.items?.[0]?.availableDevices >= AGENTS);
  await call('customer', C, 'GET', `/v1/hardware?countryCode=${COUNTRY}`);
  await call('customer', C, 'GET', `/v1/offers?gpuModel=H100-80GB&countryCode=${COUNTRY}&sort=price&limit=2`);
  await call('customer', C, 'GET', `/v1/offers?gpuModel=H100-80GB&countryCode=${COUNTRY}&gpuCountMin=4`);

  out('\n## An unplaceable request, and why');
  const ask = { clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: (AGENTS - 1) * GPUS_PER_AGENT, durationHours: 4, paymentAsset: 'USDC' };
  await call('customer', C, 'POST', '/v1/quotes', { ...ask, countryCodes: ['JP'] });

  out('\n## Money first (the quote holds its devices 20 platform minutes: 20 s under npm start)');
  await call('ops', ops, 'POST', '/v1/deposits', { organizationId: customerOrg.organizationId, asset: 'USDC', amountBaseUnits: '500000000' });
  await until('the deposit available', () => call('customer', C, 'GET', '/v1/balances', undefined, { quiet: true }), (r) => JSON.stringify(r.body).includes('500000000'), 60_000);
  await call('customer', C, 'GET', '/v1/balances');

  out('\n## Quote and cluster');
  const quote = await call('customer', C, 'POST', '/v1/quotes', { ...ask, countryCodes: [COUNTRY] });
  if (quote.status !== 201) throw new Error('the quote was refused');
  const held = quote.body.devices;
  const spare = agents.find((a) => !held.some((d) => d.deviceId === a.deviceId));
  const clusterBody = { quoteId: quote.body.quoteId, name: 'transcript', image: 'rayproject/ray:2.9.0-gpu', command: ['sleep', '900'], env: { EPOCHS: '3' }, ports: [8265] };
  let cluster = await call('customer', C, 'POST', '/v1/clusters', clusterBody);
  // Leasing learns the quote from matching's ClusterMatched a moment after the quote's answer.
  for (let i = 0; cluster.status === 404 && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    cluster = await call('customer', C, 'POST', '/v1/clusters', clusterBody, { quiet: true });
    if (cluster.status !== 404) out(`# asked again: leasing had not seen the quote yet; now ${cluster.status} ${JSON.stringify(trim(cluster.body))}`);
  }
  if (cluster.status !== 201) throw new Error('the cluster was refused');
  const id = cluster.body.clusterId;
  const view = () => call('customer', C, 'GET', `/v1/clusters/${id}`, undefined, { quiet: true });
  await call('customer', C, 'GET', `/v1/clusters/${id}`);

  out('\n## Funded by the ledger; each job handed to its agent\'s long poll, accepted, running');
  await until('the cluster running', view, (r) => r.body.status === 'running', 120_000);
  await call('customer', C, 'GET', `/v1/clusters/${id}`);
  await call('customer', C, 'GET', `/v1/clusters/${id}/workers`);
  const jobIds = new Set((await call('customer', C, 'GET', `/v1/clusters/${id}/workers`, undefined, { quiet: true })).body.items.map((w) => w.jobId));
  out('\n# what the agents said (their own JSON lines, abridged):');
  for (const d of held) for (const l of byDevice(d.deviceId).jobLines(id, jobIds)) out(`    ${l}`);
  await call('supplier', S, 'GET', `/v1/devices/${held[0].deviceId}`);

  out('\n## A lease-hour passes on the shared clock: proven by the heartbeats, charged');
  await until('hour 0 proven on every device', () => call('customer', C, 'GET', `/v1/clusters/${id}/workers`, undefined, { quiet: true }), (r) => r.body.items.every((w) => w.provenHours >= 1));
  await call('customer', C, 'GET', `/v1/clusters/${id}/workers`);
  await until('the charges', () => call('customer', C, 'GET', '/v1/transactions?type=charge', undefined, { quiet: true }), (r) => r.body.items?.filter((t) => t.leaseId === id).length >= held.length, 120_000);
  await call('customer', C, 'GET', '/v1/transactions?type=charge&limit=3');
  await call('customer', C, 'GET', '/v1/balances');

  out('\n## The customer extends by an hour');
  await call('customer', C, 'POST', `/v1/clusters/${id}/extend`, { hours: 1 });

  const victim = byDevice(held[held.length - 1].deviceId);
  out(`\n## ${victim.name} (device ${victim.deviceId}) is killed with SIGKILL`);
  out(`\n$ kill -KILL <${victim.name}>`);
  await victim.stop('SIGKILL');
  await until('its device offline (silence past the tolerance)', () => call('supplier', S, 'GET', `/v1/devices/${victim.deviceId}`, undefined, { quiet: true }), (r) => r.body.status === 'offline');
  await call('supplier', S, 'GET', `/v1/devices/${victim.deviceId}`);
  await until('the replacement in the cluster (ReplacementMatched)', view, (r) => r.body.devices.some((d) => d.deviceId === spare.deviceId), 120_000);
  await until('the replacement\'s job started', view, (r) => r.body.status === 'running', 120_000);
  await call('customer', C, 'GET', `/v1/clusters/${id}/workers`);
  out('\n# what the spare agent said:');
  const allJobs = new Set((await call('customer', C, 'GET', `/v1/clusters/${id}/workers`, undefined, { quiet: true })).body.items.map((w) => w.jobId));
  for (const l of spare.jobLines(id, allJobs)) out(`    ${l}`);

  out('\n## The customer terminates; the agents stop their jobs, the devices are free again');
  await call('customer', C, 'DELETE', `/v1/clusters/${id}`);
  const live = [...held.slice(0, -1).map((d) => d.deviceId), spare.deviceId];
  await until('the live devices cluster_ready again', () => Promise.all(live.map((d) => call('supplier', S, 'GET', `/v1/devices/${d}`, undefined, { quiet: true }))), (rs) => rs.every((r) => r.body.status === 'cluster_ready'), 120_000);
  await call('customer', C, 'GET', `/v1/clusters/${id}`);
  await call('customer', C, 'GET', `/v1/offers?gpuModel=H100-80GB&countryCode=${COUNTRY}`);
  await call('customer', C, 'GET', '/v1/balances');
  out('\n# what the agents said at the end:');
  for (const d of live) for (const l of byDevice(d).jobLines(id, allJobs).slice(-2)) out(`    ${l}`);
}

main().catch((err) => {
  process.stderr.write(`transcript failed: ${err.message}\n`);
  process.exitCode = 1;
});
