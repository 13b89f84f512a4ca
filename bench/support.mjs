// Helpers shared by the benches: services run as processes on the local stack, medians over runs,
// topics that wait for their leaders, the raw kafkajs consume a replay is measured beside, the table.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

/** Where the benches find the local stack (the same variables as the test kit's). */
export const KAFKA_BROKERS = process.env.IONET_KAFKA_BROKERS ?? '127.0.0.1:9092';
export const ADMIN_URL = process.env.IONET_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.IONET_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A fresh ops key for one bench run (the services start with it as their bootstrap key). */
export function newOpsKey() {
  return `ionet_ops_${randomBytes(32).toString('base64url')}`;
}

export function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
}

export function start(root, name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  // How the http bench names the process in its CPU-per-request figures.
  child.benchName = name;
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4_000)));
  child.on('exit', (code) => {
    if (code && !child.stopping) console.error(`${name} exited with ${code}: ${stderr}`);
  });
  return child;
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stopping = true;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function post(url, headers, body) {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

export async function waitReady(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}


/** The benches' database (created once) with a fresh schema for this run, and a client on it. */
export async function benchDatabase(adminUrl, schema) {
  const { Client } = require('pg');
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = '/ionet_bench';
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  if (!(await admin.query("select 1 from pg_database where datname = 'ionet_bench'")).rowCount) await admin.query('create database ionet_bench');
  await admin.end();
  const db = new Client({ connectionString: dbUrl.toString() });
  await db.connect();
  await db.query(`create schema "${schema}"`);
  return { db, dbUrl };
}

/** The median of the numeric values (NaN when none). */
export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round(((sorted[mid - 1] + sorted[mid]) / 2) * 10) / 10;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates a topic kept forever and waits for every partition's leader: kafkajs's waitForLeaders
 *  gives up on UNKNOWN_TOPIC_OR_PARTITION while a loaded broker is still creating the topic. */
export async function createTopicWithLeaders(kafkaAdmin, topic, partitions) {
  await kafkaAdmin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] }] });
  for (let i = 0; ; i++) {
    const ready = await kafkaAdmin.fetchTopicMetadata({ topics: [topic] }).then(
      (m) => m.topics[0].partitions.length === partitions && m.topics[0].partitions.every((p) => p.leader >= 0),
      () => false,
    );
    if (ready) return;
    if (i > 300) throw new Error(`topic ${topic} has no leaders after 30 s`);
    await sleep(100);
  }
}

/** A plain kafkajs group reading `count` messages of `topic` from the start without processing them
 *  (each value's length is read, nothing else): the limit a rebuild is measured beside. Timed from
 *  the group join (after Kafka's initial rebalance delay) to the last message. `maxBytes` (the whole
 *  fetch; kafkajs's default 10 MiB) may be raised with `maxBytesPerPartition` for the fastest
 *  baseline kafkajs gives (ADR 0331). `cpuMicros`: the process's CPU over the same window. */
export async function rawConsume(kafka, topic, groupId, count, { partitionsConsumedConcurrently = 4, maxBytesPerPartition = 4 * 1_048_576, maxBytes } = {}) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition, ...(maxBytes ? { maxBytes } : {}) });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  let firstAt;
  let cpuAtJoin;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    firstAt = performance.now();
    cpuAtJoin = process.cpuUsage();
  });
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) bytes += message.value?.length ?? 0;
      seen += batch.messages.length;
      if (seen >= count) {
        const cpu = process.cpuUsage(cpuAtJoin);
        done({ at: performance.now(), cpuMicros: cpu.user + cpu.system });
      }
    },
  });
  const end = await finished;
  await consumer.disconnect();
  return { rate: count / ((end.at - firstAt) / 1000), bytes, cpuMicros: end.cpuMicros };
}

export function table(rows) {
  const header = ['group', 'measure', 'value', 'unit', 'target'];
  const lines = rows.map((r) => [r.group, r.name, String(r.value), r.unit, r.target]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n');
}
/** The PostgreSQL backends serving these processes' connections, found by their client ports (other benches may share the database). */
export async function postgresBackendsOf(db, pids) {
  let ports = [];
  try {
    const wanted = new Set(pids.map(String));
    ports = execFileSync('ss', ['-tnpH', 'dport', '= :5432'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((m) => wanted.has(m[1])))
      .map((line) => Number(line.trim().split(/\s+/)[3]?.split(':').pop()))
      .filter((port) => port > 0);
  } catch {
    return [];
  }
  if (!ports.length) return [];
  return (await db.query('select pid from pg_stat_activity where client_port = any($1::int[])', [ports])).rows.map((r) => r.pid);
}
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** User + system CPU microseconds so far of each named process (and of this one, under `selfName`). */
export async function cpuSnapshot(processes, selfName = 'autocannon (the bench process)') {
  const out = {};
  for (const p of processes) {
    let us = 0;
    for (const pid of await p.pids()) {
      try {
        // Fields 14 and 15 (utime, stime) after the parenthesised command name.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        us += (Number(fields[11]) + Number(fields[12])) * TICK_US;
      } catch {
        // gone: a pool connection closed
      }
    }
    out[p.name] = us;
  }
  const self = process.cpuUsage();
  out[selfName] = self.user + self.system;
  return out;
}

