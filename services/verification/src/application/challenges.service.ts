import { Inject, Injectable } from '@nestjs/common';
import type { ChallengeResultResponse, ProofOfWorkChallenge } from '@ionet/agent-protocol';
import { CommandHandlers, PgTransactionRunner, causedByRequest, derivedId, type CommandCause, type EventingTransaction } from '@ionet/eventing';
import { AgentWorkMailbox, CLOCK, CONFIG, PG_POOL, type Clock, type Logger, LOGGER } from '@ionet/platform';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { judgeChallenge, type ChallengeOutcome } from '../domain/challenge/challenge-judge';
import { sizingFor } from '../domain/challenge/proof-of-work-table';
import { expiredChallengeCommand, type DeviceVerificationEvent } from '../domain/device/device-verification.decider';
import { VerificationError } from '../domain/shared/verification.errors';
import type { VerificationConfig } from '../verification.config';
import type { KnownDevice } from './device-directory';
import { platformMs } from './platform-time';
import { proofOfWorkProblemOffThread } from './pow-verifier';
import { deviceVerificationAggregate } from './verification-aggregates';

interface ChallengeRow {
  challenge_id: string;
  device_id: string;
  seed: string;
  difficulty_bits: number;
  memory_mib: number;
  memory_reads: number;
  sized_for: string;
  solve_ms_max: number;
  issued_at: Date;
  deadline_at: Date;
  status: 'outstanding' | 'passed' | 'failed';
  reason: string | null;
  detail: string | null;
}

/** Proof-of-work challenges: issued into the device's work mailbox, judged when the result comes
 *  back (or when the deadline passes), counted towards qualification and disqualification. */
@Injectable()
export class ChallengesService {
  private readonly transactions: PgTransactionRunner;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: VerificationConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly handlers: CommandHandlers,
    private readonly mailbox: AgentWorkMailbox,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  /** Issues a challenge sized for the device's claim, unless one is outstanding. `issueKey`
   *  identifies the decision (the scheduler's period), so a retried run issues nothing twice. */
  async issue(device: KnownDevice, issueKey: string): Promise<ProofOfWorkChallenge | undefined> {
    const now = this.clock.now();
    const { key, sizing } = sizingFor(this.config.VERIFICATION_POW_TABLE, { hasGpu: device.deviceClass === 'gpu' && device.gpuCount > 0, canonicalGpuModel: device.canonicalGpuModel, simulated: device.simulated });
    const challengeId = derivedId('challenge', device.deviceId, issueKey);
    const challenge: ProofOfWorkChallenge = {
      challengeId,
      deviceId: device.deviceId,
      // The seed is the one thing that must be unpredictable: drawn here, recorded in the event.
      seed: randomBytes(32).toString('hex'),
      difficultyBits: sizing.difficultyBits,
      memoryMib: sizing.memoryMib,
      memoryReads: sizing.memoryReads,
      issuedAt: now.toISOString(),
      deadlineAt: new Date(now.getTime() + platformMs(this.clock, sizing.deadlineMs)).toISOString(),
    };
    const cause: CommandCause = { correlationId: challengeId, causationId: challengeId, deterministic: true };
    const issued = await this.transactions.transaction(async (tx) => {
      const result = await this.handlers.for(deviceVerificationAggregate).handle(
        device.deviceId,
        {
          type: 'IssueChallenge',
          deviceId: device.deviceId,
          challengeId,
          seed: challenge.seed,
          difficultyBits: challenge.difficultyBits,
          memoryMib: challenge.memoryMib,
          memoryReads: challenge.memoryReads,
          gpuModel: key,
          simulated: device.simulated,
          issuedAt: now,
          deadlineAt: new Date(challenge.deadlineAt),
          at: now,
        },
        cause,
        { tx },
      );
      const event = result.events[0];
      if (!event || event.type !== 'ChallengeIssued' || result.duplicate) return undefined;
      await tx.query(
        `insert into challenges (challenge_id, device_id, seed, difficulty_bits, memory_mib, memory_reads, sized_for, solve_ms_max, issued_at, deadline_at, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'outstanding') on conflict (challenge_id) do nothing`,
        [challengeId, device.deviceId, event.seed, event.difficultyBits, event.memoryMib, event.memoryReads, key, sizing.solveMsMax, event.issuedAt, event.deadlineAt],
      );
      await tx.query(
        `insert into device_verification (device_id, last_challenge_issued_at) values ($1, $2)
         on conflict (device_id) do update set last_challenge_issued_at = excluded.last_challenge_issued_at`,
        [device.deviceId, now],
      );
      return { ...challenge, seed: event.seed, deadlineAt: event.deadlineAt.toISOString() };
    });
    if (issued) await this.mailbox.post(device.deviceId, { kind: 'challenge', challenge: issued }, Date.now());
    return issued;
  }

  /** Re-posts the outstanding challenges whose mailbox post may have been lost (a crash between
   *  the commit and the post): a post of an existing item changes nothing. */
  async repostOutstanding(limit: number): Promise<number> {
    const { rows } = await this.pool.query<ChallengeRow>(`select * from challenges where status = 'outstanding' order by deadline_at limit $1`, [limit]);
    for (const r of rows) await this.mailbox.post(r.device_id, { kind: 'challenge', challenge: toChallenge(r) }, r.issued_at.getTime());
    return rows.length;
  }

  /** Judges an agent's answer. A second answer to a judged challenge gets the first verdict. */
  async submit(device: KnownDevice, challengeId: string, body: unknown, requestId: string): Promise<ChallengeResultResponse> {
    const receivedAt = this.clock.now();
    const row = await this.challenge(challengeId);
    if (!row || row.device_id !== device.deviceId) throw new VerificationError('VERIFICATION.CHALLENGE_NOT_FOUND', `no challenge ${challengeId} for this device`);
    if (row.status !== 'outstanding') {
      await this.mailbox.acknowledge(device.deviceId, `challenge:${challengeId}`);
      return verdictOf(row);
    }
    const result = body as { nonce?: unknown; memoryDigest?: unknown; solveMs?: unknown } | null;
    if (!result || typeof result !== 'object' || Object.keys(result).some((k) => !['nonce', 'memoryDigest', 'solveMs'].includes(k)) || typeof result.solveMs !== 'number') {
      throw new VerificationError('VERIFICATION.RESULT_INVALID', 'the body is {nonce: "<decimal>", memoryDigest: "<64 hex>", solveMs: <integer>}', {}, 'invalid');
    }
    // The memory walk is recomputed here: its cost is bounded by the memory this verifier chose.
    const problem = receivedAt.getTime() > row.deadline_at.getTime() ? undefined : await proofOfWorkProblemOffThread(toChallenge(row), { nonce: result.nonce as string, memoryDigest: result.memoryDigest as string });
    const outcome = judgeChallenge({ deadlineAt: row.deadline_at, solveMsMax: row.solve_ms_max, sizedFor: row.sized_for }, { problem, solveMs: result.solveMs, receivedAt });
    const judged = await this.judge(device.deviceId, challengeId, outcome, causedByRequest(requestId), receivedAt);
    await this.mailbox.acknowledge(device.deviceId, `challenge:${challengeId}`);
    return judged;
  }

  /** Challenges past their deadline with no answer fail as timed out. */
  async expireOverdue(limit: number): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.pool.query<ChallengeRow>(`select * from challenges where status = 'outstanding' and deadline_at < $1 order by deadline_at limit $2`, [now, limit]);
    for (const r of rows) {
      try {
        await this.transactions.transaction(async (tx) => {
          const locked = (await tx.query<ChallengeRow>(`select * from challenges where challenge_id = $1 for update`, [r.challenge_id])).rows[0];
          if (locked?.status !== 'outstanding') return;
          const command = expiredChallengeCommand(r.device_id, r.challenge_id, r.deadline_at, this.config.VERIFICATION_FAILURES_TO_DISQUALIFY, now);
          const cause: CommandCause = { correlationId: r.challenge_id, causationId: derivedId('challenge-expired', r.challenge_id), deterministic: true };
          const result = await this.handlers.for(deviceVerificationAggregate).handle(r.device_id, command, cause, { tx });
          await this.record(tx, r.device_id, result.events, now);
        });
        await this.mailbox.acknowledge(r.device_id, `challenge:${r.challenge_id}`);
      } catch (err) {
        this.logger.warn({ challengeId: r.challenge_id, err: (err as Error).message }, 'expiring a challenge failed; the next sweep retries');
      }
    }
    return rows.length;
  }

  async recent(deviceId: string, limit: number): Promise<ChallengeRow[]> {
    return (await this.pool.query<ChallengeRow>(`select * from challenges where device_id = $1 order by issued_at desc limit $2`, [deviceId, limit])).rows;
  }

  private async judge(deviceId: string, challengeId: string, outcome: ChallengeOutcome, cause: CommandCause, at: Date): Promise<ChallengeResultResponse> {
    return this.transactions.transaction(async (tx) => {
      const locked = (await tx.query<ChallengeRow>(`select * from challenges where challenge_id = $1 for update`, [challengeId])).rows[0]!;
      if (locked.status !== 'outstanding') return verdictOf(locked);
      const result = await this.handlers.for(deviceVerificationAggregate).handle(
        deviceId,
        { type: 'JudgeChallenge', deviceId, challengeId, outcome, failuresToDisqualify: this.config.VERIFICATION_FAILURES_TO_DISQUALIFY, at },
        cause,
        { tx },
      );
      await this.record(tx, deviceId, result.events, at);
      if (outcome.verdict === 'passed') await this.qualifyIn(tx, deviceId, at, cause);
      return outcome.verdict === 'passed' ? { verdict: 'passed' } : { verdict: 'failed', reason: `${outcome.reason}: ${outcome.detail}` };
    });
  }

  /** Qualifies a pending device whose uptime suffices, inside the caller's transaction. */
  async qualifyIn(tx: EventingTransaction, deviceId: string, at: Date, cause: CommandCause): Promise<boolean> {
    const chain = (await tx.query<{ online_since: Date; presence: string }>(`select online_since, presence from heartbeat_chains where device_id = $1`, [deviceId])).rows[0];
    if (!chain || chain.presence !== 'online') return false;
    const uptimeMs = Math.max(0, at.getTime() - chain.online_since.getTime());
    const result = await this.handlers.for(deviceVerificationAggregate).handle(
      deviceId,
      { type: 'Qualify', deviceId, uptimeMs, requiredUptimeMs: this.config.VERIFICATION_QUALIFY_UPTIME_MS, at },
      { ...cause, causationId: derivedId('qualify', deviceId), deterministic: true },
      { tx },
    );
    if (result.events.length === 0 || result.duplicate) return false;
    await this.record(tx, deviceId, result.events, at);
    return true;
  }

  /** Mirrors a command's events into the queryable rows, in its transaction. */
  async record(tx: EventingTransaction, deviceId: string, events: DeviceVerificationEvent[], at: Date): Promise<void> {
    for (const e of events) {
      switch (e.type) {
        case 'ChallengePassed':
          await tx.query(`update challenges set status = 'passed', solve_ms = $2, judged_at = $3 where challenge_id = $1`, [e.challengeId, e.solveMs, at]);
          await this.upsertCounters(tx, deviceId, `proofs_passed = device_verification.proofs_passed + 1, consecutive_failures = 0`);
          break;
        case 'ChallengeFailed':
          await tx.query(`update challenges set status = 'failed', reason = $2, detail = $3, solve_ms = $4, judged_at = $5 where challenge_id = $1`, [e.challengeId, e.reason, e.detail, e.solveMs, at]);
          await this.upsertCounters(tx, deviceId, `proofs_failed = device_verification.proofs_failed + 1, consecutive_failures = ${Number(e.consecutiveFailures)}`);
          break;
        case 'DeviceDisqualified':
          await tx.query(
            `insert into device_verification (device_id, disqualified_at, disqualified_reason, disqualified_detail) values ($1, $2, $3, $4)
             on conflict (device_id) do update set disqualified_at = excluded.disqualified_at, disqualified_reason = excluded.disqualified_reason, disqualified_detail = excluded.disqualified_detail`,
            [deviceId, e.at, e.reason, e.detail],
          );
          break;
        case 'DeviceQualified':
          await tx.query(`insert into device_verification (device_id, qualified_at) values ($1, $2) on conflict (device_id) do update set qualified_at = excluded.qualified_at`, [deviceId, e.at]);
          break;
        default:
          break;
      }
    }
  }

  private async upsertCounters(tx: EventingTransaction, deviceId: string, set: string): Promise<void> {
    await tx.query(`insert into device_verification (device_id) values ($1) on conflict (device_id) do nothing`, [deviceId]);
    await tx.query(`update device_verification set ${set} where device_id = $1`, [deviceId]);
  }

  private async challenge(challengeId: string): Promise<ChallengeRow | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(challengeId)) return undefined;
    return (await this.pool.query<ChallengeRow>(`select * from challenges where challenge_id = $1`, [challengeId])).rows[0];
  }
}

function toChallenge(r: ChallengeRow): ProofOfWorkChallenge {
  return {
    challengeId: r.challenge_id,
    deviceId: r.device_id,
    seed: r.seed,
    difficultyBits: r.difficulty_bits,
    memoryMib: r.memory_mib,
    memoryReads: r.memory_reads,
    issuedAt: r.issued_at.toISOString(),
    deadlineAt: r.deadline_at.toISOString(),
  };
}

function verdictOf(r: ChallengeRow): ChallengeResultResponse {
  return r.status === 'passed' ? { verdict: 'passed' } : { verdict: 'failed', reason: `${r.reason}: ${r.detail}` };
}
