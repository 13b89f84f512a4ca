#!/usr/bin/env node
// `npm start`: install if needed, bring the local stack up, build, start every service that exists and
// the gateway in front of them, and print the one URL to use. Ctrl+C stops what it started; the stack
// keeps running (`npm run infra -- down`).
//   npm start                  the shared clock runs one hour per minute (CLOCK_RATE=60)
//   npm start -- --wall-clock  the real clock
//   npm start -- --json        JSON logs even in a terminal (they are JSON whenever stdout is not one)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SERVICE_PORTS, infraSettings, serviceDatabaseUrl } from './infra/settings.mjs';
import { createLogSink, ensureInstalled, loadOpsKey, run, waitReady } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const GATEWAY_PORT = Number(process.env.IONET_GATEWAY_PORT ?? 4000);
const CLOCK_RATE = args.has('--wall-clock') ? 1 : Number(process.env.CLOCK_RATE ?? 60);
const clockOrigin = process.env.CLOCK_ORIGIN ?? new Date().toISOString();
const pretty = process.stdout.isTTY === true && !args.has('--json');
const logLevel = process.env.LOG_LEVEL ?? 'info';

ensureInstalled(root);
if (run(root, 'node', ['tools/infra/infra.mjs', 'up']) !== 0) process.exit(1);
if (run(root, 'npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static']) !== 0) process.exit(1);

const opsKey = loadOpsKey(root);
// The topics exist before the services start (as in production): services starting together on a
// fresh broker otherwise race to create them.
{
  const require = createRequire(import.meta.url);
  const { Kafka, logLevel: kafkaLogLevel } = require('kafkajs');
  const { ensureTopics } = require('@ionet/eventing');
  await ensureTopics(new Kafka({ clientId: 'ionet-start', brokers: infraSettings(process.env).kafkaBrokers, logLevel: kafkaLogLevel.NOTHING }));
}
const settings = infraSettings(process.env);
const sink = await createLogSink({ pretty, level: logLevel });
const services = readdirSync(join(root, 'services')).filter((name) => SERVICE_PORTS[name] && existsSync(join(root, 'services', name, 'dist', 'main.js')));
const clockEnv = CLOCK_RATE === 1 ? { CLOCK_RATE: '1' } : { CLOCK_RATE: String(CLOCK_RATE), CLOCK_ORIGIN: clockOrigin };

let stopping = false;
const children = [];
function start(name, script, env) {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', LOG_LEVEL: logLevel, ...env },
  });
  sink.attach(name, child.stdout);
  sink.attach(name, child.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} exited (${signal ?? code}); stopping the others\n`);
      stop(1);
    }
  });
  children.push({ name, child });
}

for (const name of services) {
  start(name, join('services', name, 'dist', 'main.js'), {
    SERVICE_NAME: name,
    HTTP_HOST: process.env.HTTP_HOST ?? '127.0.0.1',
    HTTP_PORT: String(SERVICE_PORTS[name]),
    DATABASE_URL: serviceDatabaseUrl(process.env, name),
    REDIS_URL: settings.redisUrl,
    KAFKA_BROKERS: settings.kafkaBrokers.join(','),
    OPS_BOOTSTRAP_API_KEY: opsKey,
    // The gateway runs here and says who the caller is; each caller then has its own limits.
    HTTP_TRUSTED_PROXIES: '127.0.0.1',
    // The demo's agents run with --simulate-gpus; a deployment leaves this off (the default).
    ALLOW_SIMULATED_DEVICES: 'true',
    ...clockEnv,
    // A local stack posts webhooks to local receivers; production refuses private targets (ADR 0340).
    ...(name === 'webhooks' ? { WEBHOOKS_ALLOW_PRIVATE_TARGETS: process.env.WEBHOOKS_ALLOW_PRIVATE_TARGETS ?? 'true' } : {}),
  });
}
start('gateway', join('services', 'gateway', 'dist', 'main.js'), {
  SERVICE_NAME: 'gateway',
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: String(GATEWAY_PORT),
  GATEWAY_UPSTREAMS: services.map((name) => `${name}=http://127.0.0.1:${SERVICE_PORTS[name]}`).join(','),
});

function stop(code) {
  if (stopping) {
    // A second Ctrl+C does not wait for graceful shutdowns.
    for (const { child } of children) child.kill('SIGKILL');
    return;
  }
  stopping = true;
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map(({ child }) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r))))).then(() => {
    sink.close();
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// A loaded machine can take longer than the default 90 s to boot every service: IONET_START_READY_MS.
const readyMs = Number(process.env.IONET_START_READY_MS ?? 90_000);
const ready = await Promise.all([
  ...services.map((name) => waitReady(`http://127.0.0.1:${SERVICE_PORTS[name]}/health/ready`, readyMs)),
  waitReady(`http://127.0.0.1:${GATEWAY_PORT}/health/ready`, readyMs),
]);
const notReady = [...services, 'gateway'].filter((_, i) => !ready[i]);
if (notReady.length) {
  process.stderr.write(`not ready after the wait: ${notReady.join(', ')}; stopping\n`);
  stop(1);
} else {
  const base = `http://127.0.0.1:${GATEWAY_PORT}`;
  const clock =
    CLOCK_RATE === 1
      ? 'wall clock (real time)'
      : `accelerated: ${CLOCK_RATE === 60 ? 'one hour per minute' : `${CLOCK_RATE}x`} (CLOCK_RATE=${CLOCK_RATE}) from ${clockOrigin}; npm start -- --wall-clock for real time`;
  process.stdout.write(
    `\nionet is running at ${base}\n\n` +
      `  docs       ${base}/docs\n` +
      `  ops key    ${opsKey}   (kept in .local/ops-api-key)\n` +
      `  clock      ${clock}\n` +
      `  services   ${services.join(', ')} behind the gateway\n` +
      `  try        curl -H "authorization: Bearer $(cat .local/ops-api-key)" ${base}/v1/suppliers\n` +
      `  agent      npx ionet-agent join --token <POST /v1/suppliers/{id}/enrollment-tokens> --api ${base} --country DE --simulate-gpus H100x8\n` +
      `             npx ionet-agent run --heartbeat-interval 5   (then npx ionet-agent status)\n` +
      `  Ctrl+C stops the services; npm run infra -- down stops the stack.\n\n`,
  );
}
