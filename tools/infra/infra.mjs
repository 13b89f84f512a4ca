#!/usr/bin/env node
// The local stack: Apache Kafka (KRaft, one broker, from the official jars on Maven Central),
// PostgreSQL and Redis. `up` is idempotent; `down` stops only what `up` started.
//   npm run infra -- up | down | status | reset
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_DATABASES, infraSettings } from './settings.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const settings = infraSettings(process.env);
const local = join(root, '.local');
const kafkaDir = join(local, 'kafka');
const kafkaPidFile = join(kafkaDir, 'kafka.pid');
const kafkaLog = join(kafkaDir, 'kafka.log');
const pgDir = join(local, 'postgres');
const redisDir = join(local, 'redis');
const redisPidFile = join(redisDir, 'redis.pid');
const KAFKA_VERSION = '3.9.1';
const jarsDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ionet', `kafka-${KAFKA_VERSION}`);
const HEALTH_WAIT_MS = 90_000;

const say = (msg) => process.stdout.write(`${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`infra: ${msg}\n`);
  process.exit(1);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file) {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- health probes -------------------------------------------------------------------------

async function kafkaHealthy() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'ionet-infra',
    brokers: settings.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_500,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), 4_000, 'kafka connect');
    const cluster = await withTimeout(admin.describeCluster(), 4_000, 'kafka metadata');
    return { ok: true, detail: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)` };
  } catch (err) {
    return { ok: false, detail: err.message };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function postgresHealthy() {
  const { Client } = require('pg');
  const client = new Client({ connectionString: settings.postgresAdminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query('show server_version');
    return { ok: true, detail: `server ${rows[0].server_version}` };
  } catch (err) {
    return { ok: false, detail: err.message || String(err) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisHealthy() {
  const Redis = require('ioredis');
  const client = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pong = await client.ping();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    return { ok: pong === 'PONG', detail: `server ${version}` };
  } catch (err) {
    return { ok: false, detail: err.message || String(err) };
  } finally {
    client.disconnect();
  }
}

// ---- Kafka -----------------------------------------------------------------------------------

function ensureKafkaJars() {
  const marker = join(jarsDir, '.complete');
  if (existsSync(marker)) return;
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) {
    fail('Maven (mvn) is needed to resolve the Apache Kafka jars: install Maven and JDK 17, or use docker compose up');
  }
  say(`kafka: resolving Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${jarsDir}`);
  mkdirSync(jarsDir, { recursive: true });
  const res = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(root, 'deploy/local/kafka/pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${join(jarsDir, 'libs')}`, '-DincludeScope=runtime'],
    { stdio: 'inherit' },
  );
  if (res.status !== 0) fail('mvn dependency:copy-dependencies failed (see above)');
  writeFileSync(marker, new Date().toISOString());
}

function kafkaClasspath() {
  return `${join(jarsDir, 'libs')}/*`;
}

function writeKafkaConfig() {
  const [host, port] = settings.kafkaBrokers[0].split(':');
  const controllerPort = settings.kafkaControllerPort;
  mkdirSync(kafkaDir, { recursive: true });
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(kafkaDir, 'data')}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'unclean.leader.election.enable=false',
    'log.retention.ms=-1',
    'delete.topic.enable=true',
  ].join('\n');
  writeFileSync(join(kafkaDir, 'server.properties'), `${props}\n`);
  writeFileSync(
    join(kafkaDir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      'log4j.logger.kafka.server.BrokerServer=INFO',
      '',
    ].join('\n'),
  );
}

function java(args, opts = {}) {
  return spawnSync('java', ['-cp', kafkaClasspath(), `-Dlog4j.configuration=file:${join(kafkaDir, 'log4j.properties')}`, ...args], {
    encoding: 'utf8',
    ...opts,
  });
}

function formatKafkaStorage() {
  if (existsSync(join(kafkaDir, 'data', 'meta.properties'))) return;
  // Kafka's cluster id is a UUID in URL-safe base64 without padding.
  const clusterId = randomBytes(16).toString('base64url');
  say(`kafka: formatting storage (cluster ${clusterId})`);
  const res = java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(kafkaDir, 'server.properties'), '--ignore-formatted']);
  if (res.status !== 0) fail(`kafka storage format failed:\n${res.stdout}${res.stderr}`);
}

async function startKafka() {
  const pid = readPid(kafkaPidFile);
  if (pid && pidAlive(pid)) {
    say(`kafka: already started by infra (pid ${pid})`);
  } else {
    const probe = await kafkaHealthy();
    if (probe.ok) {
      say(`kafka: using the broker already answering at ${settings.kafkaBrokers.join(',')} (${probe.detail})`);
      return;
    }
    if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
      fail('a JDK (java 17) is needed to run the Kafka broker: install it, or use docker compose up');
    }
    ensureKafkaJars();
    writeKafkaConfig();
    formatKafkaStorage();
    const out = openSync(kafkaLog, 'a');
    const child = spawn(
      'java',
      [
        `-Xms256m`,
        `-Xmx${settings.kafkaHeap}`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${join(kafkaDir, 'log4j.properties')}`,
        '-cp',
        kafkaClasspath(),
        'kafka.Kafka',
        join(kafkaDir, 'server.properties'),
      ],
      { detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child.unref();
    writeFileSync(kafkaPidFile, `${child.pid}\n`);
    say(`kafka: started pid ${child.pid}, log ${kafkaLog}`);
  }
  const started = Date.now();
  for (;;) {
    const probe = await kafkaHealthy();
    if (probe.ok) {
      say(`kafka: healthy at ${settings.kafkaBrokers.join(',')} after ${Date.now() - started} ms (${probe.detail})`);
      return;
    }
    const current = readPid(kafkaPidFile);
    if (!current || !pidAlive(current)) fail(`kafka exited during start-up; last log lines:\n${tail(kafkaLog, 30)}`);
    if (Date.now() - started > HEALTH_WAIT_MS) fail(`kafka not healthy after ${HEALTH_WAIT_MS} ms: ${probe.detail}\n${tail(kafkaLog, 30)}`);
    await sleep(500);
  }
}

function tail(file, lines) {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function stopByPidFile(name, pidFile, waitMs = 30_000) {
  const pid = readPid(pidFile);
  if (!pid) return false;
  if (pidAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + waitMs;
    while (pidAlive(pid) && Date.now() < deadline) await sleep(200);
    if (pidAlive(pid)) {
      say(`${name}: did not stop in ${waitMs} ms, killing pid ${pid}`);
      process.kill(pid, 'SIGKILL');
      while (pidAlive(pid)) await sleep(100);
    }
    say(`${name}: stopped pid ${pid}`);
  }
  rmSync(pidFile, { force: true });
  return true;
}

// ---- PostgreSQL and Redis ------------------------------------------------------------------

function findPgBin(name) {
  const candidates = [spawnSync('which', [name], { encoding: 'utf8' }).stdout.trim()];
  for (const v of ['17', '16', '15', '14']) candidates.push(`/usr/lib/postgresql/${v}/bin/${name}`);
  return candidates.find((c) => c && existsSync(c));
}

async function startPostgres() {
  const probe = await postgresHealthy();
  if (probe.ok) {
    say(`postgres: using the server at ${redact(settings.postgresAdminUrl)} (${probe.detail})`);
  } else {
    const initdb = findPgBin('initdb');
    const pgCtl = findPgBin('pg_ctl');
    if (!initdb || !pgCtl) {
      fail(`PostgreSQL does not answer at ${redact(settings.postgresAdminUrl)} (${probe.detail}) and no initdb/pg_ctl was found to start one: install PostgreSQL 15+, set IONET_POSTGRES_URL, or use docker compose up`);
    }
    const url = new URL(settings.postgresAdminUrl);
    const asOwner = postgresRunner();
    if (!existsSync(join(pgDir, 'PG_VERSION'))) {
      say(`postgres: initialising a local cluster in ${pgDir}`);
      mkdirSync(pgDir, { recursive: true });
      asOwner.prepare(pgDir);
      const res = asOwner.run(initdb, ['-D', pgDir, '-U', url.username || 'postgres', '--auth=trust', '-E', 'UTF8']);
      if (res.status !== 0) fail(`initdb failed:\n${res.stdout}${res.stderr}`);
    }
    const res = asOwner.run(pgCtl, ['-D', pgDir, '-l', join(pgDir, 'server.log'), '-o', `-p ${url.port || 5432} -k /tmp -c listen_addresses=${url.hostname}`, '-w', 'start']);
    if (res.status !== 0) fail(`pg_ctl start failed:\n${res.stdout}${res.stderr}`);
    writeFileSync(join(local, 'postgres.started'), pgCtl);
    say(`postgres: started a local server from ${pgDir}`);
  }
  await createDatabases();
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` system user when there is one. */
function postgresRunner() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasPostgresUser = isRoot && spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status === 0;
  if (isRoot && !hasPostgresUser) fail('PostgreSQL cannot run as root and there is no `postgres` user to run it as: create one, or point IONET_POSTGRES_URL at a running server');
  return {
    prepare: (dir) => {
      if (hasPostgresUser) spawnSync('chown', ['-R', 'postgres', dir]);
    },
    run: (bin, args) =>
      hasPostgresUser ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' }),
  };
}

async function createDatabases() {
  const { Client } = require('pg');
  const client = new Client({ connectionString: settings.postgresAdminUrl });
  await client.connect();
  try {
    const { rows } = await client.query('select datname from pg_database');
    const existing = new Set(rows.map((r) => r.datname));
    const created = [];
    for (const db of SERVICE_DATABASES) {
      if (!existing.has(db)) {
        await client.query(`create database "${db}"`);
        created.push(db);
      }
    }
    say(`postgres: databases ${SERVICE_DATABASES.join(', ')}${created.length ? ` (created ${created.join(', ')})` : ' (present)'}`);
  } finally {
    await client.end();
  }
}

async function startRedis() {
  const probe = await redisHealthy();
  if (probe.ok) {
    say(`redis: using the server at ${redact(settings.redisUrl)} (${probe.detail})`);
    return;
  }
  const bin = spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) fail(`Redis does not answer at ${redact(settings.redisUrl)} (${probe.detail}) and redis-server was not found: install Redis 7, set IONET_REDIS_URL, or use docker compose up`);
  const url = new URL(settings.redisUrl);
  mkdirSync(redisDir, { recursive: true });
  const res = spawnSync(bin, ['--port', url.port || '6379', '--bind', url.hostname, '--daemonize', 'yes', '--dir', redisDir, '--pidfile', redisPidFile, '--logfile', join(redisDir, 'redis.log')], {
    encoding: 'utf8',
  });
  if (res.status !== 0) fail(`redis-server failed to start:\n${res.stdout}${res.stderr}`);
  for (let i = 0; i < 50 && !(await redisHealthy()).ok; i++) await sleep(100);
  say(`redis: started a local server (pid ${readPid(redisPidFile) ?? '?'})`);
}

function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

// ---- commands --------------------------------------------------------------------------------

async function up() {
  mkdirSync(local, { recursive: true });
  await startPostgres();
  await startRedis();
  await startKafka();
  await status();
}

async function status() {
  const [kafka, postgres, redis] = await Promise.all([kafkaHealthy(), postgresHealthy(), redisHealthy()]);
  const kafkaPid = readPid(kafkaPidFile);
  const rows = [
    ['kafka', settings.kafkaBrokers.join(','), kafka, kafkaPid && pidAlive(kafkaPid) ? `started by infra, pid ${kafkaPid}` : owner(kafka)],
    ['postgres', redact(settings.postgresAdminUrl), postgres, existsSync(join(local, 'postgres.started')) ? 'started by infra' : owner(postgres)],
    ['redis', redact(settings.redisUrl), redis, readPid(redisPidFile) ? 'started by infra' : owner(redis)],
  ];
  say('component  address                                        health     owner                      detail');
  for (const [name, addr, probe, owner] of rows) {
    say(`${name.padEnd(10)} ${addr.padEnd(46)} ${(probe.ok ? 'healthy' : 'DOWN').padEnd(10)} ${owner.padEnd(26)} ${probe.detail}`);
  }
  return rows.every(([, , probe]) => probe.ok);
}

function owner(probe) {
  return probe.ok ? 'external' : '-';
}

async function down() {
  const stoppedKafka = await stopByPidFile('kafka', kafkaPidFile);
  if (!stoppedKafka) say('kafka: not started by infra, nothing to stop');
  if (existsSync(join(local, 'postgres.started'))) {
    const pgCtl = readFileSync(join(local, 'postgres.started'), 'utf8').trim();
    const res = postgresRunner().run(pgCtl, ['-D', pgDir, '-m', 'fast', '-w', 'stop']);
    if (res.status !== 0) say(`postgres: pg_ctl stop failed: ${res.stderr}`);
    rmSync(join(local, 'postgres.started'), { force: true });
    say('postgres: stopped the local server');
  }
  if (!(await stopByPidFile('redis', redisPidFile, 10_000))) say('redis: not started by infra, nothing to stop');
}

async function reset() {
  await down();
  rmSync(join(kafkaDir, 'data'), { recursive: true, force: true });
  say('kafka: data wiped');
  const pg = await postgresHealthy();
  if (pg.ok) {
    const { Client } = require('pg');
    const client = new Client({ connectionString: settings.postgresAdminUrl });
    await client.connect();
    try {
      for (const db of SERVICE_DATABASES) await client.query(`drop database if exists "${db}" with (force)`);
      say(`postgres: dropped ${SERVICE_DATABASES.join(', ')}`);
    } finally {
      await client.end();
    }
  }
  // The embedded chain (tokenomics' default CHAIN_DATA_DIR) goes with the databases that book it.
  rmSync(join(root, '.local', 'chain'), { recursive: true, force: true });
  say('chain: the embedded chain in .local/chain wiped');
  const rd = await redisHealthy();
  if (rd.ok) {
    const Redis = require('ioredis');
    const client = new Redis(settings.redisUrl);
    let deleted = 0;
    for (const pattern of [`${settings.redisKeyPrefix}*`]) {
      const stream = client.scanStream({ match: pattern, count: 1000 });
      for await (const keys of stream) {
        if (keys.length) deleted += await client.del(...keys);
      }
    }
    client.disconnect();
    say(`redis: deleted ${deleted} key(s) under ${settings.redisKeyPrefix}*`);
  }
}

const commands = { up, down, status, reset };
const cmd = process.argv[2];
if (!commands[cmd]) {
  process.stderr.write('usage: npm run infra -- up|down|status|reset\n');
  process.exit(2);
}
const ok = await commands[cmd]();
process.exit(cmd === 'status' && ok === false ? 1 : 0);
