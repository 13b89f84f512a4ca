import type { Pool, PoolClient } from 'pg';

export interface EffectRecord {
  effectId: string;
  queue: string;
  jobName: string;
  jobId: string;
}

/** The authoritative "done" record of every side effect. BullMQ's job-id dedupe lapses as soon as
 *  it removes a finished job, so it cannot say whether an effect already happened; this table can.
 *  The claim row is inserted first, in the transaction that carries the effect: a concurrent run of
 *  the same effect waits on the row's key and then finds it done; a failed run rolls it back. */
export async function runEffectOnce(pool: Pool, record: EffectRecord, effect: (tx: PoolClient) => Promise<void>): Promise<'done' | 'already-done'> {
  const tx = await pool.connect();
  try {
    await tx.query('begin');
    const claimed = await tx.query(
      `insert into job_effects (effect_id, queue, job_name, job_id) values ($1, $2, $3, $4) on conflict (effect_id) do nothing`,
      [record.effectId, record.queue, record.jobName, record.jobId],
    );
    if (claimed.rowCount === 0) {
      await tx.query('rollback');
      return 'already-done';
    }
    await effect(tx);
    await tx.query('commit');
    return 'done';
  } catch (err) {
    await tx.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}
