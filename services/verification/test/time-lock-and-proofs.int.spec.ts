import { heartbeatHash, heartbeatProblem, merkleLeaves, merkleRoot, verifyMerkleProof, type SignedHeartbeat } from '@ionet/agent-protocol';
import { leasingV1 } from '@ionet/contracts';
import { derivedId } from '@ionet/eventing';
import { ApiKeyService, CLOCK, PG_POOL, type Clock } from '@ionet/platform';
import { deleteTestTopics, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { epochAt, epochEndMs, epochStartMs } from '@ionet/tokenomics';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DeviceDirectory } from '../src/application/device-directory';
import { VerificationSweeps } from '../src/application/verification-sweeps.service';
import type { VerificationConfig } from '../src/verification.config';
import { AGENT_PATHS, agentCall, leaseChainAt, leaseCreatedData, newTestAgent, publishFact, registerDevice, startVerification, type TestAgent } from './support/verification-test-kit';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('verification: Proof of Time-Lock per lease-hour, epoch Merkle roots and eligibility (an hour a wall second)', () => {
  const ns = testNamespace('verification-timelock');
  let svc: RunningTestService<VerificationConfig>;
  let pool: Pool;
  let clock: Clock;
  const a: TestAgent = newTestAgent();
  const b: TestAgent = newTestAgent();
  const leaseId = randomUUID();
  let t0: number;
  let chainA: SignedHeartbeat[];

  beforeAll(async () => {
    svc = await startVerification(ns, {
      CLOCK_RATE: '3600',
      CLOCK_ORIGIN: new Date().toISOString(),
      // 25 wall ms = 90 s of platform time at this rate.
      VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS: '25',
      VERIFICATION_LEASE_HOUR_GRACE_MS: '0',
      VERIFICATION_EPOCH_ROOT_GRACE_MS: '0',
    });
    pool = svc.app.get(PG_POOL);
    clock = svc.app.get(CLOCK);
    await registerDevice(ns.topicPrefix, a);
    await registerDevice(ns.topicPrefix, b);
    await waitFor('devices registered', async () => ((await svc.app.get(DeviceDirectory).byId(a.deviceId)) && (await svc.app.get(DeviceDirectory).byId(b.deviceId)) ? true : undefined));
    t0 = Math.floor(clock.now().getTime() / HOUR) * HOUR - 4 * HOUR;
    await publishFact(ns.topicPrefix, 'leasing', leasingV1.LeaseCreatedSchema, leaseId, leaseCreatedData(leaseId, 'customer-x', [a, b], new Date(t0 - MINUTE)));
    await publishFact(ns.topicPrefix, 'leasing', leasingV1.LeaseActivatedSchema, leaseId, { leaseId, customerId: 'customer-x', activatedAt: timestampFromDate(new Date(t0)), endsAt: timestampFromDate(new Date(t0 + 2 * HOUR)) }, 2n);
    await waitFor('the lease activated in the projection', async () => ((await pool.query(`select 1 from leases where lease_id = $1 and activated_at is not null`, [leaseId])).rowCount ? true : undefined));

    // A: hour 0 every minute; hour 1 every minute but for a silent 11 minutes. One unbroken chain.
    const stamps = [...Array.from({ length: 60 }, (_, i) => t0 + 30_000 + i * MINUTE), ...Array.from({ length: 60 }, (_, i) => t0 + HOUR + 30_000 + i * MINUTE).filter((_, i) => i < 20 || i >= 30)];
    chainA = leaseChainAt(a, leaseId, stamps);
    // B: hour 0 with a foreign process once; nothing in hour 1.
    const chainB = leaseChainAt(b, leaseId, Array.from({ length: 60 }, (_, i) => t0 + 30_000 + i * MINUTE), (i) => (i === 30 ? 1 : 0));
    for (const [agent, chain] of [[a, chainA], [b, chainB]] as const) {
      const res = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.heartbeats, { heartbeats: chain });
      expect(res.body).toMatchObject({ accepted: chain.length, clockRate: 3600 });
    }
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const events = async (streamId: string) => (await pool.query<{ event_type: string }>(`select event_type from events where stream_id = $1 order by version`, [streamId])).rows.map((r) => r.event_type.replace('ionet.verification.v1.', ''));

  it('decides every ended lease-hour once: an unbroken hour verified, a gap, a foreign process and a silent hour violated', async () => {
    const sweeps = svc.app.get(VerificationSweeps);
    expect(await sweeps.decideLeaseHours()).toBe(4);
    expect(await sweeps.decideLeaseHours()).toBe(0);
    const verdicts = await pool.query(`select device_id, hour_index, verdict, violation, heartbeat_count from lease_hour_verdicts where lease_id = $1 order by device_id = $2 desc, hour_index`, [leaseId, a.deviceId]);
    expect(verdicts.rows).toEqual([
      { device_id: a.deviceId, hour_index: 0, verdict: 'verified', violation: null, heartbeat_count: 60 },
      { device_id: a.deviceId, hour_index: 1, verdict: 'violated', violation: 'gap_exceeded', heartbeat_count: 50 },
      { device_id: b.deviceId, hour_index: 0, verdict: 'violated', violation: 'foreign_process', heartbeat_count: 60 },
      { device_id: b.deviceId, hour_index: 1, verdict: 'violated', violation: 'no_heartbeats', heartbeat_count: 0 },
    ]);
    expect(await events(derivedId('lease-hour', leaseId, a.deviceId, '0'))).toEqual(['TimeLockHourVerified']);
    expect(await events(derivedId('lease-hour', leaseId, a.deviceId, '1'))).toEqual(['TimeLockViolated']);
    expect((await events(b.deviceId)).at(-1)).toBe('DeviceDisqualified');
    const dq = await pool.query(`select disqualified_reason from device_verification where device_id = $1`, [b.deviceId]);
    expect(dq.rows[0].disqualified_reason).toBe('foreign_workload');
  });

  it('commits the epoch root over every heartbeat hash, and the lease-hour proof verifies against it', async () => {
    // The epoch of the hour's last heartbeat's receipt (an epoch is a wall second here).
    const head = chainA[59]!;
    const epoch = epochAt((await pool.query(`select received_at from heartbeats where hash = $1`, [head.hash])).rows[0].received_at.getTime());
    await waitFor('the epoch to end (an hour is a wall second here)', () => (clock.now().getTime() >= epochEndMs(epoch) ? true : undefined), 5_000);
    expect(await svc.app.get(VerificationSweeps).commitEpochRoots()).toContain(epoch);
    const root = (await pool.query(`select merkle_root, leaf_count from epoch_roots where epoch = $1`, [epoch])).rows[0];
    // The committed root is the documented tree over every heartbeat received in the epoch.
    const hashes = (await pool.query(`select hash from heartbeats where received_at >= $1 and received_at < $2`, [new Date(epochStartMs(epoch)), new Date(epochEndMs(epoch))])).rows.map((r) => r.hash as string);
    expect(hashes).toContain(head.hash);
    expect(Number(root.leaf_count)).toBe(hashes.length);
    expect(root.merkle_root).toBe(merkleRoot(merkleLeaves(hashes)));
    expect(await events(derivedId('epoch-proof', String(epoch)))).toEqual(['EpochProofRootCommitted']);

    const res = await fetch(`${svc.baseUrl}/v1/proofs/lease-hours/${leaseId}/0`, { headers: { authorization: `Bearer ${svc.opsKey}` } });
    expect(res.status).toBe(200);
    const proof = (await res.json()) as { devices: { deviceId: string; verdict: string; agentPublicKey: string; heartbeats: SignedHeartbeat[]; merkleProof: { status: string; leaf: string; root: string; steps: never[] } }[] };
    const forA = proof.devices.find((d) => d.deviceId === a.deviceId)!;
    expect(forA.verdict).toBe('verified');
    expect(forA.heartbeats).toHaveLength(60);
    // What a third party does: every hash, signature and link holds, and the head is under the root.
    forA.heartbeats.forEach((h, i) => {
      expect(heartbeatHash(h)).toBe(h.hash);
      expect(heartbeatProblem(h, forA.agentPublicKey)).toBeUndefined();
      if (i > 0) expect(h.previousHash).toBe(forA.heartbeats[i - 1]!.hash);
    });
    expect(forA.merkleProof).toMatchObject({ status: 'committed', leaf: forA.heartbeats[59]!.hash, root: root.merkle_root });
    expect(verifyMerkleProof(forA.merkleProof.leaf, forA.merkleProof.steps, root.merkle_root)).toBe(true);
    expect(verifyMerkleProof(forA.heartbeats[0]!.hash, forA.merkleProof.steps, root.merkle_root)).toBe(false);
  });

  it('lets only the lease customer, the devices\' suppliers and ops read a proof', async () => {
    const keys = svc.app.get(ApiKeyService);
    const stranger = (await keys.issue('tenant-stranger', ['supplier'])).key;
    const supplier = (await keys.issue(a.tenantId, ['supplier'])).key;
    const get = (key: string) => fetch(`${svc.baseUrl}/v1/proofs/lease-hours/${leaseId}/0`, { headers: { authorization: `Bearer ${key}` } });
    expect((await get(stranger)).status).toBe(404);
    expect((await get(supplier)).status).toBe(200);
    expect((await fetch(`${svc.baseUrl}/v1/proofs/lease-hours/${leaseId}/5`, { headers: { authorization: `Bearer ${svc.opsKey}` } })).status).toBe(404);
  });

  it('answers each eligibility rule for an ended epoch, stake and reward unknown until tokenomics', async () => {
    const keys = svc.app.get(ApiKeyService);
    const supplier = (await keys.issue(a.tenantId, ['supplier'])).key;
    const epoch = epochAt(t0 + 90 * MINUTE);
    const res = await fetch(`${svc.baseUrl}/v1/devices/${a.deviceId}/eligibility?epoch=${epoch}`, { headers: { authorization: `Bearer ${supplier}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { eligible: string; rules: { rule: string; verdict: string }[]; stake: { status: string }; reward: { status: string } };
    expect(body.eligible).toBe('no');
    expect(body.rules.map((r) => [r.rule, r.verdict])).toEqual([
      ['uptime', 'not_met'],
      ['stake', 'unknown'],
      ['wallet', 'met'],
      ['multiplier', 'met'],
      ['tier', 'met'],
      ['proof_of_work', 'not_met'],
    ]);
    expect(body.stake.status).toBe('unknown_until_tokenomics');
    expect(body.reward.status).toBe('unknown_until_tokenomics');
    const current = epochAt(clock.now().getTime());
    expect((await fetch(`${svc.baseUrl}/v1/devices/${a.deviceId}/eligibility?epoch=${current + 5}`, { headers: { authorization: `Bearer ${supplier}` } })).status).toBe(400);
    const stranger = (await keys.issue('tenant-stranger', ['supplier'])).key;
    expect((await fetch(`${svc.baseUrl}/v1/devices/${a.deviceId}/eligibility?epoch=${epoch}`, { headers: { authorization: `Bearer ${stranger}` } })).status).toBe(404);
  });

  it('scores reputation from uptime, proofs and leases, and publishes ReputationChanged with the score kept for matching', async () => {
    // (At this clock rate the 30-day window moves an hour a second, so scores move between runs;
    // "no event without a change" is the decider's rule, tested there.)
    expect(await svc.app.get(VerificationSweeps).updateReputations()).toBe(2);
    expect((await events(a.deviceId)).filter((e) => e === 'ReputationChanged')).toHaveLength(1);
    const scores = await pool.query(`select device_id, reputation_bps from device_verification where device_id = any($1::uuid[])`, [[a.deviceId, b.deviceId]]);
    for (const row of scores.rows) expect(row.reputation_bps).toBeGreaterThan(0);
  });
});
