#!/usr/bin/env node
// `npm run transcript -- <name> [options]`: runs tools/transcripts/<name>-flow.mjs against a running
// `npm start` and prints its terminal transcript (see each script's header for its options).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(here).filter((f) => f.endsWith('-flow.mjs')).map((f) => f.replace(/-flow\.mjs$/, ''));
const script = name && join(here, `${name}-flow.mjs`);
if (!script || !existsSync(script)) {
  process.stderr.write(`usage: npm run transcript -- <${available.join('|')}> [options]\n`);
  process.exit(2);
}
process.exit(spawnSync(process.execPath, [script, ...rest], { stdio: 'inherit' }).status ?? 1);
