import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Verification's own state beside its event streams: heartbeat chains (too many to be events),
 *  uptime, challenges, lease-hour verdicts and epoch roots as queryable rows (ADR 0410, 0411). */
export class VerificationTables1764579600000 implements MigrationInterface {
  name = 'VerificationTables1764579600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table heartbeat_chains (
        device_id uuid primary key,
        chain_number int not null,
        last_sequence bigint not null,
        last_hash text not null,
        last_at timestamptz not null,
        last_received_at timestamptz not null,
        first_at timestamptz not null,
        online_since timestamptz not null,
        presence text not null check (presence in ('online', 'offline')),
        heartbeat_count bigint not null
      )`);
    await q.query(`create index heartbeat_chains_presence_idx on heartbeat_chains (presence, last_received_at)`);
    await q.query(`
      create table heartbeats (
        device_id uuid not null,
        chain_number int not null,
        sequence bigint not null,
        hash text not null,
        previous_hash text not null,
        at timestamptz not null,
        -- As the agent wrote it: the hash covers the text, not the instant.
        at_text text not null,
        lease_id text,
        gpus jsonb not null,
        process_digest text not null,
        foreign_process_count int not null,
        signature text not null,
        received_at timestamptz not null,
        primary key (device_id, chain_number, sequence)
      )`);
    await q.query(`create index heartbeats_received_at_idx on heartbeats (received_at)`);
    await q.query(`create index heartbeats_device_at_idx on heartbeats (device_id, at)`);
    await q.query(`
      create table heartbeat_refusals (
        device_id uuid not null,
        sequence bigint,
        reason text not null,
        at timestamptz,
        received_at timestamptz not null
      )`);
    await q.query(`create index heartbeat_refusals_device_idx on heartbeat_refusals (device_id, received_at)`);
    await q.query(`
      create table device_uptime (
        device_id uuid not null,
        hour_start timestamptz not null,
        uptime_ms bigint not null,
        primary key (device_id, hour_start)
      )`);
    await q.query(`
      create table challenges (
        challenge_id uuid primary key,
        device_id uuid not null,
        seed text not null,
        difficulty_bits int not null,
        memory_mib int not null,
        memory_reads int not null,
        sized_for text not null,
        solve_ms_max int not null,
        issued_at timestamptz not null,
        deadline_at timestamptz not null,
        status text not null check (status in ('outstanding', 'passed', 'failed')),
        reason text,
        detail text,
        solve_ms int,
        judged_at timestamptz
      )`);
    await q.query(`create index challenges_device_idx on challenges (device_id, issued_at desc)`);
    await q.query(`create index challenges_outstanding_idx on challenges (deadline_at) where status = 'outstanding'`);
    await q.query(`
      create table device_verification (
        device_id uuid primary key,
        qualified_at timestamptz,
        disqualified_at timestamptz,
        disqualified_reason text,
        disqualified_detail text,
        consecutive_failures int not null default 0,
        proofs_passed int not null default 0,
        proofs_failed int not null default 0,
        last_challenge_issued_at timestamptz,
        reputation_bps int,
        reputation_at timestamptz
      )`);
    await q.query(`
      create table lease_hour_verdicts (
        lease_id text not null,
        device_id text not null,
        hour_index int not null,
        hour_start timestamptz not null,
        hour_end timestamptz not null,
        verdict text not null check (verdict in ('verified', 'violated')),
        violation text,
        detail text,
        heartbeat_count int not null,
        chain_head_hash text,
        decided_at timestamptz not null,
        primary key (lease_id, device_id, hour_index)
      )`);
    await q.query(`
      create table epoch_roots (
        epoch bigint primary key,
        merkle_root text not null,
        leaf_count bigint not null,
        algorithm text not null,
        epoch_start timestamptz not null,
        epoch_end timestamptz not null,
        committed_at timestamptz not null
      )`);
    await q.query(`
      create table agent_jobs (
        job_id text primary key,
        device_id uuid not null,
        lease_id text not null,
        first_reported_at timestamptz not null
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['agent_jobs', 'epoch_roots', 'lease_hour_verdicts', 'device_verification', 'challenges', 'device_uptime', 'heartbeat_refusals', 'heartbeats', 'heartbeat_chains']) await q.query(`drop table ${t}`);
  }
}
