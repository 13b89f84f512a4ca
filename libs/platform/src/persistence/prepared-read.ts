import { createHash } from 'node:crypto';
import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import { fastTypeParsers } from './fast-type-parsers';

/** PostgreSQL's "cached plan must not change result type": a view behind the statement changed its
 *  columns (a projection's blue/green swap to a generation with more columns, ADR 0204). */
const RESULT_TYPE_CHANGED = '0A000';

const names = new Map<string, string>();
/** Bumped when a cached plan went stale: every statement is prepared again under a new name. */
let epoch = 0;

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `ionet_read_${epoch}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A read on the service's TypeORM pool as a named prepared statement (ADR 0314): each connection
 * parses and plans the text once, later calls only bind and execute, and no TypeORM query runner is
 * taken per call. The text must come from code (filters chosen by code, values as parameters), so
 * the set of statements is bounded. When a view behind it changes its columns (a projection swap),
 * the statement is prepared again under a new name and the read retried once. Timestamps and
 * 4-byte integers are parsed by the fast parsers (fast-type-parsers.ts: the same values).
 */
export async function preparedRead<R extends QueryResultRow>(dataSource: DataSource, text: string, values: unknown[]): Promise<R[]> {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool || typeof pool.query !== 'function') return (await dataSource.query(text, values)) as R[];
  try {
    return (await pool.query<R>({ name: statementName(text), text, values, types: fastTypeParsers })).rows;
  } catch (err) {
    if ((err as { code?: string }).code !== RESULT_TYPE_CHANGED) throw err;
    epoch += 1;
    names.clear();
    return (await pool.query<R>({ name: statementName(text), text, values, types: fastTypeParsers })).rows;
  }
}
