// The verification bench: signed heartbeats ingested per second by services/verification (each
// heartbeat's hash and ed25519 signature verified, the chain checked link by link, the batch stored
// in one transaction), sent as the worker agent sends them (signed requests, batches per device),
// beside Node's raw ed25519 verify rate measured in the same run. The median of three runs.
//   npm run bench -- verification [--devices=200] [--batch=100] [--batches=3] [--concurrency=4] [--runs=3]
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, benchDatabase, freePort, KAFKA_BROKERS, REDIS_URL, start, stopChild, uptime, waitReady } from './support.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const { create, toBinary } = require('@bufbuild/protobuf');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const { ensureTopics } = require('@ionet/eventing');
const { Asset, EVENT_HEADERS, commonV1, encodeEnvelope, inventoryV1, newEventId, topicName } = require('@ionet/contracts');
const { AGENT_PATHS, chainHeartbeat, generateAgentKey, processDigest, signAgentRequest } = require('@ionet/agent-protocol');

const BROKERS = KAFKA_BROKERS;
const TARGET = { heartbeatsPerS: 5_000, batchP99Ms: 50 };

export async function run({ root, flags }) {
  const opts = {
    devices: Number(flags.devices ?? 200),
    batch: Number(flags.batch ?? 100),
    batches: Number(flags.batches ?? 3),
    concurrency: Number(flags.concurrency ?? 4),
    runs: Number(flags.runs ?? 3),
  };
  const runId = `v${Date.now().toString(36)}`;
  const schema = `bench_verification_${runId}`;
  const topicPrefix = `bench.${runId}.`;
  const uptimeAtStart = uptime();
  const loadAverageAtStart = loadAverage();
  const { db, dbUrl } = await benchDatabase(ADMIN_URL, schema);
  const kafka = new Kafka({ clientId: 'ionet-bench-verification', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  let child;
  const cleanup = async () => {
    if (child) await stopChild(child);
    await db.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await db.end().catch(() => undefined);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    const topics = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length) await kafkaAdmin.deleteTopics({ topics }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  };

  try {
    await ensureTopics(kafka, { prefix: topicPrefix });
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    child = start(root, 'verification', [...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []), 'services/verification/dist/main.js'], {
      NODE_ENV: 'production',
      SERVICE_NAME: 'verification',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl.toString(),
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      QUEUE_PREFIX: `bench-${runId}`,
      // The sweeps are not what is measured.
      SERVICE_ROLES: 'api,consumer',
      OPS_BOOTSTRAP_API_KEY: `ionet_ops_${randomBytes(32).toString('base64url')}`,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      // One client sends for every agent here: the per-address budget would be the bench.
      RATE_LIMIT_ADDRESS_MAX: '100000000',
      RATE_LIMIT_KEY_MAX: '100000000',
    });
    await waitReady(`${baseUrl}/health/ready`);

    // Every run gets its own devices, registered through inventory's topic as enrollment does.
    const devicesPerRun = Array.from({ length: opts.runs }, () => Array.from({ length: opts.devices }, () => ({ key: generateAgentKey(), deviceId: crypto.randomUUID() })));
    await registerDevices(kafka, topicPrefix, devicesPerRun.flat());
    await waitRegistered(db, schema, devicesPerRun.flat().length);

    const rawVerify = rawEd25519VerifyRate();
    console.log(`\nverification bench: ${opts.devices} devices x ${opts.batches} batches of ${opts.batch} heartbeats per run, ${opts.concurrency} requests in flight, median of ${opts.runs} runs; ${os.cpus().length} CPUs`);
    console.log(`Node's raw ed25519 verify on this machine, one thread, same run: ${rawVerify.toLocaleString('en-US')} verifies/s\n`);

    const runs = [];
    for (const [i, devices] of devicesPerRun.entries()) {
      const requests = buildRequests(devices, opts);
      const loadBefore = loadAverage();
      const measured = await sendAll(baseUrl, requests, opts.concurrency);
      runs.push({ ...measured, loadAverageBefore: loadBefore });
      console.log(`  run ${i + 1}: ${measured.heartbeatsPerS.toLocaleString('en-US').padStart(7)} heartbeats/s, batch p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms, ${measured.failed} failed (load average before: ${loadBefore.join(' ')})`);
    }
    const sorted = [...runs].sort((a, b) => a.heartbeatsPerS - b.heartbeatsPerS);
    const median = sorted[Math.floor(sorted.length / 2)];
    const met = median.heartbeatsPerS >= TARGET.heartbeatsPerS && median.p99Ms <= TARGET.batchP99Ms && median.failed === 0;
    console.log('');
    console.log(`  ${'measure'.padEnd(58)} ${'value'.padStart(12)}`);
    console.log(`  ${'signed heartbeats ingested per second (median run)'.padEnd(58)} ${median.heartbeatsPerS.toLocaleString('en-US').padStart(12)}`);
    console.log(`  ${'batch latency p50 / p99, ms (median run)'.padEnd(58)} ${`${median.p50Ms} / ${median.p99Ms}`.padStart(12)}`);
    console.log(`  ${"Node's raw ed25519 verifies per second (one thread)".padEnd(58)} ${rawVerify.toLocaleString('en-US').padStart(12)}`);
    console.log(`  ${`target: >= ${TARGET.heartbeatsPerS.toLocaleString('en-US')} heartbeats/s, p99 <= ${TARGET.batchP99Ms} ms per batch`.padEnd(58)} ${(met ? 'met' : 'NOT met').padStart(12)}`);
    const result = {
      bench: 'verification',
      runId,
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, loadAverageAtStart, loadAverageAtEnd: loadAverage(), uptimeAtStart, uptimeAtEnd: uptime() },
      options: opts,
      target: { ...TARGET, met },
      rawEd25519VerifiesPerS: rawVerify,
      median,
      runs,
    };
    writeFileSync(path.join(root, 'bench', 'results', 'verification.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to bench/results/verification.json`);
  } finally {
    await cleanup();
  }
}

/** Pre-built batches (hashed and signed as the agent does, before the clock starts): for each device
 *  its batches in chain order; requests are signed when sent (timestamp and nonce). */
function buildRequests(devices, opts) {
  const perDevice = devices.map((device) => {
    const batches = [];
    let previous;
    const startMs = Date.now() - opts.batches * opts.batch * 30_000;
    for (let b = 0; b < opts.batches; b++) {
      const heartbeats = [];
      for (let i = 0; i < opts.batch; i++) {
        const n = b * opts.batch + i;
        previous = chainHeartbeat(
          previous,
          {
            deviceId: device.deviceId,
            at: new Date(startMs + n * 30_000).toISOString(),
            leaseId: null,
            gpus: [{ uuid: `GPU-${device.deviceId}`, utilisationBasisPoints: 4_200, memoryUsedMib: 2_048 }],
            processDigest: processDigest([]),
            foreignProcessCount: 0,
          },
          device.key,
        );
        heartbeats.push(previous);
      }
      batches.push(JSON.stringify({ heartbeats }));
    }
    return { key: device.key, batches };
  });
  return perDevice;
}

/** Sends every device's batches in order, `concurrency` requests in flight across devices. */
async function sendAll(baseUrl, perDevice, concurrency) {
  const queue = perDevice.map((d) => ({ ...d, next: 0 }));
  const latencies = [];
  let heartbeats = 0;
  let failed = 0;
  let resent = 0;
  let firstFailure;
  const started = process.hrtime.bigint();
  let cursor = 0;
  const worker = async () => {
    for (;;) {
      // Each worker takes a device and sends its batches one after another (a chain is ordered).
      const device = queue[cursor++];
      if (!device) return;
      for (const body of device.batches) {
        const t0 = process.hrtime.bigint();
        let res;
        let json;
        // A kept-alive connection the server closes as a request goes out fails in transport; the
        // agent re-sends (a heartbeat batch is idempotent), and so does this client, once.
        for (let attempt = 0; attempt < 2 && !res; attempt++) {
          const headers = signAgentRequest({ key: device.key, method: 'POST', pathAndQuery: AGENT_PATHS.heartbeats, body, nowMs: Date.now() });
          try {
            res = await fetch(`${baseUrl}${AGENT_PATHS.heartbeats}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
            json = await res.json();
          } catch (err) {
            res = undefined;
            if (attempt === 0) resent++;
            else firstFailure ??= `${err.message}: ${err.cause?.message ?? ''}`;
          }
        }
        if (!res) {
          failed++;
          continue;
        }
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (res.status === 200) heartbeats += json.accepted + json.duplicates;
        else {
          failed++;
          firstFailure ??= `${res.status} ${JSON.stringify(json).slice(0, 300)}`;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 10) / 10;
  if (firstFailure) console.log(`    first failure: ${firstFailure}`);
  return { heartbeatsPerS: Math.round(heartbeats / elapsedS), heartbeats, batches: latencies.length, elapsedS: Math.round(elapsedS * 100) / 100, p50Ms: pct(0.5), p99Ms: pct(0.99), failed, resentAfterTransportError: resent };
}

/** ed25519 verifies per second with a cached public key object: the floor under any ingest. */
function rawEd25519VerifyRate() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = createHash('sha256').update('heartbeat').digest();
  const signature = sign(null, message, privateKey);
  let n = 0;
  const started = process.hrtime.bigint();
  const budget = 2_000_000_000n;
  while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 100; i++) if (verify(null, message, publicKey, signature)) n++;
  }
  return Math.round(n / (Number(process.hrtime.bigint() - started) / 1e9));
}

async function registerDevices(kafka, topicPrefix, devices) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = devices.map((d) => {
      const eventId = newEventId();
      const payload = toBinary(
        inventoryV1.DeviceRegisteredSchema,
        create(inventoryV1.DeviceRegisteredSchema, {
          deviceId: d.deviceId,
          supplierId: crypto.randomUUID(),
          tenantId: 'bench',
          agentPublicKey: d.key.address,
          deviceClass: commonV1.DeviceClass.GPU,
          gpu: { model: 'RTX-4090', vramMib: 24_576, count: 1 },
          cpuCores: 16,
          ramMib: 65_536,
          diskGib: 1_000,
          countryCode: 'DE',
          region: 'eu-central',
          connectivityTier: commonV1.ConnectivityTier.HIGH,
          securityTier: commonV1.SecurityTier.STANDARD,
          source: commonV1.SupplySource.INDIVIDUAL,
          askPricePerGpuHour: { amountBaseUnits: '500000', asset: Asset.USDC },
          payoutWallet: '11111111111111111111111111111111',
          registeredAt: timestampFromDate(new Date()),
          simulated: true,
        }),
      );
      const metadata = {
        eventId,
        eventType: inventoryV1.DeviceRegisteredSchema.typeName,
        schemaVersion: 1,
        aggregateType: 'device',
        aggregateId: d.deviceId,
        aggregateVersion: 1n,
        occurredAt: new Date(),
        correlationId: eventId,
        causationId: eventId,
        producer: 'inventory',
        traceparent: '',
        tracestate: '',
        globalPosition: 0n,
      };
      return {
        key: d.deviceId,
        value: Buffer.from(encodeEnvelope(metadata, payload)),
        headers: { [EVENT_HEADERS.eventType]: metadata.eventType, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: '1' },
      };
    });
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: topicName('inventory', topicPrefix), acks: -1, messages: messages.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
}

async function waitRegistered(db, schema, count, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const n = await db.query(`select count(*)::int as n from "${schema}".agent_keys`).then((r) => r.rows[0].n).catch(() => 0);
    if (n >= count) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the devices did not reach verification's registry within ${timeoutMs} ms`);
}

function loadAverage() {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

