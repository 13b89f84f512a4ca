import { Inject, Injectable } from '@nestjs/common';
import { merkleLeaves, merkleProof, type MerkleProofStep, type SignedHeartbeat } from '@ionet/agent-protocol';
import { canAccessTenant, CLOCK, CONFIG, PG_POOL, type AuthContext, type Clock } from '@ionet/platform';
import { epochAt, epochEndMs, epochStartMs, resolveGpuModel } from '@ionet/tokenomics';
import type { Pool } from 'pg';
import { decideEligibility, type EligibilityVerdict } from '../domain/eligibility/eligibility';
import { VerificationError } from '../domain/shared/verification.errors';
import type { VerificationConfig } from '../verification.config';
import { ChallengesService } from './challenges.service';
import { DeviceDirectory, type KnownDevice } from './device-directory';
import { signedHeartbeatOf, type StoredHeartbeatRow } from './heartbeat-store';
import { platformMs, platformSync } from './platform-time';

const HOUR_MS = 3_600_000;
const ELIGIBILITY_UPTIME_MS = 5 * HOUR_MS;
const RECENT_CHALLENGES = 10;

export interface LeaseHourDeviceProof {
  deviceId: string;
  agentPublicKey: string | null;
  hourStart: string;
  hourEnd: string;
  verdict: 'verified' | 'violated' | 'pending';
  violation: string | null;
  detail: string | null;
  /** Every heartbeat of the device stamped in the hour, as signed (check each hash, signature and link). */
  heartbeats: SignedHeartbeat[];
  /** The Merkle proof of the hour's last heartbeat (which commits to the chain before it). */
  merkleProof:
    | { status: 'committed'; epoch: number; leaf: string; root: string; algorithm: string; steps: MerkleProofStep[]; chainTransactionSignature: null; chainCommit: string }
    | { status: 'pending'; epoch: number | null; detail: string };
}

@Injectable()
export class VerificationQueries {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: VerificationConfig,
    private readonly directory: DeviceDirectory,
    private readonly challenges: ChallengesService,
  ) {}

  private get epochOneStartMs(): number {
    return Date.parse(this.config.VERIFICATION_EPOCH_ONE_START);
  }

  /** What `ionet-agent status` shows: the chain, uptime, recent challenges, qualification, reputation. */
  async agentView(device: KnownDevice) {
    const now = this.clock.now();
    const chain = (
      await this.pool.query<{ chain_number: number; last_sequence: string; last_hash: string; last_at: Date; last_received_at: Date; online_since: Date; presence: string; heartbeat_count: string }>(
        `select * from heartbeat_chains where device_id = $1`,
        [device.deviceId],
      )
    ).rows[0];
    const uptime = (
      await this.pool.query<{ day: string | null; month: string | null }>(
        `select sum(uptime_ms) filter (where hour_start >= $2) as day, sum(uptime_ms) as month from device_uptime where device_id = $1 and hour_start >= $3`,
        [device.deviceId, new Date(Math.floor((now.getTime() - 24 * HOUR_MS) / HOUR_MS) * HOUR_MS), new Date(Math.floor((now.getTime() - 30 * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS)],
      )
    ).rows[0];
    const verification = (
      await this.pool.query<{
        qualified_at: Date | null;
        disqualified_at: Date | null;
        disqualified_reason: string | null;
        disqualified_detail: string | null;
        consecutive_failures: number;
        proofs_passed: number;
        proofs_failed: number;
        reputation_bps: number | null;
        reputation_at: Date | null;
      }>(`select * from device_verification where device_id = $1`, [device.deviceId])
    ).rows[0];
    const recent = await this.challenges.recent(device.deviceId, RECENT_CHALLENGES);
    const online = chain?.presence === 'online';
    return {
      deviceId: device.deviceId,
      simulated: device.simulated,
      chain: chain
        ? {
            chainNumber: chain.chain_number,
            lastSequence: Number(chain.last_sequence),
            lastHash: chain.last_hash,
            lastHeartbeatAt: chain.last_at.toISOString(),
            lastReceivedAt: chain.last_received_at.toISOString(),
            heartbeatCount: Number(chain.heartbeat_count),
          }
        : null,
      presence: chain ? chain.presence : 'never_seen',
      uptime: {
        currentMs: online ? Math.max(0, now.getTime() - chain.online_since.getTime()) : 0,
        onlineSince: online ? chain.online_since.toISOString() : null,
        last24hMs: Number(uptime?.day ?? 0),
        last30dMs: Number(uptime?.month ?? 0),
        qualifyingUptimeMs: this.config.VERIFICATION_QUALIFY_UPTIME_MS,
        gapToleranceMs: platformMs(this.clock, this.config.VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS),
      },
      challenges: recent.map((c) => ({
        challengeId: c.challenge_id,
        sizedFor: c.sized_for,
        issuedAt: c.issued_at.toISOString(),
        deadlineAt: c.deadline_at.toISOString(),
        verdict: c.status === 'outstanding' ? 'awaiting_result' : c.status,
        reason: c.reason,
        detail: c.detail,
      })),
      qualification: {
        qualified: Boolean(verification?.qualified_at),
        qualifiedAt: verification?.qualified_at?.toISOString() ?? null,
        proofsPassed: verification?.proofs_passed ?? 0,
        proofsFailed: verification?.proofs_failed ?? 0,
        consecutiveFailures: verification?.consecutive_failures ?? 0,
        failuresToDisqualify: this.config.VERIFICATION_FAILURES_TO_DISQUALIFY,
        disqualified: verification?.disqualified_at ? { at: verification.disqualified_at.toISOString(), reason: verification.disqualified_reason, detail: verification.disqualified_detail } : null,
      },
      reputation: verification?.reputation_bps !== null && verification?.reputation_bps !== undefined ? { scoreBps: verification.reputation_bps, at: verification.reputation_at?.toISOString() ?? null } : null,
      ...platformSync(this.clock),
    };
  }

  /** The lease-hour's heartbeat chain per device, its verdict and the Merkle proof of its head. */
  async leaseHourProof(caller: AuthContext, leaseId: string, hourIndex: number): Promise<{ leaseId: string; hourIndex: number; devices: LeaseHourDeviceProof[] }> {
    const lease = (
      await this.pool.query<{ customer_id: string; activated_at: Date | null; end_at: Date | null }>(
        `select customer_id, activated_at, coalesce(least(terminated_at, ends_at), ends_at) as end_at from leases where lease_id = $1`,
        [leaseId],
      )
    ).rows[0];
    const notFound = () => new VerificationError('VERIFICATION.LEASE_HOUR_NOT_FOUND', `no hour ${hourIndex} of lease ${leaseId}`);
    if (!lease?.activated_at || !lease.end_at) throw notFound();
    const slots = (
      await this.pool.query<{ device_id: string; joined_at: Date | null; left_at: Date | null }>(`select device_id, joined_at, left_at from lease_devices where lease_id = $1 order by device_id`, [leaseId])
    ).rows;
    const devices = await Promise.all(slots.map((s) => (/^[0-9a-f-]{36}$/i.test(s.device_id) ? this.directory.byId(s.device_id) : Promise.resolve(undefined))));
    const allowed = canAccessTenant(caller, lease.customer_id) || devices.some((d) => d && canAccessTenant(caller, d.tenantId));
    const hourStart = new Date(lease.activated_at.getTime() + hourIndex * HOUR_MS);
    const hourEnd = new Date(Math.min(hourStart.getTime() + HOUR_MS, lease.end_at.getTime()));
    if (!allowed || hourStart >= lease.end_at) throw notFound();
    const proofs: LeaseHourDeviceProof[] = [];
    for (const [i, slot] of slots.entries()) {
      // The hour is the device's when it held the lease at the hour's start (ADR 0413), up to its leaving.
      if ((slot.joined_at && hourStart < slot.joined_at) || (slot.left_at && hourStart >= slot.left_at)) continue;
      const deviceHourEnd = slot.left_at && slot.left_at < hourEnd ? slot.left_at : hourEnd;
      const device = devices[i];
      const verdict = (await this.pool.query<{ verdict: 'verified' | 'violated'; violation: string | null; detail: string | null }>(
        `select verdict, violation, detail from lease_hour_verdicts where lease_id = $1 and device_id = $2 and hour_index = $3`,
        [leaseId, slot.device_id, hourIndex],
      )).rows[0];
      const rows = device
        ? (await this.pool.query<StoredHeartbeatRow>(`select * from heartbeats where device_id = $1 and at >= $2 and at < $3 order by chain_number, sequence limit 10000`, [device.deviceId, hourStart, deviceHourEnd])).rows
        : [];
      const heartbeats = rows.map(signedHeartbeatOf);
      const head = rows[rows.length - 1];
      proofs.push({
        deviceId: slot.device_id,
        agentPublicKey: device?.agentPublicKey ?? null,
        hourStart: hourStart.toISOString(),
        hourEnd: deviceHourEnd.toISOString(),
        verdict: verdict?.verdict ?? 'pending',
        violation: verdict?.violation ?? null,
        detail: verdict?.detail ?? null,
        heartbeats,
        merkleProof: head ? await this.merkleProofOf(head) : { status: 'pending', epoch: null, detail: 'no heartbeat in this hour' },
      });
    }
    return { leaseId, hourIndex, devices: proofs };
  }

  /** The Merkle proof of one stored heartbeat against its epoch's committed root. */
  async merkleProofOf(row: Pick<StoredHeartbeatRow, 'hash' | 'received_at'>): Promise<LeaseHourDeviceProof['merkleProof']> {
    const epoch = epochAt(row.received_at.getTime(), this.epochOneStartMs);
    const root = (await this.pool.query<{ merkle_root: string; algorithm: string }>(`select merkle_root, algorithm from epoch_roots where epoch = $1`, [epoch])).rows[0];
    if (!root) return { status: 'pending', epoch, detail: `epoch ${epoch}'s root is committed after the epoch ends` };
    const { rows } = await this.pool.query<{ hash: string }>(`select hash from heartbeats where received_at >= $1 and received_at < $2`, [
      new Date(epochStartMs(epoch, this.epochOneStartMs)),
      new Date(epochEndMs(epoch, this.epochOneStartMs)),
    ]);
    const leaves = merkleLeaves(rows.map((r) => r.hash));
    const steps = merkleProof(leaves, row.hash);
    if (!steps) throw new Error(`heartbeat ${row.hash} is missing from epoch ${epoch}'s leaves`);
    return {
      status: 'committed',
      epoch,
      leaf: row.hash,
      root: root.merkle_root,
      algorithm: root.algorithm,
      steps,
      chainTransactionSignature: null,
      chainCommit: 'the on-chain commit of the root comes with the token issue (tokenomics); until then the root is published in EpochProofRootCommitted',
    };
  }

  /** Each eligibility rule's verdict for one ended epoch (an hour). */
  async eligibility(caller: AuthContext, deviceId: string, epoch: number) {
    const device = await this.directory.byId(deviceId);
    if (!device || !canAccessTenant(caller, device.tenantId)) throw new VerificationError('VERIFICATION.DEVICE_NOT_FOUND', `no device ${deviceId}`);
    const now = this.clock.now();
    const current = epochAt(now.getTime(), this.epochOneStartMs);
    if (!Number.isSafeInteger(epoch) || epoch < 1 || epoch >= current) {
      throw new VerificationError('VERIFICATION.EPOCH_INVALID', `epoch must be an ended epoch: 1 to ${current - 1} (epoch ${current} is under way)`, { currentEpoch: current }, 'invalid');
    }
    const start = new Date(epochStartMs(epoch, this.epochOneStartMs));
    const end = new Date(epochEndMs(epoch, this.epochOneStartMs));
    const uptimeMs = Number(
      (await this.pool.query<{ ms: string | null }>(`select sum(uptime_ms) as ms from device_uptime where device_id = $1 and hour_start >= $2 and hour_start < $3`, [deviceId, new Date(end.getTime() - ELIGIBILITY_UPTIME_MS), end])).rows[0]?.ms ?? 0,
    );
    const proof = (await this.pool.query<{ challenge_id: string; status: 'passed' | 'failed'; judged_at: Date }>(
      `select challenge_id, status, judged_at from challenges where device_id = $1 and status <> 'outstanding' and judged_at < $2 order by judged_at desc limit 1`,
      [deviceId, end],
    )).rows[0];
    const verification = (await this.pool.query<{ disqualified_at: Date | null; disqualified_reason: string | null }>(`select disqualified_at, disqualified_reason from device_verification where device_id = $1`, [deviceId])).rows[0];
    const verdict: EligibilityVerdict = decideEligibility({
      uptimeMs,
      requiredUptimeMs: ELIGIBILITY_UPTIME_MS,
      uptimeSlackMs: platformMs(this.clock, this.config.VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS),
      payoutWallet: device.payoutWallet || null,
      multiplierBps: device.deviceClass === 'cpu' || !device.gpuModel ? 10_000 : (resolveGpuModel(device.gpuModel)?.multiplierBps ?? null),
      connectivityTier: device.connectivityTier && device.connectivityTier !== 'unspecified' ? device.connectivityTier : null,
      proofOfWork: proof ? { verdict: proof.status, challengeId: proof.challenge_id, at: proof.judged_at } : null,
      disqualified: verification?.disqualified_at && verification.disqualified_at < end ? verification.disqualified_reason : null,
    });
    return {
      deviceId,
      epoch,
      epochStart: start.toISOString(),
      epochEnd: end.toISOString(),
      eligible: verdict.eligible,
      rules: verdict.rules,
      stake: { status: 'unknown_until_tokenomics', detail: 'the minimum stake and the stake held are recorded by tokenomics, which does not exist yet' },
      reward: { status: 'unknown_until_tokenomics', detail: 'rewards are allocated by tokenomics when it closes the epoch; none is shown until it exists' },
    };
  }
}
