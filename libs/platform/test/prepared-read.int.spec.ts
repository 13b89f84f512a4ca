import { createTestSchema, dropTestSchema, testConnections, testNamespace } from '@ionet/testing';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { preparedRead } from '../src/persistence/prepared-read';

/** Reads as named prepared statements on TypeORM's pool (ADR 0314), across a projection's swap of
 *  the view behind them (ADR 0204), on the real PostgreSQL. */
describe('preparedRead', () => {
  const ns = testNamespace('prepared-read');
  let dataSource: DataSource;

  beforeAll(async () => {
    await createTestSchema(ns.schema);
    dataSource = new DataSource({ type: 'postgres', url: testConnections().postgresUrl, schema: ns.schema, extra: { max: 2, options: `-c search_path=${ns.schema}` } });
    await dataSource.initialize();
    await dataSource.query(`create table things__g1 (id int primary key, name text not null)`);
    await dataSource.query(`insert into things__g1 values (1, 'one'), (2, 'two')`);
    await dataSource.query(`create view things as select * from things__g1`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropTestSchema(ns.schema);
  });

  const read = () => preparedRead<{ id: number; name: string }>(dataSource, `select * from things where id >= $1 order by id`, [1]);

  it('answers as a plain query, prepared once per connection', async () => {
    for (let i = 0; i < 4; i++) expect(await read()).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
    // pg_prepared_statements is per session: hold both pooled connections and look in each.
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    try {
      const statements = (await Promise.all(clients.map((c) => c.query<{ statement: string }>(`select statement from pg_prepared_statements`)))).flatMap((r) => r.rows);
      expect(statements.map((s) => s.statement)).toContain(`select * from things where id >= $1 order by id`);
    } finally {
      for (const c of clients) c.release();
    }
  });

  it('follows a swap to a generation with more columns (PostgreSQL refuses the stale plan; the read is prepared again)', async () => {
    expect(await read()).toHaveLength(2);
    await dataSource.query(`create table things__g2 (id int primary key, name text not null, colour text not null default 'red')`);
    await dataSource.query(`insert into things__g2 (id, name) values (1, 'one'), (2, 'two'), (3, 'three')`);
    await dataSource.query(`create or replace view things as select * from things__g2`);
    // Every pooled connection that held the old plan answers the new shape.
    for (let i = 0; i < 4; i++) expect(await read()).toEqual([1, 2, 3].map((id) => ({ id, name: ['one', 'two', 'three'][id - 1], colour: 'red' })));
  });

  it('passes database errors through', async () => {
    await expect(preparedRead(dataSource, `select * from no_such_table where id = $1`, [1])).rejects.toMatchObject({ code: '42P01' });
  });
});
