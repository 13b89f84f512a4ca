// Small helpers shared by the start and test commands.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const { classifyLine, LEVELS } = require('./log-lines.cjs');

export function run(root, command, args, options = {}) {
  const res = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env, ...options });
  return res.status ?? 1;
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
export function ensureInstalled(root) {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stdout.write('installing dependencies (npm ci)...\n');
  if (run(root, 'npm', ['ci', '--no-audit', '--no-fund']) !== 0) {
    process.stderr.write('npm ci failed\n');
    process.exit(1);
  }
}

/** The development ops key: OPS_BOOTSTRAP_API_KEY, else made once and kept in .local/ops-api-key (outside git). */
export function loadOpsKey(root) {
  if (process.env.OPS_BOOTSTRAP_API_KEY) return process.env.OPS_BOOTSTRAP_API_KEY;
  const file = join(root, '.local', 'ops-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const key = `ionet_ops_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** True once `url` answers 2xx, false after `timeoutMs`. */
export async function waitReady(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Where the children's output goes: pretty, coloured lines through pino-pretty in a terminal; one
 * JSON object per line otherwise (for a log collector). kafkajs's start-up retries of a fresh broker
 * are shown only at LOG_LEVEL=debug, and never as errors.
 */
export async function createLogSink({ pretty, level }) {
  const threshold = LEVELS[level] ?? 30;
  let out = process.stdout;
  if (pretty) {
    const { default: pinoPretty } = await import('pino-pretty');
    out = pinoPretty({
      colorize: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,service,kafkaStartup',
      messageFormat: '{if service}[{service}] {end}{msg}',
      destination: 1,
      sync: true,
    });
  }
  return {
    attach(service, stream) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        const entry = classifyLine(service, line);
        if (entry.text !== undefined) {
          if (entry.text.trim()) process.stdout.write(`${pretty ? `[${service}] ` : ''}${entry.text}\n`);
          return;
        }
        if (entry.levelValue < threshold) return;
        out.write(`${JSON.stringify(entry.record)}\n`);
      });
    },
    close() {
      if (out !== process.stdout) out.end?.();
    },
  };
}
