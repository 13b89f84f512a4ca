// `npm run bench -- <name> [--flag=value ...]`: builds the libraries a bench needs, runs it on the
// local stack (`npm run infra -- up`), prints a table and writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const benches = {
  eventing: { build: ['libs/eventing'], module: './eventing.bench.mjs' },
  http: { build: ['libs/eventing', 'services/inventory', 'services/billing', 'services/gateway'], module: './http.bench.mjs' },
  verification: { build: ['libs/eventing', 'libs/agent-protocol', 'services/verification'], module: './verification.bench.mjs' },
  webhooks: { build: ['libs/eventing', 'services/webhooks'], module: './webhooks.bench.mjs' },
  matching: { build: ['libs/eventing', 'services/matching'], module: './matching.bench.mjs' },
  ledger: { build: ['libs/eventing', 'services/ledger'], module: './ledger.bench.mjs' },
  dispatch: { build: ['libs/eventing', 'services/leasing'], module: './dispatch.bench.mjs' },
  chain: { build: ['libs/chain'], module: './chain.bench.mjs' },
};
const [name, ...rest] = process.argv.slice(2);
if (!benches[name]) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--flag=value ...]`);
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-b', ...benches[name].build], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const flags = Object.fromEntries(rest.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')).map(([k, v]) => [k, v ?? 'true']));
const bench = await import(pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), benches[name].module)).href);
await bench.run({ root, flags });
