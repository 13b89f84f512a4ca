import { ProblemError } from '../errors/problem';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('cursor pagination', () => {
  it('round-trips a position', () => {
    const cursor = encodeCursor({ createdAt: '2026-11-25T00:00:00.000Z', id: 'a' });
    expect(decodeCursor(cursor, ['createdAt', 'id'])).toEqual({ createdAt: '2026-11-25T00:00:00.000Z', id: 'a' });
  });

  it('refuses a cursor it did not make, with a stable code', () => {
    for (const bad of ['not-base64-json', encodeCursor({ other: 1 }), Buffer.from('[1,2]').toString('base64url')]) {
      try {
        decodeCursor(bad, ['id']);
        throw new Error('expected a refusal');
      } catch (err) {
        expect(err).toBeInstanceOf(ProblemError);
        expect((err as ProblemError).problem).toMatchObject({ status: 400, code: 'PAGINATION.INVALID_CURSOR' });
      }
    }
  });

  it('returns a next cursor only when another page exists', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(toPage(rows, 3, (r) => ({ id: r.id }))).toEqual({ items: rows });
    const page = toPage(rows, 2, (r) => ({ id: r.id }));
    expect(page.items.map((r) => r.id)).toEqual(['a', 'b']);
    expect(decodeCursor(page.nextCursor!, ['id'])).toEqual({ id: 'b' });
  });
});
