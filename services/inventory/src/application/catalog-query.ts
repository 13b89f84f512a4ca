import { decodeCursor, preparedRead, toPage, type Page } from '@ionet/platform';
import type { DataSource } from 'typeorm';

/** A keyset page of a catalogue view, ordered by (registered_at, <id>), with equality filters.
 *  Filter columns and the view come from code, never from the request; values are parameters. */
export async function catalogPage<Row, Item>(
  dataSource: DataSource,
  query: {
    view: 'suppliers' | 'devices';
    idColumn: 'supplier_id' | 'device_id';
    filters: [column: string, value: unknown][];
    limit: number;
    cursor?: string;
  },
  toItem: (row: Row) => Item,
  positionOf: (item: Item) => { registeredAt: string; id: string },
): Promise<Page<Item>> {
  const params: unknown[] = [];
  const where = query.filters.map(([column, value]) => {
    params.push(value);
    return `${column} = $${params.length}`;
  });
  if (query.cursor) {
    const after = decodeCursor(query.cursor, ['registeredAt', 'id'] as const);
    params.push(after.registeredAt, after.id);
    where.push(`(registered_at, ${query.idColumn}) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(query.limit + 1);
  // A prepared statement per filter combination (a handful): planned once per connection.
  const rows = await preparedRead<Row & object>(
    dataSource,
    `select * from ${query.view} ${where.length ? `where ${where.join(' and ')}` : ''} order by registered_at, ${query.idColumn} limit $${params.length}`,
    params,
  );
  return toPage(rows.map(toItem), query.limit, positionOf);
}
