#!/usr/bin/env node
// `npm start`: install if needed, bring the local stack up, build, start every service that exists,
// and say where to look. Ctrl+C stops the services; the stack keeps running (`npm run infra -- down`).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_PORTS, infraSettings, serviceDatabaseUrl } from './infra/settings.mjs';
import { ensureInstalled, run } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HEALTH_WAIT_MS = 60_000;

ensureInstalled(root);
if (run(root, 'node', ['tools/infra/infra.mjs', 'up']) !== 0) process.exit(1);
if (run(root, 'npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static']) !== 0) process.exit(1);

const opsKey = loadOpsKey();
const settings = infraSettings(process.env);
const services = readdirSync(join(root, 'services')).filter((name) => existsSync(join(root, 'services', name, 'dist', 'main.js')) && SERVICE_PORTS[name]);
const children = services.map((name) => {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: join(root, 'services', name),
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      SERVICE_NAME: name,
      HTTP_HOST: process.env.HTTP_HOST ?? '127.0.0.1',
      HTTP_PORT: String(SERVICE_PORTS[name]),
      DATABASE_URL: serviceDatabaseUrl(process.env, name),
      REDIS_URL: settings.redisUrl,
      KAFKA_BROKERS: settings.kafkaBrokers.join(','),
      OPS_BOOTSTRAP_API_KEY: opsKey,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} exited (${signal ?? code}); stopping the others\n`);
      stop(1);
    }
  });
  return { name, child };
});

let stopping = false;
function stop(code) {
  stopping = true;
  for (const { child } of children) child.kill('SIGTERM');
  Promise.all(children.map(({ child }) => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

await Promise.all(services.map((name) => waitReady(name)));
const lines = services.map((name) => {
  const base = `http://127.0.0.1:${SERVICE_PORTS[name]}`;
  return `  ${name.padEnd(12)} ${base}   docs ${base}/docs   openapi ${base}/openapi.json   ready ${base}/health/ready   metrics ${base}/metrics`;
});
process.stdout.write(
  `\nionet is running:\n${lines.join('\n')}\n\n` +
    `  ops API key (Authorization: Bearer ...): ${opsKey}\n` +
    `  try: curl -H "authorization: Bearer ${opsKey}" http://127.0.0.1:${SERVICE_PORTS.inventory}/v1/suppliers\n` +
    `  stack: npm run infra -- status   (Ctrl+C stops the services; npm run infra -- down stops the stack)\n\n`,
);

async function waitReady(name) {
  const url = `http://127.0.0.1:${SERVICE_PORTS[name]}/health/ready`;
  const deadline = Date.now() + HEALTH_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`${name} is not ready after ${HEALTH_WAIT_MS} ms (${url})\n`);
  stop(1);
}

/** A development ops key, made once and kept in .local (outside git). */
function loadOpsKey() {
  if (process.env.OPS_BOOTSTRAP_API_KEY) return process.env.OPS_BOOTSTRAP_API_KEY;
  const file = join(root, '.local', 'ops-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const key = `ionet_ops_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
