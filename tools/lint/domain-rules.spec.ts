import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Lints `source` as if it were the file `path` of the repository, with the repository's config. */
function lint(path: string, source: string): { line: number; ruleId: string }[] {
  const result = spawnSync(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', path, '--format', 'json'], {
    cwd: root,
    input: source,
    encoding: 'utf8',
  });
  const [report] = JSON.parse(result.stdout) as [{ messages: { line: number; ruleId: string }[] }];
  return report.messages.map(({ line, ruleId }) => ({ line, ruleId }));
}

const FORBIDDEN = [
  "import { randomUUID } from 'node:crypto';",
  "import { createHash } from 'crypto';",
  "import { DomainError } from '@ionet/platform';",
  "import { EventStore } from '@ionet/eventing';",
  "import { Queue } from 'bullmq';",
  'export const a = new Date();',
  'export const b = Date.now();',
  'export const c = Math.random();',
  'export const d = Date();',
  'export const e = crypto.randomUUID();',
].join('\n');

const ALLOWED = [
  "import { CodedError } from '@ionet/errors';",
  "import { isSolanaAddress } from '@ionet/contracts';",
  "export const at = new Date('2026-12-01T00:00:00Z');",
  'export const copy = (d: Date) => new Date(d.getTime());',
  'export const refs = [CodedError, isSolanaAddress];',
].join('\n');

describe('the domain lint rules (STYLE.md rules 1 and 3)', () => {
  it('forbid ambient time, randomness, crypto, the platform and the event store in a service domain', () => {
    const lines = lint('services/leasing/src/domain/lease/lease.decider.ts', FORBIDDEN)
      .filter((m) => m.ruleId.startsWith('no-restricted-'))
      .map((m) => m.line);
    expect([...new Set(lines)].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  }, 60_000);

  it('allow time from inputs, the error base class and the pure contracts there', () => {
    expect(lint('services/leasing/src/domain/lease/lease.decider.ts', ALLOWED)).toEqual([]);
  }, 60_000);

  it('leave the application layer free to read the clock', () => {
    expect(lint('services/leasing/src/application/open-lease.handler.ts', 'export const now = () => new Date();\n')).toEqual([]);
  }, 60_000);
});
