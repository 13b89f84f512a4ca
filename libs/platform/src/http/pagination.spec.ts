import { ProblemError } from '../errors/problem';
import { decodeCursor, encodeCursor, toPage } from './pagination';

const ID_A = '0190a3c4-0000-7000-8000-00000000000a';
const ID_B = '0190a3c4-0000-7000-8000-00000000000b';

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err instanceof ProblemError ? err.problem : err;
  }
  throw new Error('expected a refusal');
}

describe('cursor pagination', () => {
  it('round-trips a position', () => {
    const cursor = encodeCursor({ createdAt: '2026-11-25T00:00:00.000Z', id: ID_A });
    expect(decodeCursor(cursor, ['createdAt', 'id'])).toEqual({ createdAt: '2026-11-25T00:00:00.000Z', id: ID_A });
  });

  it('refuses a cursor it did not make, with a stable code', () => {
    for (const bad of ['not-base64-json', encodeCursor({ other: 1 }), Buffer.from('[1,2]').toString('base64url'), 'x'.repeat(2_000), 'a+b/c=']) {
      expect(refusal(() => decodeCursor(bad, ['id']))).toMatchObject({ status: 400, code: 'PAGINATION.INVALID_CURSOR' });
    }
  });

  it('refuses ids that are not UUIDs and times PostgreSQL would reject, by the key naming rule', () => {
    const bad = [
      { registeredAt: '2026-11-25T00:00:00.000Z', id: '-'.repeat(36) },
      { registeredAt: '2026-11-25T00:00:00.000Z', id: 'b' },
      { registeredAt: '2026-11-25T00:00:00.000Z', id: 7 },
      { registeredAt: 'yesterday', id: ID_A },
      { registeredAt: '2026-02-30T00:00:00.000Z', id: ID_A },
      { registeredAt: '2026-11-25T24:00:00.000Z', id: ID_A },
      { registeredAt: '+275760-09-13T00:00:00.000Z', id: ID_A },
      { registeredAt: 1_764_000_000_000, id: ID_A },
    ];
    for (const position of bad) {
      expect(refusal(() => decodeCursor(encodeCursor(position as Record<string, string | number>), ['registeredAt', 'id']))).toMatchObject({ code: 'PAGINATION.INVALID_CURSOR' });
    }
  });

  it('checks explicit kinds: integers, and strings free of control characters', () => {
    expect(decodeCursor(encodeCursor({ position: '9007199254740993', name: 'gpu-a' }), { position: 'integer', name: 'string' })).toEqual({ position: '9007199254740993', name: 'gpu-a' });
    expect(refusal(() => decodeCursor(encodeCursor({ position: '1.5', name: 'a' }), { position: 'integer', name: 'string' }))).toMatchObject({ status: 400 });
    expect(refusal(() => decodeCursor(encodeCursor({ position: 1, name: 'a\u0000b' }), { position: 'integer', name: 'string' }))).toMatchObject({ status: 400 });
  });

  it('drops keys it was not asked for', () => {
    const cursor = encodeCursor({ id: ID_A, injected: "'; drop table devices; --" });
    expect(decodeCursor(cursor, ['id'])).toEqual({ id: ID_A });
  });

  it('returns a next cursor only when another page exists', () => {
    const rows = [{ id: ID_A }, { id: ID_B }, { id: '0190a3c4-0000-7000-8000-00000000000c' }];
    expect(toPage(rows, 3, (r) => ({ id: r.id }))).toEqual({ items: rows });
    const page = toPage(rows, 2, (r) => ({ id: r.id }));
    expect(page.items.map((r) => r.id)).toEqual([ID_A, ID_B]);
    expect(decodeCursor(page.nextCursor!, ['id'])).toEqual({ id: ID_B });
  });
});
