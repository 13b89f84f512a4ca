import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ProblemError } from '../errors/problem';
import { findForbiddenText, isUuid } from './edge-values';

export const PAGE_LIMIT_MAX = 200;
export const PAGE_LIMIT_DEFAULT = 50;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_LIMIT_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/** Opaque keyset cursors: the sort key of the last item, base64url-encoded JSON. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** What a cursor position holds under each key. */
export type CursorKeyKind = 'uuid' | 'timestamp' | 'integer' | 'string';

/** Cursors we issue are small; a longer one is not ours. */
const CURSOR_LENGTH_MAX = 1_024;
const CURSOR_STRING_LENGTH_MAX = 256;
/** RFC 3339 with a four-digit year, as `Date.toISOString()` and PostgreSQL write it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Decodes a cursor and checks every value against its kind, so a forged cursor is a 400
 *  `PAGINATION.INVALID_CURSOR` and never a database error. Given key names only, the kind follows
 *  the naming rule (STYLE.md rule 7): `id` and `...Id` are UUIDs, `...At` are timestamps. */
export function decodeCursor<K extends string>(cursor: string, keys: readonly K[] | Readonly<Record<K, CursorKeyKind>>): Record<K, string | number> {
  const kinds: [K, CursorKeyKind][] = Array.isArray(keys)
    ? (keys as readonly K[]).map((k) => [k, inferKind(k)])
    : (Object.entries(keys) as [K, CursorKeyKind][]);
  try {
    if (typeof cursor !== 'string' || cursor.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw new Error('not base64url');
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (value && typeof value === 'object' && !Array.isArray(value) && kinds.every(([k, kind]) => fitsKind(value[k], kind))) {
      return Object.fromEntries(kinds.map(([k]) => [k, value[k]])) as Record<K, string | number>;
    }
  } catch {
    // falls through to the problem below
  }
  throw ProblemError.of('invalid', 'PAGINATION.INVALID_CURSOR', 'The cursor is not one this API returned.');
}

function inferKind(key: string): CursorKeyKind {
  if (key === 'id' || key.endsWith('Id')) return 'uuid';
  if (key.endsWith('At')) return 'timestamp';
  return 'string';
}

function fitsKind(value: unknown, kind: CursorKeyKind): boolean {
  switch (kind) {
    case 'uuid':
      return isUuid(value);
    case 'timestamp':
      return typeof value === 'string' && RFC3339.test(value) && isRealDate(value);
    case 'integer':
      return (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && /^-?\d{1,19}$/.test(value));
    case 'string':
      return typeof value === 'string' && value.length <= CURSOR_STRING_LENGTH_MAX && findForbiddenText(value, 'text') === undefined;
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled cursor key kind ${String(unhandled)}`);
    }
  }
}

/** `2026-02-30T00:00:00Z` parses in JavaScript (as March 2nd) but not in PostgreSQL. */
function isRealDate(value: string): boolean {
  const time = Date.parse(value);
  if (Number.isNaN(time)) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const hours = Number(value.slice(11, 13));
  const minutes = Number(value.slice(14, 16));
  const seconds = Number(value.slice(17, 19));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hours <= 23 && minutes <= 59 && seconds <= 59;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says that another page exists. */
export function toPage<T>(rows: T[], limit: number, positionOf: (item: T) => Record<string, string | number>): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(positionOf(items[items.length - 1]!)) };
}
