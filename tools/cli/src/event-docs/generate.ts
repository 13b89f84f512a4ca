// `npm run docs:events`: writes docs/events/asyncapi.json and docs/events.md from proto/;
// `npm run docs:events -- --check` fails when either is stale (CI runs it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildEventCatalogue, type DescriptorSetJson } from './event-catalogue';

export const ROOT = resolve(__dirname, '../../../..');
export const ASYNCAPI_PATH = join(ROOT, 'docs/events/asyncapi.json');
export const MARKDOWN_PATH = join(ROOT, 'docs/events.md');

/** The descriptor image of proto/ with its comments (buf includes source info unless told not to). */
export function protoImage(): DescriptorSetJson {
  const buf = join(ROOT, 'node_modules/.bin/buf');
  const json = execFileSync(buf, ['build', 'proto', '--as-file-descriptor-set', '-o', '-#format=json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(json.toString('utf8')) as DescriptorSetJson;
}

export function generatedFiles(): Array<{ path: string; content: string }> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const catalogue = buildEventCatalogue(protoImage(), version);
  return [
    { path: ASYNCAPI_PATH, content: `${JSON.stringify(catalogue.asyncapi, null, 2)}\n` },
    { path: MARKDOWN_PATH, content: catalogue.markdown },
  ];
}

function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const file of generatedFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(file.path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === file.content) continue;
    if (check) stale.push(file.path.slice(ROOT.length + 1));
    else {
      mkdirSync(dirname(file.path), { recursive: true });
      writeFileSync(file.path, file.content);
      process.stdout.write(`wrote ${file.path.slice(ROOT.length + 1)}\n`);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(`stale (run npm run docs:events): ${stale.join(', ')}\n`);
    process.exit(1);
  }
}

if (require.main === module) main();
