import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { testConnections } from './connections';
import { TEST_OPS_KEY } from './service-app';
import { waitFor } from './wait-for';

export interface ServiceProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Resolves with the exit code or signal once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The process's output so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const ROOT = resolve(__dirname, '../../..');

/** Starts a service's main.ts as a real process on the real stack (its own schema and topic
 *  prefix), on a free port, and waits until it answers /health/live. */
export async function startServiceProcess(options: { service: string; schema: string; topicPrefix: string; env?: Record<string, string>; startTimeoutMs?: number }): Promise<ServiceProcess> {
  const conn = testConnections();
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', join(ROOT, 'libs/testing/src/ts-register.cjs'), join(ROOT, 'services', options.service, 'src/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      SERVICE_NAME: options.service,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      DATABASE_URL: conn.postgresUrl,
      DATABASE_SCHEMA: options.schema,
      DATABASE_POOL_MAX: '4',
      REDIS_URL: conn.redisUrl,
      KAFKA_BROKERS: conn.kafkaBrokers.join(','),
      OPS_BOOTSTRAP_API_KEY: TEST_OPS_KEY,
      KAFKA_TOPIC_PREFIX: options.topicPrefix,
      ...options.env,
    },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  let ended = false;
  void exited.then(() => (ended = true));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    `${options.service} answering /health/live`,
    async () => {
      if (ended) throw new Error(`${options.service} exited while starting:\n${output}`);
      const res = await fetch(`${baseUrl}/health/live`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    options.startTimeoutMs ?? 60_000,
    200,
  );
  return {
    baseUrl,
    child,
    exited,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (!ended) child.kill(signal);
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
