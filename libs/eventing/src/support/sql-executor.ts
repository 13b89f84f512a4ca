import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** The smallest thing the library needs to run SQL: a pg client (or pool), or a TypeORM query
 *  runner through typeOrmSqlExecutor. Inside a transaction, pass the transaction's executor so
 *  state, events, outbox and consumer offsets commit together. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** A transaction handed to consumers: SQL, plus the TypeORM manager when TypeORM runs it. */
export interface EventingTransaction extends SqlExecutor {
  readonly manager?: EntityManager;
}

export interface TransactionRunner {
  transaction<T>(work: (tx: EventingTransaction) => Promise<T>): Promise<T>;
}

export class PgTransactionRunner implements TransactionRunner {
  constructor(private readonly pool: Pool) {
    // A pooled client that loses its server emits 'error'; without a listener Node would crash.
    if (pool.listenerCount('error') === 0) pool.on('error', () => undefined);
  }

  async transaction<T>(work: (tx: EventingTransaction) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost between two statements is reported as an 'error' event on the checked-out
    // client (and as a failure of the next statement): record it instead of crashing the process.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('begin');
      const result = await work(client as unknown as EventingTransaction);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

export function typeOrmSqlExecutor(queryRunner: QueryRunner): EventingTransaction {
  return {
    manager: queryRunner.manager,
    async query<R>(text: string, values?: unknown[]) {
      const result = await queryRunner.query(text, values, true);
      const rows = (Array.isArray(result.records) ? result.records : []) as R[];
      return { rows, rowCount: result.affected ?? rows.length };
    },
  };
}

/** Runs consumer batches in TypeORM transactions, so handlers can use `tx.manager`. */
export class TypeOrmTransactionRunner implements TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  async transaction<T>(work: (tx: EventingTransaction) => Promise<T>): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    try {
      await queryRunner.startTransaction();
      const result = await work(typeOrmSqlExecutor(queryRunner));
      await queryRunner.commitTransaction();
      return result;
    } catch (err) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await queryRunner.release();
    }
  }
}
