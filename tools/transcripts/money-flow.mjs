#!/usr/bin/env node
// One cluster's money, hour by hour, as the API reports it, against a running `npm start`:
//   INVOICE_PERIOD_MS=3600000 VERIFICATION_QUALIFY_UPTIME_MS=600000 PAYOUT_RUN_EVERY_MS=600000 \
//     QUEUE_PREFIX=ionet-money npm start
// (QUEUE_PREFIX: a private BullMQ prefix, so no other process on the machine using the default one
// takes or reschedules this stack's invoice and payout runs.)
//   npm run transcript -- money            (prints the transcript; docs/transcripts/money-flow.txt is one)
// It creates a customer and a supplier organization, a webhook endpoint served by a receiver on
// 127.0.0.1 that verifies every delivery with the official standardwebhooks package, starts one
// ionet-agent with 8 simulated H100s, deposits, quotes and creates a 2-hour cluster; it stops the agent
// for hour 1 (refunded), and prints balances, transactions, ledger accounts, the ledger's state hash and
// invariants after each step, then the invoice, the cost report, the payout due, the webhook deliveries
// and a blue/green rebuild of the ledger. It stops the agent it started.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOpsKey } from '../lib.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');
const { leaseFees, DEFAULT_TOKENOMICS_PARAMETERS } = require('@ionet/tokenomics');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const API = process.env.IONET_API_URL ?? 'http://127.0.0.1:4000';
const AGENT_BIN = join(root, 'services', 'worker-agent', 'bin', 'ionet-agent.js');
const HOUR_MS = 3_600_000;
const PRICE = 2_000_000n; // USDC base units per GPU-hour ($2.00)
const GPUS = 8;
const DEPOSIT = 100_000_000n;
const WAIT_MS = Number(process.env.TRANSCRIPT_WAIT_MS ?? 600_000);

const opsKey = loadOpsKey(root);
const out = (line = '') => process.stdout.write(`${line}\n`);
// Secrets and single-use tokens are shown once by the API; the transcript does not keep them.
const redact = (key, value) => (typeof value === 'string' && (key === 'secret' || key === 'token') ? `${value.slice(0, 13)}...(redacted)` : value);
const trim = (value, max = 1_600) => {
  const text = JSON.stringify(value, redact, 2);
  return text.length > max ? `${text.slice(0, max)}\n  ... (${text.length - max} more characters)` : text;
};

async function call(key, method, path, body, { quiet = false } = {}) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { unparsed: text.slice(0, 200) };
  }
  if (!quiet) {
    out(`$ ${method} ${path}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`);
    out(`  ${res.status} ${trim(parsed).split('\n').join('\n  ')}`);
  }
  return { status: res.status, body: parsed };
}

async function waitFor(what, probe, timeoutMs = WAIT_MS, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function agentCli(args) {
  const r = spawnSync(process.execPath, [AGENT_BIN, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The platform clock as the agent last synchronised it (clock.json in its state directory). */
function platformNowMs(dir) {
  const sync = JSON.parse(readFileSync(join(dir, 'clock.json'), 'utf8'));
  return sync.platformTimeMs + (Date.now() - sync.wallTimeMs) * sync.clockRate;
}

const received = [];
let secret;
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const entry = { webhookId: req.headers['webhook-id'], body };
    try {
      entry.payload = new Webhook(secret).verify(body, req.headers);
      entry.verified = true;
    } catch (err) {
      entry.verified = false;
      entry.error = err.message;
    }
    received.push(entry);
    res.end('ok');
  });
});

const dir = mkdtempSync(join(tmpdir(), 'ionet-money-transcript-'));
let agent;
let shown = 0;

function showWebhooks() {
  for (const r of received.slice(shown)) {
    out(`  webhook ${r.webhookId} ${r.verified ? 'verified with standardwebhooks' : `NOT verified: ${r.error}`}: ${r.payload ? `${r.payload.type} ${JSON.stringify(r.payload.data)}` : r.body.slice(0, 200)}`);
  }
  shown = received.length;
}

async function snapshot(title, who) {
  out('');
  out(`=== ${title} ===`);
  await call(who.customerKey, 'GET', '/v1/balances');
  const tx = await call(who.customerKey, 'GET', '/v1/transactions', undefined, { quiet: true });
  out('$ GET /v1/transactions');
  for (const t of tx.body.items ?? []) {
    out(`  ${t.occurredAt} ${t.type.padEnd(8)} ${(t.subtype ?? '').padEnd(24)} ${String(t.amountBaseUnits).padStart(10)} ${t.asset}  available ${String(t.availableDeltaBaseUnits).padStart(10)}  escrow ${String(t.escrowDeltaBaseUnits).padStart(10)}${t.hourIndex === null ? '' : `  hour ${t.hourIndex}`}`);
  }
  // platform:fees holds the fees of every lease the stack has booked, not only this one.
  for (const account of [`customer:${who.customerId}:available`, `customer:${who.customerId}:escrow`, `supplier:${who.supplierId}:earnings`, 'platform:fees']) {
    const res = await call(opsKey, 'GET', `/v1/ledger/accounts/${account}`, undefined, { quiet: true });
    const b = (res.body.balances ?? []).find((x) => x.asset === 'USDC');
    out(`  ledger ${account}: ${res.status === 200 && b ? `${b.balance.amountBaseUnits} USDC (debits ${b.debitsPostedBaseUnits}, credits ${b.creditsPostedBaseUnits})` : `${res.status} ${res.body.code ?? ''}`}`);
  }
  const inv = await call(opsKey, 'GET', '/v1/ledger/invariants', undefined, { quiet: true });
  out(`$ GET /v1/ledger/invariants\n  ${inv.status} ok=${inv.body.ok} allEntriesBalance=${inv.body.allEntriesBalance} entryCount=${inv.body.entryCount} violations=${JSON.stringify(inv.body.violations)} negativeAccounts=${JSON.stringify(inv.body.negativeAccounts)}`);
  out(`  stateHash ${inv.body.stateHash}`);
  showWebhooks();
}

async function main() {
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${receiver.address().port}/ionet-webhooks`;
  const hour = leaseFees(BigInt(GPUS) * PRICE, 'USDC', DEFAULT_TOKENOMICS_PARAMETERS);
  out(`# One cluster's money through ${API} (${new Date().toISOString()})`);
  out(`# 8 simulated H100 GPUs at ${PRICE} USDC base units per GPU-hour, 2 hours; one hour as @ionet/tokenomics prices it:`);
  out(`#   compute ${hour.amountBaseUnits}, customer fees ${hour.customer.totalFeeBaseUnits} (reservation ${hour.customer.reservationFeeBaseUnits} + payment ${hour.customer.paymentFeeBaseUnits}),`);
  out(`#   customer pays ${hour.customerPaysBaseUnits}, supplier receives ${hour.supplierReceivesBaseUnits}, platform fees ${hour.platformFeesBaseUnits}`);

  out('\n=== organizations, keys, webhook endpoint ===');
  const customerOrg = await call(opsKey, 'POST', '/v1/organizations', { name: 'Transcript Customer', kind: 'customer' });
  const customerId = customerOrg.body.organizationId;
  const customerKey = (await call(opsKey, 'POST', `/v1/organizations/${customerId}/api-keys`, { scopes: ['customer'] }, { quiet: true })).body.key;
  out(`  (customer key issued: ${customerKey.slice(0, 14)}...)`);
  const supplierOrg = await call(opsKey, 'POST', '/v1/organizations', { name: 'Transcript Supplier', kind: 'supplier' });
  const supplierKey = (await call(opsKey, 'POST', `/v1/organizations/${supplierOrg.body.organizationId}/api-keys`, { scopes: ['supplier'] }, { quiet: true })).body.key;
  out(`  (supplier key issued: ${supplierKey.slice(0, 14)}...)`);
  // Keys travel as events: wait until the services behind the gateway know them.
  await waitFor('the keys known everywhere', async () => {
    for (const [key, path] of [[customerKey, '/v1/webhook-endpoints?limit=1'], [customerKey, '/v1/hardware'], [supplierKey, '/v1/devices?limit=1'], [customerKey, '/v1/me']]) {
      if ((await call(key, 'GET', path, undefined, { quiet: true })).status === 401) return undefined;
    }
    return true;
  }, 60_000);
  const endpoint = await call(customerKey, 'POST', '/v1/webhook-endpoints', { url: receiverUrl, eventTypes: ['cluster.funded', 'cluster.running', 'cluster.hour_charged', 'cluster.terminated', 'invoice.issued'] });
  secret = endpoint.body.secret;

  out('\n=== supply: one agent, 8 simulated H100s ===');
  const supplier = await call(supplierKey, 'POST', '/v1/suppliers', { name: 'Transcript Supplier', source: 'individual', payoutWallet: '11111111111111111111111111111111' });
  const supplierId = supplier.body.supplierId;
  const token = await call(supplierKey, 'POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, {});
  const joined = agentCli(['join', '--dir', dir, '--token', token.body.token, '--api', API, '--country', 'DE', '--simulate-gpus', 'H100x8', '--download-mbps', '900', '--upload-mbps', '700']);
  out(`$ ionet-agent join --simulate-gpus H100x8 --country DE ...\n  ${joined.stdout.trim().split('\n').join('\n  ')}`);
  const deviceId = /device (\S+) of supplier/.exec(joined.stdout)?.[1];
  if (!deviceId) throw new Error(`join failed: ${joined.stdout}${joined.stderr}`);
  await waitFor('the device in the catalogue', async () => (await call(supplierKey, 'GET', `/v1/devices/${deviceId}`, undefined, { quiet: true })).status === 200, 60_000);
  await call(supplierKey, 'PUT', `/v1/devices/${deviceId}/price`, { askPricePerGpuHour: { amountBaseUnits: PRICE.toString(), asset: 'USDC' } });
  agent = spawn(process.execPath, [AGENT_BIN, 'run', '--json', '--dir', dir, '--heartbeat-interval', '1', '--runtime', 'process'], { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
  out('$ ionet-agent run --heartbeat-interval 1 --runtime process   (started)');
  const ready = await waitFor('the device cluster_ready', async () => {
    const d = await call(supplierKey, 'GET', `/v1/devices/${deviceId}`, undefined, { quiet: true });
    return d.body.status === 'cluster_ready' ? d.body : undefined;
  });
  out(`  device ${deviceId}: ${ready.status}, ask ${ready.askPricePerGpuHour.amountBaseUnits} USDC base units per GPU-hour`);

  const who = { customerKey, customerId, supplierId };
  out('\n=== deposit, quote, cluster ===');
  await call(opsKey, 'POST', '/v1/deposits', { organizationId: customerId, asset: 'USDC', amountBaseUnits: DEPOSIT.toString(), externalReference: 'transcript' });
  const quote = await call(customerKey, 'POST', '/v1/quotes', { clusterType: 'container', gpuModel: 'H100-80GB', gpuCount: GPUS, countryCodes: ['DE'], durationHours: 2, paymentAsset: 'USDC' });
  const cluster = await call(customerKey, 'POST', '/v1/clusters', { quoteId: quote.body.quoteId, name: 'transcript', image: 'ionet/sleep', command: ['sleep', '600'] });
  const clusterId = cluster.body.clusterId;
  const funded = await waitFor('the cluster funded', async () => {
    const c = await call(customerKey, 'GET', `/v1/clusters/${clusterId}`, undefined, { quiet: true });
    return c.body.fundedAt ? c.body : undefined;
  });
  await waitFor('cluster.funded at the receiver', () => received.some((r) => r.payload?.type === 'cluster.funded'), 60_000);
  await snapshot(`funded at ${funded.fundedAt} (platform time): escrow locked`, who);

  out('\n=== hour 0: the agent runs the job and beats; it is stopped 40 platform minutes in, for hour 1 ===');
  await waitFor('the job started', async () => (await call(customerKey, 'GET', `/v1/clusters/${clusterId}`, undefined, { quiet: true })).body.status === 'running');
  await call(customerKey, 'GET', `/v1/clusters/${clusterId}`);
  const stopAt = new Date(funded.fundedAt).getTime() + 0.6 * HOUR_MS;
  await waitFor('40 platform minutes into hour 0', () => platformNowMs(dir) >= stopAt, WAIT_MS, 100);
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  out(`  agent stopped at platform time ${new Date(platformNowMs(dir)).toISOString()}`);
  await waitFor('hour 0 charged', async () => ((await call(customerKey, 'GET', '/v1/transactions?type=charge', undefined, { quiet: true })).body.items ?? []).some((t) => t.leaseId === clusterId));
  await waitFor('cluster.hour_charged at the receiver', () => received.some((r) => r.payload?.type === 'cluster.hour_charged'), 60_000);
  await snapshot('hour 0 proven and charged', who);

  out('\n=== hour 1: no heartbeats, unproven ===');
  await waitFor('hour 1 refunded', async () => ((await call(customerKey, 'GET', '/v1/transactions?type=refund', undefined, { quiet: true })).body.items ?? []).some((t) => t.leaseId === clusterId));
  await call(customerKey, 'GET', `/v1/clusters/${clusterId}/workers`);
  await snapshot('hour 1 refunded', who);

  out('\n=== the lease ended: invoice, cost report, payout ===');
  await waitFor('the cluster completed', async () => (await call(customerKey, 'GET', `/v1/clusters/${clusterId}`, undefined, { quiet: true })).body.endedAt);
  await call(customerKey, 'GET', `/v1/clusters/${clusterId}`);
  const invoice = await waitFor('the invoice with the charged hour', async () => {
    const page = await call(customerKey, 'GET', '/v1/invoices', undefined, { quiet: true });
    return (page.body.items ?? []).find((i) => i.lines.some((l) => l.kind === 'charge' && l.leaseId === clusterId));
  });
  await call(customerKey, 'GET', '/v1/invoices');
  await call(customerKey, 'GET', `/v1/invoices/${invoice.invoiceId}`);
  await call(customerKey, 'GET', `/v1/clusters/${clusterId}/cost-report`);
  await waitFor('the payout due', async () => ((await call(supplierKey, 'GET', '/v1/payouts', undefined, { quiet: true })).body.items ?? []).length > 0);
  await call(supplierKey, 'GET', '/v1/payouts');
  await call(supplierKey, 'GET', '/v1/transactions');
  await waitFor('cluster.terminated and invoice.issued at the receiver', () => ['cluster.terminated', 'invoice.issued'].every((t) => received.some((r) => r.payload?.type === t)), 120_000);
  await snapshot('after the lease', who);

  out('\n=== webhook deliveries as the platform logged them ===');
  const log = await call(customerKey, 'GET', `/v1/webhook-endpoints/${endpoint.body.webhookEndpointId}/deliveries`, undefined, { quiet: true });
  out(`$ GET /v1/webhook-endpoints/${endpoint.body.webhookEndpointId}/deliveries`);
  for (const d of log.body.items ?? []) out(`  ${d.webhookId} ${d.eventType ?? d.type ?? ''} ${d.status} attempts=${(d.attempts ?? []).length}`);
  out(`  received ${received.length}, verified with standardwebhooks ${received.filter((r) => r.verified).length}`);

  out('\n=== the ledger rebuilt blue/green ===');
  const live = await call(opsKey, 'GET', '/v1/ledger/state-hash');
  await call(opsKey, 'POST', '/v1/ops/ledger/projections/ledger/rebuild');
  await waitFor('the rebuild', async () => (await call(opsKey, 'GET', '/v1/ops/ledger/projections/ledger', undefined, { quiet: true })).body.rebuild?.state !== 'running', 120_000);
  const after = await call(opsKey, 'GET', '/v1/ledger/state-hash');
  out(`  state hash ${after.body.stateHash === live.body.stateHash ? 'equal' : 'DIFFERENT'} after the rebuild (generation ${live.body.generation} -> ${after.body.generation})`);
}

try {
  await main();
} catch (err) {
  out(`\nFAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  if (agent && agent.exitCode === null) agent.kill('SIGTERM');
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
