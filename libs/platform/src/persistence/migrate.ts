import type { DataSource } from 'typeorm';

/** Fixed advisory-lock key: instances of a service starting together migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_263_540_113;

/** Runs pending migrations in one transaction under an advisory lock. Returns the names applied. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
