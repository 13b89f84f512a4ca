import { createHash } from 'node:crypto';
import type { SqlExecutor } from '../support/sql-executor';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return name;
}

/** sha256 over the table's rows in a canonical form: each row as jsonb text (jsonb orders its keys
 *  itself, and bigint and numeric values stay exact), rows sorted by the given key columns. Two
 *  tables with the same content have the same hash, whatever their names. */
export async function tableStateHash(executor: SqlExecutor, table: string, orderBy: string[]): Promise<{ hash: string; rowCount: number }> {
  assertIdentifier(table);
  orderBy.forEach(assertIdentifier);
  const hash = createHash('sha256');
  let rowCount = 0;
  // Rows are hashed one page at a time so a large projection never sits in memory at once.
  const pageRowsMax = 10_000;
  for (let offset = 0; ; offset += pageRowsMax) {
    const { rows } = await executor.query<{ row: string }>(
      `select to_jsonb(t)::text as row
         from ${table} t order by ${orderBy.join(', ')} limit ${pageRowsMax} offset ${offset}`,
    );
    for (const r of rows) hash.update(r.row).update('\n');
    rowCount += rows.length;
    if (rows.length < pageRowsMax) break;
  }
  return { hash: hash.digest('hex'), rowCount };
}
