import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_BATCH_MAX, heartbeatProblem, type HeartbeatBatchResponse, type SignedHeartbeat } from '@ionet/agent-protocol';
import { CommandHandlers, PgTransactionRunner, causedByRequest, derivedId } from '@ionet/eventing';
import { CLOCK, CONFIG, PG_POOL, ProblemError, type Clock } from '@ionet/platform';
import type { Pool } from 'pg';
import { decideHeartbeatBatch, type ChainHead } from '../domain/heartbeat/heartbeat-batch';
import { VerificationError } from '../domain/shared/verification.errors';
import type { VerificationConfig } from '../verification.config';
import type { KnownDevice } from './device-directory';
import { platformMs, platformSync } from './platform-time';
import { deviceVerificationAggregate } from './verification-aggregates';

interface HeadRow {
  chain_number: number;
  last_sequence: string;
  last_hash: string;
  last_at: Date;
  last_received_at: Date;
  presence: 'online' | 'offline';
}

/** How far ahead of the platform's clock a heartbeat may be stamped (wall ms; the agent estimates
 *  platform time from its last sync, so a little drift is normal). */
const FUTURE_SKEW_WALL_MS = 5 * 60_000;
const HEAD_SELECT = `select chain_number, last_sequence, last_hash, last_at, last_received_at, presence from heartbeat_chains where device_id = $1`;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Heartbeat ingest (ADR 0411): each heartbeat's shape, hash and signature checked in memory, then
 * one transaction per batch: the device's chain head locked, re-sent heartbeats recognised, the
 * rest checked link by link; the heartbeats, the head and the hourly uptime written by one
 * statement. A transition (first heartbeat, back after silence, a new chain)
 * appends its event in the same transaction.
 */
@Injectable()
export class HeartbeatIngestService {
  private readonly transactions: PgTransactionRunner;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: VerificationConfig,
    private readonly handlers: CommandHandlers,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  async ingest(device: KnownDevice, body: unknown, requestId: string): Promise<HeartbeatBatchResponse> {
    const batch = (body as { heartbeats?: unknown } | null)?.heartbeats;
    if (!Array.isArray(batch) || batch.length === 0 || batch.length > HEARTBEAT_BATCH_MAX || Object.keys(body as object).length !== 1) {
      throw new VerificationError('VERIFICATION.BATCH_INVALID', `the body is {heartbeats: [...]} with 1 to ${HEARTBEAT_BATCH_MAX} heartbeats`, {}, 'invalid');
    }
    const now = this.clock.now();
    const latestAllowedMs = now.getTime() + platformMs(this.clock, FUTURE_SKEW_WALL_MS);
    for (const [index, hb] of (batch as SignedHeartbeat[]).entries()) {
      const problem = heartbeatProblem(hb, device.agentPublicKey);
      if (problem) {
        if (problem !== 'malformed') await this.recordRefusal(device.deviceId, hb, problem, now);
        throw new VerificationError('VERIFICATION.HEARTBEAT_INVALID', `heartbeats[${index}]: ${problemText(problem)}`, { index, problem }, 'invalid');
      }
      if (hb.deviceId !== device.deviceId) throw new VerificationError('VERIFICATION.HEARTBEAT_FOREIGN_DEVICE', `heartbeats[${index}] names device ${hb.deviceId}; this agent is device ${device.deviceId}`, { index }, 'invalid');
      if (!RFC3339.test(hb.at)) throw new VerificationError('VERIFICATION.HEARTBEAT_INVALID', `heartbeats[${index}].at must be an RFC 3339 time such as 2026-12-01T10:00:00.000Z`, { index, problem: 'malformed' }, 'invalid');
      if (Date.parse(hb.at) > latestAllowedMs) throw new VerificationError('VERIFICATION.HEARTBEAT_INVALID', `heartbeats[${index}] is stamped ${hb.at}, ahead of the platform's clock (${now.toISOString()})`, { index, problem: 'future' }, 'invalid');
    }
    const heartbeats = batch as SignedHeartbeat[];
    const toleranceMs = platformMs(this.clock, this.config.VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS);
    const result = await this.store(device, heartbeats, toleranceMs, now, requestId).catch((err: unknown) => {
      // The agent resumes from the expected link: named at the top of the problem, as ADR 0400 says.
      if (err instanceof VerificationError && err.code === 'VERIFICATION.CHAIN_BROKEN') {
        throw ProblemError.of('conflict', err.code, err.detail, { expectedSequence: err.context.expectedSequence, expectedPreviousHash: err.context.expectedPreviousHash });
      }
      throw err;
    });
    const head = result.decision.head;
    return {
      accepted: result.decision.accepted.length,
      duplicates: result.decision.duplicates,
      lastSequence: head?.sequence ?? -1,
      lastHash: head?.hash ?? '',
      ...platformSync(this.clock),
    };
  }

  private store(device: KnownDevice, heartbeats: SignedHeartbeat[], toleranceMs: number, now: Date, requestId: string) {
    return this.transactions.transaction(async (tx) => {
      // The head row's lock orders a device's batches; a device's first batch has no row to lock
      // yet, so it takes the device's advisory lock and reads again (once in a device's life).
      let headRow = (await tx.query<HeadRow>(`${HEAD_SELECT} for update`, [device.deviceId])).rows[0];
      if (!headRow) {
        await tx.query(`select pg_advisory_xact_lock(hashtext('ionet.heartbeats'), hashtext($1))`, [device.deviceId]);
        headRow = (await tx.query<HeadRow>(`${HEAD_SELECT} for update`, [device.deviceId])).rows[0];
      }
      const head: ChainHead | undefined = headRow ? { chainNumber: headRow.chain_number, sequence: Number(headRow.last_sequence), hash: headRow.last_hash, at: headRow.last_at } : undefined;
      const resent = head ? heartbeats.filter((h) => h.sequence <= head.sequence).map((h) => h.sequence) : [];
      const stored = new Map<number, string>();
      if (head && resent.length > 0) {
        const { rows } = await tx.query<{ sequence: string; hash: string }>(`select sequence, hash from heartbeats where device_id = $1 and chain_number = $2 and sequence = any($3::bigint[])`, [
          device.deviceId,
          head.chainNumber,
          resent,
        ]);
        for (const r of rows) stored.set(Number(r.sequence), r.hash);
      }
      const decision = decideHeartbeatBatch(head, stored, heartbeats, toleranceMs);
      if (decision.accepted.length === 0) return { decision };
      const first = decision.accepted[0]!;
      const last = decision.head!;
      const wasSilent = !headRow || headRow.presence === 'offline' || now.getTime() - headRow.last_received_at.getTime() > toleranceMs;
      const hours = [...decision.uptimeMsByHour.entries()];
      const { accepted } = decision;
      // One statement for every write of the batch: the heartbeats, the head and the hourly uptime.
      await tx.query(
        `with stored as (
           insert into heartbeats (device_id, chain_number, sequence, hash, previous_hash, at, at_text, lease_id, gpus, process_digest, foreign_process_count, signature, received_at)
           select $1, $2, u.sequence, u.hash, u.previous_hash, u.at_text::timestamptz, u.at_text, u.lease_id, u.gpus, u.process_digest, u.foreign_process_count, u.signature, $3
             from unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::int[], $12::text[])
               as u(sequence, hash, previous_hash, at_text, lease_id, gpus, process_digest, foreign_process_count, signature)
           returning 1
         ), head as (
           insert into heartbeat_chains (device_id, chain_number, last_sequence, last_hash, last_at, last_received_at, first_at, online_since, presence, heartbeat_count)
           values ($1, $2, $13, $14, $15, $3, $16, $3, 'online', $17)
           on conflict (device_id) do update set chain_number = excluded.chain_number, last_sequence = excluded.last_sequence, last_hash = excluded.last_hash,
             last_at = excluded.last_at, last_received_at = excluded.last_received_at, presence = 'online',
             online_since = case when $18 then excluded.last_received_at else heartbeat_chains.online_since end,
             heartbeat_count = heartbeat_chains.heartbeat_count + excluded.heartbeat_count
           returning 1
         ), uptime as (
           insert into device_uptime (device_id, hour_start, uptime_ms)
           select $1, to_timestamp(h / 1000.0), ms from unnest($19::bigint[], $20::bigint[]) as up(h, ms)
           on conflict (device_id, hour_start) do update set uptime_ms = device_uptime.uptime_ms + excluded.uptime_ms
           returning 1
         )
         select (select count(*) from stored) as stored, (select count(*) from head) as head, (select count(*) from uptime) as uptime`,
        [
          device.deviceId,
          decision.chainNumber,
          now,
          accepted.map((h) => h.sequence),
          accepted.map((h) => h.hash),
          accepted.map((h) => h.previousHash),
          accepted.map((h) => h.at),
          accepted.map((h) => h.leaseId),
          accepted.map((h) => JSON.stringify(h.gpus)),
          accepted.map((h) => h.processDigest),
          accepted.map((h) => h.foreignProcessCount),
          accepted.map((h) => h.signature),
          last.sequence,
          last.hash,
          last.at,
          new Date(first.at),
          accepted.length,
          wasSilent,
          hours.map(([h]) => h),
          hours.map(([, ms]) => ms),
        ],
      );
      const cause = causedByRequest(requestId);
      const handler = this.handlers.for(deviceVerificationAggregate);
      if (decision.restart && head) {
        await handler.handle(
          device.deviceId,
          { type: 'RecordChainRestart', deviceId: device.deviceId, previousChainNumber: head.chainNumber, previousLastSequence: head.sequence, previousLastHash: head.hash, previousLastHeartbeatAt: head.at, at: now },
          { ...cause, causationId: derivedId('chain-restart', device.deviceId, String(decision.chainNumber)), deterministic: true },
          { tx },
        );
      }
      if (!headRow || headRow.presence === 'offline') {
        await handler.handle(device.deviceId, { type: 'RecordHeartbeatsResumed', deviceId: device.deviceId, firstHeartbeatAt: new Date(first.at), at: now }, cause, { tx });
      }
      return { decision };
    });
  }

  /** A heartbeat whose hash or signature does not hold, under a valid request signature, is the
   *  agent's own doing: recorded, it fails the lease-hour it falls in (bad_signature). */
  private async recordRefusal(deviceId: string, hb: SignedHeartbeat, problem: string, receivedAt: Date): Promise<void> {
    const at = typeof hb?.at === 'string' && !Number.isNaN(Date.parse(hb.at)) ? new Date(hb.at) : null;
    await this.pool.query(`insert into heartbeat_refusals (device_id, sequence, reason, at, received_at) values ($1, $2, $3, $4, $5)`, [
      deviceId,
      Number.isSafeInteger(hb?.sequence) ? hb.sequence : null,
      problem,
      at,
      receivedAt,
    ]);
  }
}

function problemText(problem: string): string {
  return problem === 'hash_mismatch' ? 'the hash is not the heartbeat\'s hash' : problem === 'bad_signature' ? 'the signature does not hold for this agent\'s key' : 'not a heartbeat (see the protocol\'s shape)';
}
