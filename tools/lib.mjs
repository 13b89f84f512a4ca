// Small helpers shared by the start and test commands.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
