import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { EventingError, EVENTING_ERROR_CODES } from './eventing-errors';

/** The smallest thing the library needs to run SQL: a pg client (or pool), or a TypeORM query
 *  runner through typeOrmSqlExecutor. Inside a transaction, pass the transaction's executor so
 *  state, events, outbox and consumer offsets commit together. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** A transaction handed to consumers: SQL, plus the TypeORM manager when TypeORM runs it. */
export interface EventingTransaction extends SqlExecutor {
  readonly manager?: EntityManager;
  /** Runs the callback once the transaction committed (not after a rollback); the runners of this
   *  library provide it. EventStore.append registers the relay wake-up here (ADR 0207). */
  afterCommit?(callback: () => void): void;
}

/** Collects afterCommit callbacks of one transaction; each runs once, errors are swallowed (a
 *  callback must not turn a committed transaction into a failure). */
class AfterCommitCallbacks {
  private readonly callbacks = new Set<() => void>();

  add = (callback: () => void): void => {
    this.callbacks.add(callback);
  };

  run(): void {
    for (const callback of this.callbacks) {
      try {
        callback();
      } catch {
        // A failed wake-up only delays publication to the relay's next poll.
      }
    }
  }
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
    const afterCommit = new AfterCommitCallbacks();
    try {
      await client.query('begin');
      // On the client itself (checked out to this transaction only) so it stays a pg Client: the
      // event store runs its append prepared on one.
      const tx = Object.assign(client, { afterCommit: afterCommit.add }) as unknown as EventingTransaction;
      const result = await work(tx);
      // A transaction in which a statement failed (and the caller swallowed the error) is aborted:
      // PostgreSQL answers its COMMIT with ROLLBACK and no error. Nothing was written, so this must
      // not look like success, nor wake relays.
      const commit = await client.query('commit');
      if (commit.command !== 'COMMIT') {
        throw new EventingError(EVENTING_ERROR_CODES.transactionRolledBack, 'the transaction was rolled back at COMMIT: a statement in it failed');
      }
      afterCommit.run();
      return result;
    } catch (err) {
      await client.query('rollback').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    } finally {
      delete (client as { afterCommit?: unknown }).afterCommit;
      client.off('error', onError);
      client.release(broken);
    }
  }
}

export function typeOrmSqlExecutor(queryRunner: QueryRunner, afterCommit?: (callback: () => void) => void): EventingTransaction {
  return {
    manager: queryRunner.manager,
    afterCommit,
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
    const afterCommit = new AfterCommitCallbacks();
    try {
      await queryRunner.startTransaction();
      const result = await work(typeOrmSqlExecutor(queryRunner, afterCommit.add));
      await queryRunner.commitTransaction();
      afterCommit.run();
      return result;
    } catch (err) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await queryRunner.release();
    }
  }
}
