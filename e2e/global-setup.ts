import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import testingGlobalSetup from '../libs/testing/src/global-setup';
import { REPO_ROOT, existingServices } from './support/stack-launcher';

/** The e2e layer runs the built services as processes: find the stack, then bring every service's
 *  dist/ up to date once (incremental; a no-op after `npm test`'s typecheck), before any file starts one. */
export default async function globalSetup(): Promise<void> {
  await testingGlobalSetup();
  // The worker agent is no platform service, but its process tests spawn the built CLI.
  const projects = [...existingServices(), 'gateway', 'worker-agent'].map((name) => join('services', name, 'tsconfig.json'));
  const build = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-b', ...projects], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`building the services for e2e failed (tsc -b ${projects.join(' ')})`);
}
