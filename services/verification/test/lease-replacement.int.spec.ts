import type { SignedHeartbeat } from '@ionet/agent-protocol';
import { Asset, leasingV1 } from '@ionet/contracts';
import { CLOCK, PG_POOL, type Clock } from '@ionet/platform';
import { deleteTestTopics, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DeviceDirectory } from '../src/application/device-directory';
import { VerificationSweeps } from '../src/application/verification-sweeps.service';
import type { VerificationConfig } from '../src/verification.config';
import { AGENT_PATHS, agentCall, leaseChainAt, leaseCreatedData, newTestAgent, publishFact, registerDevice, startVerification, type TestAgent } from './support/verification-test-kit';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('verification: a replaced device\'s hours end at the replacement, the replacement\'s start at its first full hour (ADR 0413)', () => {
  const ns = testNamespace('verification-replacement');
  let svc: RunningTestService<VerificationConfig>;
  let pool: Pool;
  let clock: Clock;
  const failed: TestAgent = newTestAgent();
  const replacement: TestAgent = newTestAgent();
  const leaseId = randomUUID();
  let t0: number;

  beforeAll(async () => {
    svc = await startVerification(ns, {
      CLOCK_RATE: '3600',
      CLOCK_ORIGIN: new Date().toISOString(),
      VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS: '25', // 90 platform seconds
      VERIFICATION_LEASE_HOUR_GRACE_MS: '0',
    });
    pool = svc.app.get(PG_POOL);
    clock = svc.app.get(CLOCK);
    await registerDevice(ns.topicPrefix, failed);
    await registerDevice(ns.topicPrefix, replacement);
    const directory = svc.app.get(DeviceDirectory);
    await waitFor('devices registered', async () => ((await directory.byId(failed.deviceId)) && (await directory.byId(replacement.deviceId)) ? true : undefined));
    t0 = Math.floor(clock.now().getTime() / HOUR) * HOUR - 4 * HOUR;
    await publishFact(ns.topicPrefix, 'leasing', leasingV1.LeaseCreatedSchema, leaseId, leaseCreatedData(leaseId, 'customer-x', [failed], new Date(t0 - MINUTE), 3));
    await publishFact(ns.topicPrefix, 'leasing', leasingV1.LeaseActivatedSchema, leaseId, { leaseId, customerId: 'customer-x', activatedAt: timestampFromDate(new Date(t0)), endsAt: timestampFromDate(new Date(t0 + 3 * HOUR)) }, 2n);
    // The failed device's agent dies at 1:20; matching's replacement lands at 1:25.
    await publishFact(
      ns.topicPrefix,
      'leasing',
      leasingV1.LeaseDeviceReplacedSchema,
      leaseId,
      {
        leaseId,
        failedDeviceId: failed.deviceId,
        replacement: { deviceId: replacement.deviceId, supplierId: replacement.supplierId, gpuCount: 1, pricePerGpuHour: { amountBaseUnits: '1000000', asset: Asset.USDC }, role: 'node' },
        replacedAt: timestampFromDate(new Date(t0 + HOUR + 25 * MINUTE)),
      },
      3n,
    );
    await waitFor('the replacement in the projection', async () => ((await pool.query(`select 1 from lease_devices where lease_id = $1 and device_id = $2`, [leaseId, replacement.deviceId])).rowCount ? true : undefined));

    const everyMinute = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / MINUTE) }, (_, i) => from + 30_000 + i * MINUTE);
    for (const [agent, stamps] of [
      [failed, everyMinute(t0, t0 + HOUR + 20 * MINUTE)],
      [replacement, everyMinute(t0 + HOUR + 26 * MINUTE, t0 + 3 * HOUR)],
    ] as const) {
      const chain = leaseChainAt(agent, leaseId, stamps);
      const res = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.heartbeats, { heartbeats: chain });
      expect(res.body).toMatchObject({ accepted: chain.length });
    }
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  it('decides each hour of the slot once: the failed device up to the replacement instant, the replacement from its first full hour', async () => {
    const sweeps = svc.app.get(VerificationSweeps);
    expect(await sweeps.decideLeaseHours()).toBe(3);
    expect(await sweeps.decideLeaseHours()).toBe(0);
    const verdicts = await pool.query<{ device_id: string; hour_index: number; hour_start: Date; hour_end: Date; verdict: string; violation: string | null }>(
      `select device_id, hour_index, hour_start, hour_end, verdict, violation from lease_hour_verdicts where lease_id = $1 order by hour_index`,
      [leaseId],
    );
    expect(verdicts.rows.map((r) => [r.device_id, r.hour_index, r.hour_start.getTime() - t0, r.hour_end.getTime() - t0, r.verdict, r.violation])).toEqual([
      [failed.deviceId, 0, 0, HOUR, 'verified', null],
      // Cut at the replacement: the agent's silence from 1:20 to 1:25 is the failed device's violation.
      [failed.deviceId, 1, HOUR, HOUR + 25 * MINUTE, 'violated', 'gap_exceeded'],
      // The replacement's partial first hour (1:25-2:00) is not decided, so never a violation.
      [replacement.deviceId, 2, 2 * HOUR, 3 * HOUR, 'verified', null],
    ]);
  });

  it('proves each hour per device over the part it held: the failed device\'s chain cut at the replacement, the replacement absent from its partial hour', async () => {
    const proofOf = async (hour: number) => {
      const res = await fetch(`${svc.baseUrl}/v1/proofs/lease-hours/${leaseId}/${hour}`, { headers: { authorization: `Bearer ${svc.opsKey}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { devices: { deviceId: string; hourStart: string; hourEnd: string; verdict: string; heartbeats: SignedHeartbeat[] }[] }).devices;
    };
    const hour1 = await proofOf(1);
    expect(hour1.map((d) => [d.deviceId, Date.parse(d.hourEnd) - t0, d.verdict, d.heartbeats.length])).toEqual([[failed.deviceId, HOUR + 25 * MINUTE, 'violated', 20]]);
    const hour2 = await proofOf(2);
    expect(hour2.map((d) => [d.deviceId, Date.parse(d.hourStart) - t0, d.verdict, d.heartbeats.length])).toEqual([[replacement.deviceId, 2 * HOUR, 'verified', 60]]);
  });

  it('sends proof-of-work challenges to neither device while it holds a live lease: the replacement from its joining, the failed device again once it left', async () => {
    // A second lease, live now: `replacement` served it first and was replaced by `failed`.
    const live = randomUUID();
    const now = clock.now().getTime();
    await publishFact(ns.topicPrefix, 'leasing', leasingV1.LeaseCreatedSchema, live, leaseCreatedData(live, 'customer-x', [replacement], new Date(now - 2 * HOUR), 10_000));
    await publishFact(ns.topicPrefix, 'leasing', leasingV1.LeaseActivatedSchema, live, { leaseId: live, customerId: 'customer-x', activatedAt: timestampFromDate(new Date(now - HOUR)), endsAt: timestampFromDate(new Date(now + 10_000 * HOUR)) }, 2n);
    await publishFact(
      ns.topicPrefix,
      'leasing',
      leasingV1.LeaseDeviceReplacedSchema,
      live,
      {
        leaseId: live,
        failedDeviceId: replacement.deviceId,
        replacement: { deviceId: failed.deviceId, supplierId: failed.supplierId, gpuCount: 1, pricePerGpuHour: { amountBaseUnits: '1000000', asset: Asset.USDC }, role: 'node' },
        replacedAt: timestampFromDate(new Date(now - 30 * MINUTE)),
      },
      3n,
    );
    await waitFor('the live lease with its replacement in the projection', async () =>
      (await pool.query(`select 1 from lease_devices d join leases l using (lease_id) where d.lease_id = $1 and d.device_id = $2 and l.activated_at is not null`, [live, failed.deviceId])).rowCount ? true : undefined,
    );
    expect(await svc.app.get(VerificationSweeps).issueChallenges('replacement-t1')).toBe(1);
    const challenged = await pool.query<{ device_id: string }>(`select device_id from challenges where device_id in ($1, $2)`, [failed.deviceId, replacement.deviceId]);
    expect(challenged.rows.map((r) => r.device_id)).toEqual([replacement.deviceId]);
  });
});
