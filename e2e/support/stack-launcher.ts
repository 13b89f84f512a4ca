import { ensureTopics } from '@ionet/eventing';
import { TEST_OPS_KEY, createTestSchema, deleteTestTopics, dropTestSchema, testConnections, testKafka, testNamespace, waitFor } from '@ionet/testing';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Directories under services/ that are not HTTP services of the platform. */
const NOT_PLATFORM_SERVICES = new Set(['gateway', 'worker-agent']);
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;
const OUTPUT_LINES_KEPT = 200;

/** Every platform service the repository has today (billing and the others appear as they land). */
export function existingServices(root = REPO_ROOT): string[] {
  const dir = join(root, 'services');
  return readdirSync(dir)
    .filter((name) => !NOT_PLATFORM_SERVICES.has(name) && existsSync(join(dir, name, 'src', 'main.ts')))
    .sort();
}

export interface RunningProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** The last lines the process wrote, shown when it fails. */
  output: string[];
}

export interface RunningStack {
  gatewayUrl: string;
  services: Record<string, string>;
  /** Schema of each service in the test database. */
  schemas: Record<string, string>;
  opsKey: string;
  /** The Kafka topic prefix the whole stack shares (a scenario may publish a context's facts there
   *  itself, standing in for a service that does not exist yet). */
  topicPrefix: string;
  /** The BullMQ and agent-mailbox key prefix the whole stack shares (QUEUE_PREFIX), private to this run. */
  queuePrefix: string;
  has(service: string): boolean;
  /** The output of every process, for a failing test's message. */
  logs(): string;
  /** Stops one service's process (an outage), keeping its schema and port for `startService`. */
  stopService(name: string): Promise<void>;
  /** Starts a stopped service again, as it was (same port, schema and environment). */
  startService(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts every service that exists and the gateway as real processes (their built `dist/main.js`) on
 * the local stack: each service in its own schema of the test database, all of them sharing one
 * Kafka topic prefix private to this run (so they talk to each other and to nobody else). Resolves
 * when every process answers /health/ready; `stop()` sends SIGTERM, waits, and drops what it made.
 */
export async function launchStack(options: LaunchOptions): Promise<RunningStack> {
  try {
    return await launchOnce(options);
  } catch (err) {
    // A free port can be taken by another process between our probe and the service's bind (five
    // engineers and CI share these machines): one more try on fresh ports, and the first failure is shown.
    process.stderr.write(`launching the stack failed once; trying again: ${(err as Error).message}\n`);
    return launchOnce(options);
  }
}

interface LaunchOptions {
  label: string;
  services?: string[];
  env?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

async function launchOnce(options: LaunchOptions): Promise<RunningStack> {
  const services = options.services ?? existingServices();
  const conn = testConnections();
  const ns = testNamespace(options.label);
  const processes: RunningProcess[] = [];
  const schemas: Record<string, string> = {};
  const urls: Record<string, string> = {};
  const launches = new Map<string, { script: string; env: Record<string, string> }>();
  // The embedded chain's state and keys, private to this stack: a chain shared across stacks whose
  // databases are fresh holds the mints of earlier runs (and the same operation ids, so the same bytes).
  const chainDir = mkdtempSync(join(tmpdir(), `${ns.topicPrefix.replace(/[^a-z0-9]+/gi, '-')}chain-`));

  const stop = async () => {
    await Promise.all(processes.map(stopProcess));
    rmSync(chainDir, { recursive: true, force: true });
    await Promise.all(Object.values(schemas).map((schema) => dropTestSchema(schema, conn).catch(() => undefined)));
    await deleteTestTopics(ns.topicPrefix, conn).catch(() => undefined);
    await deleteQueueKeys(ns.queuePrefix, conn.redisUrl).catch(() => undefined);
  };

  try {
    // The topics exist before the services start, as in production: services starting together on a
    // fresh prefix otherwise race to create them, and a service can die on the not-yet-led partitions.
    await ensureTopics(testKafka('ionet-e2e-launcher', conn), { prefix: ns.topicPrefix });
    for (const name of services) {
      const schema = `${ns.schema}_${name}`.slice(0, 63);
      await createTestSchema(schema, conn);
      schemas[name] = schema;
      const port = await freePort();
      const env = {
        NODE_ENV: 'test',
        SERVICE_NAME: name,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
        DATABASE_URL: conn.postgresUrl,
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_MAX: '4',
        REDIS_URL: conn.redisUrl,
        KAFKA_BROKERS: conn.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: ns.topicPrefix,
        // BullMQ queues, job schedulers and the agents' work mailboxes private to this stack: with the
        // default prefix, parallel stacks took each other's scheduled jobs (an invoice run of one
        // stack's period ran against another's database, and its schedule was overwritten).
        QUEUE_PREFIX: ns.queuePrefix,
        OPS_BOOTSTRAP_API_KEY: TEST_OPS_KEY,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        // e2e agents declare simulated GPUs, as under npm start.
        ALLOW_SIMULATED_DEVICES: 'true',
        // The scenarios' webhook receivers listen on 127.0.0.1.
        ...(name === 'webhooks' ? { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } : {}),
        ...(name === 'tokenomics' ? { CHAIN_DATA_DIR: chainDir } : {}),
        ...options.env,
      };
      urls[name] = `http://127.0.0.1:${port}`;
      launches.set(name, { script: join('services', name, 'dist', 'main.js'), env });
      processes.push(startProcess(name, join('services', name, 'dist', 'main.js'), env, urls[name]));
    }
    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    processes.push(
      startProcess(
        'gateway',
        join('services', 'gateway', 'dist', 'main.js'),
        {
          NODE_ENV: 'test',
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(gatewayPort),
          LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
          GATEWAY_UPSTREAMS: Object.entries(urls).map(([name, url]) => `${name}=${url}`).join(','),
          ...options.gatewayEnv,
        },
        gatewayUrl,
      ),
    );
    await Promise.all(processes.map(waitReady));
    await waitFor('every service in the gateway\'s merged OpenAPI document', async () => {
      const doc = (await (await fetch(`${gatewayUrl}/openapi.json`)).json()) as { info: { 'x-ionet-services': { available: string[] } } };
      return services.every((s) => doc.info['x-ionet-services'].available.includes(s)) ? true : undefined;
    }, 30_000, 250);
    return {
      gatewayUrl,
      services: urls,
      schemas,
      opsKey: TEST_OPS_KEY,
      topicPrefix: ns.topicPrefix,
      queuePrefix: ns.queuePrefix,
      has: (service) => services.includes(service),
      logs: () => processes.map((p) => `--- ${p.name}\n${p.output.join('\n')}`).join('\n'),
      stopService: async (name) => {
        const running = processes.find((p) => p.name === name && p.child.exitCode === null && p.child.signalCode === null);
        if (!running) throw new Error(`${name} is not running in this stack`);
        await stopProcess(running);
      },
      startService: async (name) => {
        const launch = launches.get(name);
        if (!launch) throw new Error(`${name} is not a service of this stack`);
        const index = processes.findIndex((p) => p.name === name);
        const started = startProcess(name, launch.script, launch.env, urls[name]);
        processes[index] = started;
        await waitReady(started);
      },
      stop,
    };
  } catch (err) {
    const logs = processes.map((p) => `--- ${p.name}\n${p.output.slice(-40).join('\n')}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
}

function startProcess(name: string, script: string, env: Record<string, string>, url: string): RunningProcess {
  if (!existsSync(join(REPO_ROOT, script))) throw new Error(`${script} is missing: build first (npx tsc -b tsconfig.json)`);
  const child = spawn(process.execPath, [script], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) output.push(line);
    if (output.length > OUTPUT_LINES_KEPT) output.splice(0, output.length - OUTPUT_LINES_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, url, child, output };
}

async function waitReady(p: RunningProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${p.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${p.name} was not ready after ${READY_TIMEOUT_MS} ms`);
}

async function stopProcess(p: RunningProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** A port nobody listens on right now (the OS picks it; the process binds it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Removes this stack's BullMQ queues and agent mailboxes (every key under its private prefix). */
async function deleteQueueKeys(prefix: string, redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
