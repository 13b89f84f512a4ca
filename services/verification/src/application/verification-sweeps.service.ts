import { Inject, Injectable } from '@nestjs/common';
import { heartbeatProblem, MERKLE_ALGORITHM, merkleLeaves, merkleRoot } from '@ionet/agent-protocol';
import { CommandHandlers, PgTransactionRunner, derivedId, type CommandCause } from '@ionet/eventing';
import { CLOCK, CONFIG, LOGGER, PG_POOL, type Clock, type Logger } from '@ionet/platform';
import { epochAt, epochEndMs, epochStartMs } from '@ionet/tokenomics';
import type { Pool } from 'pg';
import { reputationScoreBps } from '../domain/reputation/reputation';
import { proveLeaseHour } from '../domain/time-lock/lease-hour';
import type { VerificationConfig } from '../verification.config';
import { ChallengesService } from './challenges.service';
import { DeviceDirectory } from './device-directory';
import { meanUtilisationBps, signedHeartbeatOf, type StoredHeartbeatRow } from './heartbeat-store';
import { platformMs } from './platform-time';
import { deviceVerificationAggregate, epochProofAggregate, leaseHourAggregate } from './verification-aggregates';

/** Bounds of one sweep run (STYLE.md: a stated limit on every loop): the rest waits for the next run. */
export const SWEEP_BATCH_MAX = 200;
const EPOCHS_PER_RUN_MAX = 24;
const THIRTY_DAYS_MS = 30 * 86_400_000;
const HOUR_MS = 3_600_000;

interface DueHour {
  lease_id: string;
  device_id: string;
  hour_index: number;
  hour_start: Date;
  hour_end: Date;
}

/**
 * The scheduled decisions (run by BullMQ jobs on the injected clock; tests call them directly):
 * silence, challenges to issue and to expire, qualification, lease-hours due, epoch roots,
 * reputation. Each is idempotent: a decision is an event in a stream that refuses a second one.
 */
@Injectable()
export class VerificationSweeps {
  private readonly transactions: PgTransactionRunner;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: VerificationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly handlers: CommandHandlers,
    private readonly challenges: ChallengesService,
    private readonly directory: DeviceDirectory,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  private get toleranceMs(): number {
    return platformMs(this.clock, this.config.VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS);
  }

  /** Online devices silent for longer than the tolerance: AgentHeartbeatsStopped. */
  async detectSilence(): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.pool.query<{ device_id: string; last_at: Date; last_received_at: Date }>(
      `select device_id, last_at, last_received_at from heartbeat_chains where presence = 'online' and last_received_at < $1 order by last_received_at limit $2`,
      [new Date(now.getTime() - this.toleranceMs), SWEEP_BATCH_MAX],
    );
    for (const r of rows) {
      await this.transactions.transaction(async (tx) => {
        const updated = await tx.query(`update heartbeat_chains set presence = 'offline' where device_id = $1 and presence = 'online' and last_received_at = $2`, [r.device_id, r.last_received_at]);
        if (updated.rowCount === 0) return;
        const cause: CommandCause = { correlationId: r.device_id, causationId: derivedId('heartbeats-stopped', r.device_id, r.last_received_at.toISOString()), deterministic: true };
        await this.handlers.for(deviceVerificationAggregate).handle(r.device_id, { type: 'RecordHeartbeatsStopped', deviceId: r.device_id, lastHeartbeatAt: r.last_at, at: now }, cause, { tx });
      });
    }
    return rows.length;
  }

  /** Challenges: pending devices soon after their first heartbeat (again, spaced, after a failure),
   *  qualified idle ones every VERIFICATION_CHALLENGE_EVERY_MS; never to a leased or offline device,
   *  nor while one is outstanding. */
  async issueChallenges(periodKey: string): Promise<number> {
    const now = this.clock.now();
    const retryAfterFailure = new Date(now.getTime() - Math.min(this.config.VERIFICATION_CHALLENGE_EVERY_MS, platformMs(this.clock, 60_000)));
    const { rows } = await this.pool.query<{ device_id: string }>(
      `select c.device_id from heartbeat_chains c
         join registered_devices d on d.device_id = c.device_id
         left join device_verification v on v.device_id = c.device_id
        where c.presence = 'online' and v.disqualified_at is null and d.status <> 'blocked'
          and not exists (select 1 from challenges o where o.device_id = c.device_id and o.status = 'outstanding')
          and not exists (select 1 from lease_devices ld join leases l on l.lease_id = ld.lease_id
                           where ld.device_id = c.device_id::text and l.activated_at <= $1 and coalesce(least(l.terminated_at, l.ends_at), l.ends_at) > $1
                             and coalesce(ld.joined_at, l.activated_at) <= $1 and (ld.left_at is null or ld.left_at > $1))
          and (v.last_challenge_issued_at is null
               or (v.qualified_at is null and v.last_challenge_issued_at <= $2)
               or v.last_challenge_issued_at <= $3)
        order by v.last_challenge_issued_at nulls first limit $4`,
      [now, retryAfterFailure, new Date(now.getTime() - this.config.VERIFICATION_CHALLENGE_EVERY_MS), SWEEP_BATCH_MAX],
    );
    let issued = 0;
    for (const r of rows) {
      const device = await this.directory.byId(r.device_id);
      if (!device) continue;
      try {
        if (await this.challenges.issue(device, periodKey)) issued++;
      } catch (err) {
        this.logger.warn({ deviceId: r.device_id, err: (err as Error).message }, 'issuing a challenge failed; the next sweep retries');
      }
    }
    return issued;
  }

  /** Pending devices with a pass and enough uptime: DeviceQualified. */
  async qualifyPending(): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.pool.query<{ device_id: string }>(
      `select v.device_id from device_verification v join heartbeat_chains c on c.device_id = v.device_id
        where v.qualified_at is null and v.disqualified_at is null and v.proofs_passed > 0 and c.presence = 'online' and c.online_since <= $1
        limit $2`,
      [new Date(now.getTime() - this.config.VERIFICATION_QUALIFY_UPTIME_MS), SWEEP_BATCH_MAX],
    );
    let qualified = 0;
    for (const r of rows) {
      const cause: CommandCause = { correlationId: r.device_id, causationId: r.device_id, deterministic: true };
      if (await this.transactions.transaction((tx) => this.challenges.qualifyIn(tx, r.device_id, now, cause))) qualified++;
    }
    return qualified;
  }

  /** Every lease-hour whose end plus the grace has passed is decided: verified or violated. Each
   *  hour of a slot is decided for one device (ADR 0413): the device holding it at its start, up to
   *  its leaving (a replaced device's last hour ends at the replacement instant); a replacement's
   *  hours start at its first full hour. */
  async decideLeaseHours(): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.pool.query<DueHour>(
      `with l as (select lease_id, activated_at, coalesce(least(terminated_at, ends_at), ends_at) as end_at from leases where activated_at is not null),
       h as (
       select l.lease_id, d.device_id, g.k as hour_index, l.activated_at + g.k * interval '1 hour' as hour_start,
              least(l.activated_at + (g.k + 1) * interval '1 hour', l.end_at, d.left_at) as hour_end
         from l join lease_devices d on d.lease_id = l.lease_id
        cross join lateral generate_series(0, greatest(0, ceil(extract(epoch from (l.end_at - l.activated_at)) / 3600)::int - 1)) as g(k)
        where l.activated_at + g.k * interval '1 hour' < l.end_at
          and (d.joined_at is null or l.activated_at + g.k * interval '1 hour' >= d.joined_at)
          and (d.left_at is null or l.activated_at + g.k * interval '1 hour' < d.left_at))
       select * from h
        where h.hour_end + $1 * interval '1 millisecond' <= $2
          and not exists (select 1 from lease_hour_verdicts v where v.lease_id = h.lease_id and v.device_id = h.device_id and v.hour_index = h.hour_index)
        order by hour_end limit $3`,
      [this.config.VERIFICATION_LEASE_HOUR_GRACE_MS, now, SWEEP_BATCH_MAX],
    );
    for (const due of rows) {
      try {
        await this.decideLeaseHour(due, now);
      } catch (err) {
        this.logger.warn({ leaseId: due.lease_id, deviceId: due.device_id, hour: due.hour_index, err: (err as Error).message }, 'deciding a lease-hour failed; the next sweep retries');
      }
    }
    return rows.length;
  }

  private async decideLeaseHour(due: DueHour, now: Date): Promise<void> {
    const device = /^[0-9a-f-]{36}$/i.test(due.device_id) ? await this.directory.byId(due.device_id) : undefined;
    const rows = device
      ? (
          await this.pool.query<StoredHeartbeatRow>(`select * from heartbeats where device_id = $1 and at >= $2 and at < $3 order by chain_number, sequence limit 100000`, [
            due.device_id,
            due.hour_start,
            due.hour_end,
          ])
        ).rows
      : [];
    const refused = device
      ? Number(
          (
            await this.pool.query<{ n: string }>(`select count(*) as n from heartbeat_refusals where device_id = $1 and coalesce(at, received_at) >= $2 and coalesce(at, received_at) < $3`, [
              due.device_id,
              due.hour_start,
              due.hour_end,
            ])
          ).rows[0]!.n,
        )
      : 0;
    const verdict = proveLeaseHour({
      leaseId: due.lease_id,
      hourStart: due.hour_start,
      hourEnd: due.hour_end,
      gapToleranceMs: this.toleranceMs,
      refusedForSignature: refused,
      heartbeats: rows.map((r) => {
        const hb = signedHeartbeatOf(r);
        return {
          chainNumber: r.chain_number,
          sequence: hb.sequence,
          hash: hb.hash,
          previousHash: hb.previousHash,
          at: r.at,
          leaseId: hb.leaseId,
          foreignProcessCount: hb.foreignProcessCount,
          signatureValid: heartbeatProblem(hb, device!.agentPublicKey) === undefined,
          utilisationBasisPoints: meanUtilisationBps(hb),
        };
      }),
    });
    const ref = { leaseId: due.lease_id, deviceId: due.device_id, hourIndex: due.hour_index, hourStart: due.hour_start, hourEnd: due.hour_end };
    const streamId = derivedId('lease-hour', due.lease_id, due.device_id, String(due.hour_index));
    const cause: CommandCause = { correlationId: due.lease_id, causationId: streamId, deterministic: true };
    await this.transactions.transaction(async (tx) => {
      const result = await this.handlers.for(leaseHourAggregate).handle(streamId, { type: 'DecideLeaseHour', ...ref, verdict, at: now }, cause, { tx });
      const event = result.events[0];
      if (!event) return;
      await tx.query(
        `insert into lease_hour_verdicts (lease_id, device_id, hour_index, hour_start, hour_end, verdict, violation, detail, heartbeat_count, chain_head_hash, decided_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict do nothing`,
        [
          due.lease_id,
          due.device_id,
          due.hour_index,
          due.hour_start,
          due.hour_end,
          event.type === 'TimeLockHourVerified' ? 'verified' : 'violated',
          event.type === 'TimeLockViolated' ? event.violation : null,
          event.type === 'TimeLockViolated' ? event.detail : null,
          event.type === 'TimeLockHourVerified' ? event.heartbeatCount : rows.filter((r) => r.lease_id === due.lease_id).length,
          event.type === 'TimeLockHourVerified' ? event.chainHeadHash : null,
          now,
        ],
      );
      if (event.type === 'TimeLockViolated' && event.violation === 'foreign_process' && device) {
        const disqualified = await this.handlers.for(deviceVerificationAggregate).handle(
          device.deviceId,
          { type: 'ReportForeignWorkload', deviceId: device.deviceId, detail: `lease ${due.lease_id} hour ${due.hour_index}: ${event.detail}`, at: now },
          { ...cause, causationId: derivedId('foreign-workload', streamId) },
          { tx },
        );
        await this.challenges.record(tx, device.deviceId, disqualified.events, now);
      }
    });
  }

  /** Commits the Merkle root of every epoch whose end plus the grace has passed (from the first
   *  epoch with a heartbeat; at most EPOCHS_PER_RUN_MAX per run, the rest on the next). */
  async commitEpochRoots(): Promise<number[]> {
    const now = this.clock.now();
    const oneStartMs = Date.parse(this.config.VERIFICATION_EPOCH_ONE_START);
    const lastClosed = epochAt(now.getTime() - this.config.VERIFICATION_EPOCH_ROOT_GRACE_MS, oneStartMs) - 1;
    const last = (await this.pool.query<{ epoch: string | null }>(`select max(epoch) as epoch from epoch_roots`)).rows[0]?.epoch;
    let next: number;
    if (last !== null && last !== undefined) next = Number(last) + 1;
    else {
      const first = (await this.pool.query<{ at: Date | null }>(`select min(received_at) as at from heartbeats`)).rows[0]?.at;
      if (!first) return [];
      next = epochAt(first.getTime(), oneStartMs);
    }
    const committed: number[] = [];
    for (let epoch = next; epoch <= lastClosed && committed.length < EPOCHS_PER_RUN_MAX; epoch++) {
      const start = new Date(epochStartMs(epoch, oneStartMs));
      const end = new Date(epochEndMs(epoch, oneStartMs));
      const { rows } = await this.pool.query<{ hash: string }>(`select hash from heartbeats where received_at >= $1 and received_at < $2`, [start, end]);
      const leaves = merkleLeaves(rows.map((r) => r.hash));
      const root = merkleRoot(leaves);
      const streamId = derivedId('epoch-proof', String(epoch));
      await this.transactions.transaction(async (tx) => {
        const result = await this.handlers.for(epochProofAggregate).handle(
          streamId,
          { type: 'CommitEpochRoot', epoch, merkleRoot: root, leafCount: leaves.length, algorithm: MERKLE_ALGORITHM, epochStart: start, epochEnd: end, at: now },
          { correlationId: streamId, causationId: streamId, deterministic: true },
          { tx },
        );
        const event = result.events[0];
        if (!event) return;
        await tx.query(
          `insert into epoch_roots (epoch, merkle_root, leaf_count, algorithm, epoch_start, epoch_end, committed_at) values ($1, $2, $3, $4, $5, $6, $7) on conflict (epoch) do nothing`,
          [epoch, event.merkleRoot, event.leafCount, event.algorithm, start, end, event.at],
        );
      });
      committed.push(epoch);
    }
    return committed;
  }

  /** Recomputes reputations (oldest first, bounded) and records the changed ones. */
  async updateReputations(): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.pool.query<{ device_id: string; supplier_id: string; first_at: Date; uptime_ms: string | null; proofs_passed: number | null; proofs_failed: number | null; leases_completed: string }>(
      `select c.device_id, d.supplier_id, c.first_at,
              (select sum(u.uptime_ms) from device_uptime u where u.device_id = c.device_id and u.hour_start >= $1) as uptime_ms,
              v.proofs_passed, v.proofs_failed,
              (select count(*) from lease_devices ld join leases l on l.lease_id = ld.lease_id where ld.device_id = c.device_id::text and ld.left_at is null and l.termination_reason = 'completed') as leases_completed
         from heartbeat_chains c join registered_devices d on d.device_id = c.device_id left join device_verification v on v.device_id = c.device_id
        order by v.reputation_at nulls first limit $2`,
      [new Date(Math.floor((now.getTime() - THIRTY_DAYS_MS) / HOUR_MS) * HOUR_MS), SWEEP_BATCH_MAX * 5],
    );
    let changed = 0;
    for (const r of rows) {
      const windowMs = Math.max(HOUR_MS, Math.min(THIRTY_DAYS_MS, now.getTime() - r.first_at.getTime()));
      const inputs = {
        uptime30dBps: Math.min(10_000, Math.floor((Number(r.uptime_ms ?? 0) * 10_000) / windowMs)),
        proofsPassed: r.proofs_passed ?? 0,
        proofsFailed: r.proofs_failed ?? 0,
        leasesCompleted: Number(r.leases_completed),
      };
      const scoreBps = reputationScoreBps(inputs);
      const cause: CommandCause = { correlationId: r.device_id, causationId: derivedId('reputation', r.device_id, now.toISOString()), deterministic: true };
      await this.transactions.transaction(async (tx) => {
        const result = await this.handlers.for(deviceVerificationAggregate).handle(r.device_id, { type: 'RecordReputation', deviceId: r.device_id, supplierId: r.supplier_id, scoreBps, ...inputs, at: now }, cause, { tx });
        if (result.events.length > 0) changed++;
        await tx.query(
          `insert into device_verification (device_id, reputation_bps, reputation_at) values ($1, $2, $3)
           on conflict (device_id) do update set reputation_bps = excluded.reputation_bps, reputation_at = excluded.reputation_at`,
          [r.device_id, scoreBps, now],
        );
      });
    }
    return changed;
  }
}
