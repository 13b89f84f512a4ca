#!/usr/bin/env node
// `npm test`: everything CI runs. Brings the local stack up if it is not, then lint, proto checks,
// typecheck, and the unit, integration and e2e layers in one Jest run (one summary at the end).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstalled, run } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
const steps = [];

function step(name, command, args) {
  const started = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const status = run(root, command, args, { env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' } });
  steps.push({ name, status, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  return status;
}

ensureInstalled(root);
if (step('stack', 'node', ['tools/infra/infra.mjs', 'up']) !== 0) finish();
step('lint', 'npx', ['eslint', '--max-warnings=0', '.']);
for (const script of ['proto:lint', 'proto:breaking']) if (scripts[script]) step(script, 'npm', ['run', '--silent', script]);
step('typecheck', 'npx', ['tsc', '-b', 'tsconfig.json']);
const jestArgs = ['jest', '--ci', ...process.argv.slice(2)];
if (existsSync(join(root, 'jest.config.js'))) step('tests (unit, integration, e2e)', 'npx', jestArgs);
finish();

function finish() {
  process.stdout.write('\n=== summary\n');
  for (const s of steps) process.stdout.write(`  ${s.status === 0 ? 'ok  ' : 'FAIL'} ${s.name.padEnd(32)} ${s.seconds}s\n`);
  process.exit(steps.every((s) => s.status === 0) ? 0 : 1);
}
