import { GENESIS_HASH, signAgentRequest, type SignedHeartbeat } from '@ionet/agent-protocol';
import { PG_POOL } from '@ionet/platform';
import { deleteTestTopics, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Pool } from 'pg';
import { DeviceDirectory } from '../src/application/device-directory';
import { VerificationSweeps } from '../src/application/verification-sweeps.service';
import type { VerificationConfig } from '../src/verification.config';
import { AGENT_PATHS, agentCall, heartbeatChain, newTestAgent, registerDevice, startVerification, type TestAgent } from './support/verification-test-kit';

describe('verification: signed heartbeats on real Kafka, PostgreSQL and Redis', () => {
  const ns = testNamespace('verification-heartbeats');
  let svc: RunningTestService<VerificationConfig>;
  let pool: Pool;
  const agent: TestAgent = newTestAgent();
  let chain: SignedHeartbeat[] = [];

  beforeAll(async () => {
    svc = await startVerification(ns, { VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS: '1500', VERIFICATION_UNKNOWN_DEVICE_GRACE_MS: '1500' });
    pool = svc.app.get(PG_POOL);
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const events = async (streamId: string) => (await pool.query<{ event_type: string }>(`select event_type from events where stream_id = $1 order by version`, [streamId])).rows.map((r) => r.event_type.replace('ionet.verification.v1.', ''));
  const post = (a: TestAgent, heartbeats: SignedHeartbeat[]) => agentCall(svc.baseUrl, a.key, 'POST', AGENT_PATHS.heartbeats, { heartbeats });

  it('answers an agent whose enrollment has not arrived yet with a retryable 503, then serves it once DeviceRegistered arrives', async () => {
    chain = heartbeatChain(agent, 5, { from: new Date(Date.now() - 10_000), stepMs: 1_000 });
    const early = await post(agent, chain);
    expect(early.status).toBe(503);
    expect(early.body.code).toBe('AGENT.DEVICE_NOT_YET_KNOWN');
    expect(early.headers.get('retry-after')).toBe('2');

    await registerDevice(ns.topicPrefix, agent);
    const stored = await waitFor('the device registered from inventory', async () => {
      const res = await post(agent, chain);
      return res.status === 200 ? res : undefined;
    });
    expect(stored.body).toMatchObject({ accepted: 5, duplicates: 0, lastSequence: 4, lastHash: chain[4]!.hash, clockRate: 1 });
    expect(typeof stored.body.platformTime).toBe('string');
    const rows = await pool.query(`select sequence, hash, signature, at_text from heartbeats where device_id = $1 order by sequence`, [agent.deviceId]);
    expect(rows.rows.map((r) => [Number(r.sequence), r.hash, r.at_text])).toEqual(chain.map((h) => [h.sequence, h.hash, h.at]));
    expect(await events(agent.deviceId)).toEqual(['AgentHeartbeatsResumed']);
  });

  it('counts re-sent heartbeats as duplicates, alone or ahead of new ones', async () => {
    const again = await post(agent, chain);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 5, lastSequence: 4 });
    const more = heartbeatChain(agent, 3, { from: new Date(), stepMs: 1_000, after: chain[4] });
    const overlap = await post(agent, [...chain.slice(3), ...more]);
    expect(overlap.status).toBe(200);
    expect(overlap.body).toMatchObject({ accepted: 3, duplicates: 2, lastSequence: 7, lastHash: more[2]!.hash });
    chain = [...chain, ...more];
  });

  it('refuses a batch that does not continue the stored chain with 409 and the expected link, storing nothing of it', async () => {
    const skipped = heartbeatChain(agent, 2, { from: new Date(), stepMs: 1_000, after: chain[7] }).slice(1);
    const res = await post(agent, skipped);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'VERIFICATION.CHAIN_BROKEN', expectedSequence: 8, expectedPreviousHash: chain[7]!.hash });
    const head = await pool.query(`select last_sequence from heartbeat_chains where device_id = $1`, [agent.deviceId]);
    expect(Number(head.rows[0].last_sequence)).toBe(7);
  });

  it('refuses a heartbeat with a forged signature (400, recorded) and a request with a forged signature (401)', async () => {
    const next = heartbeatChain(agent, 1, { from: new Date(), stepMs: 1_000, after: chain[7] })[0]!;
    const forged = { ...next, signature: Buffer.from(next.signature, 'base64').reverse().toString('base64') };
    const res = await post(agent, [forged]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VERIFICATION.HEARTBEAT_INVALID', context: { index: 0, problem: 'bad_signature' } });
    const refusals = await pool.query(`select reason from heartbeat_refusals where device_id = $1`, [agent.deviceId]);
    expect(refusals.rows).toEqual([{ reason: 'bad_signature' }]);

    const body = JSON.stringify({ heartbeats: [next] });
    const headers = signAgentRequest({ key: agent.key, method: 'POST', pathAndQuery: AGENT_PATHS.heartbeats, body: JSON.stringify({ heartbeats: [] }), nowMs: Date.now() });
    const tampered = await fetch(`${svc.baseUrl}${AGENT_PATHS.heartbeats}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { code: string }).code).toBe('AGENT.SIGNATURE_INVALID');
  });

  it('refuses a replayed request (the same nonce) with 401 AGENT.NONCE_REPLAYED', async () => {
    const next = heartbeatChain(agent, 1, { from: new Date(), stepMs: 1_000, after: chain[7] });
    const raw = { heartbeats: next };
    const headers = signAgentRequest({ key: agent.key, method: 'POST', pathAndQuery: AGENT_PATHS.heartbeats, body: JSON.stringify(raw), nowMs: Date.now() });
    const first = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.heartbeats, raw, { headers });
    expect(first.status).toBe(200);
    const replay = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.heartbeats, raw, { headers });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('AGENT.NONCE_REPLAYED');
    chain = [...chain, ...next];
  });

  it('records silence over the tolerance as AgentHeartbeatsStopped, and the next heartbeat as AgentHeartbeatsResumed', async () => {
    const sweeps = svc.app.get(VerificationSweeps);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await sweeps.detectSilence()).toBe(1);
    expect(await sweeps.detectSilence()).toBe(0);
    expect(await events(agent.deviceId)).toEqual(['AgentHeartbeatsResumed', 'AgentHeartbeatsStopped']);
    const next = heartbeatChain(agent, 1, { from: new Date(), stepMs: 1_000, after: chain[8] });
    expect((await post(agent, next)).status).toBe(200);
    expect(await events(agent.deviceId)).toEqual(['AgentHeartbeatsResumed', 'AgentHeartbeatsStopped', 'AgentHeartbeatsResumed']);
    chain = [...chain, ...next];
  });

  it('accepts a new chain from sequence 0 after a lost agent disk, as chain 2, and records the restart', async () => {
    const fresh = heartbeatChain(agent, 3, { from: new Date(), stepMs: 1_000 });
    expect(fresh[0]!.previousHash).toBe(GENESIS_HASH);
    const res = await post(agent, fresh);
    expect(res.body).toMatchObject({ accepted: 3, duplicates: 0, lastSequence: 2 });
    const head = await pool.query(`select chain_number, last_sequence from heartbeat_chains where device_id = $1`, [agent.deviceId]);
    expect(head.rows[0]).toMatchObject({ chain_number: 2, last_sequence: '2' });
    expect((await events(agent.deviceId)).at(-1)).toBe('HeartbeatChainRestarted');
    const old = await pool.query(`select count(*)::int as n from heartbeats where device_id = $1 and chain_number = 1`, [agent.deviceId]);
    expect(old.rows[0].n).toBe(chain.length);
    // The old chain's heartbeats cannot be sent into the new one.
    const stale = await post(agent, chain.slice(5, 6));
    expect(stale.status).toBe(409);
  });

  it('answers a key that stays unknown past the grace with a final 403 AGENT.UNKNOWN_DEVICE', async () => {
    const stranger = newTestAgent();
    const first = await agentCall(svc.baseUrl, stranger.key, 'GET', AGENT_PATHS.verification);
    expect(first.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const later = await agentCall(svc.baseUrl, stranger.key, 'GET', AGENT_PATHS.verification);
    expect(later.status).toBe(403);
    expect(later.body.code).toBe('AGENT.UNKNOWN_DEVICE');
  });

  it('orders concurrent batches of one device: the same first batch sent twice at once is stored once', async () => {
    const twin = newTestAgent();
    await registerDevice(ns.topicPrefix, twin);
    const batch = heartbeatChain(twin, 20, { from: new Date(Date.now() - 60_000), stepMs: 1_000 });
    await waitFor('the device registered', async () => ((await svc.app.get(DeviceDirectory).byAgent(twin.key.address)) ? true : undefined));
    const answers = await Promise.all([post(twin, batch), post(twin, batch), post(twin, batch)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.body.accepted).sort()).toEqual([0, 0, 20]);
    const rows = await pool.query(`select count(*)::int as n from heartbeats where device_id = $1`, [twin.deviceId]);
    expect(rows.rows[0].n).toBe(20);
  });

  it('shows the agent its chain, presence and uptime', async () => {
    const view = await agentCall(svc.baseUrl, agent.key, 'GET', AGENT_PATHS.verification);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ deviceId: agent.deviceId, presence: 'online', chain: { chainNumber: 2, lastSequence: 2 }, qualification: { qualified: false, proofsPassed: 0 } });
    expect((view.body.uptime as { last24hMs: number }).last24hMs).toBeGreaterThan(0);
  });
});
