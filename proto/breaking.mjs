// `npm run proto:breaking`: buf breaking against the base branch (main unless
// IONET_PROTO_BASE_BRANCH is set). When the base branch has no contracts yet there is nothing
// to break, so the check passes and says so; a missing base branch is an error, never a pass.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const branch = process.env.IONET_PROTO_BASE_BRANCH ?? 'main';

const git = (...args) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();

try {
  git('rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
} catch {
  console.error(`proto:breaking: no local branch "${branch}" to compare with (CI: fetch it, e.g. git fetch origin ${branch}:${branch})`);
  process.exit(1);
}

const baseProtos = git('ls-tree', '-r', '--name-only', branch, '--', 'proto').split('\n').filter((f) => f.endsWith('.proto'));
if (baseProtos.length === 0) {
  console.log(`proto:breaking: branch "${branch}" has no .proto files yet; nothing to compare, passing.`);
  process.exit(0);
}

const buf = path.join(repoRoot, 'node_modules', '.bin', 'buf');
const result = spawnSync(buf, ['breaking', 'proto', '--against', `.git#branch=${branch},subdir=proto`], { cwd: repoRoot, stdio: 'inherit' });
if (result.status === 0) console.log(`proto:breaking: no breaking change against "${branch}" (${baseProtos.length} files compared).`);
process.exit(result.status ?? 1);
