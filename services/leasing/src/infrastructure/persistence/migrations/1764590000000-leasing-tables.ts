import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Leasing's rows beside its lease streams: the agents' log chunks per job (too many to be events). */
export class LeasingTables1764590000000 implements MigrationInterface {
  name = 'LeasingTables1764590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table job_logs (
        job_id text not null,
        sequence bigint not null,
        lease_id text not null,
        device_id text not null,
        stream text not null check (stream in ('stdout', 'stderr')),
        text text not null,
        reported_at timestamptz not null,
        primary key (job_id, sequence)
      )`);
    await q.query(`create index job_logs_lease_device on job_logs (lease_id, device_id, reported_at, job_id, sequence)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table job_logs`);
  }
}
