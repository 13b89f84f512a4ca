import { proofOfWorkProblem, solveChallenge, type ProofOfWorkChallenge, type WorkItem } from '@ionet/agent-protocol';
import { AgentWorkMailbox, PG_POOL } from '@ionet/platform';
import { deleteTestTopics, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Pool } from 'pg';
import { ChallengesService } from '../src/application/challenges.service';
import { DeviceDirectory } from '../src/application/device-directory';
import { VerificationSweeps } from '../src/application/verification-sweeps.service';
import type { VerificationConfig } from '../src/verification.config';
import { AGENT_PATHS, agentCall, heartbeatChain, newTestAgent, registerDevice, startVerification, type TestAgent } from './support/verification-test-kit';

const TINY = { difficultyBits: 4, memoryMib: 1, memoryReads: 1_000 };

describe('verification: the work long poll and proof-of-work challenges', () => {
  const ns = testNamespace('verification-work');
  let svc: RunningTestService<VerificationConfig>;
  let pool: Pool;
  let mailbox: AgentWorkMailbox;
  const agent: TestAgent = newTestAgent();
  const late: TestAgent = newTestAgent();

  beforeAll(async () => {
    svc = await startVerification(ns, {
      VERIFICATION_QUALIFY_UPTIME_MS: '0',
      VERIFICATION_FAILURES_TO_DISQUALIFY: '3',
      // Simulated GPUs get small work; an H100 claim here gets a deadline no agent can meet.
      VERIFICATION_POW_TABLE: JSON.stringify({ simulated: { ...TINY, solveMsMax: 5_000, deadlineMs: 60_000 }, 'H100-80GB': { ...TINY, solveMsMax: 5_000, deadlineMs: 1 } }),
    });
    pool = svc.app.get(PG_POOL);
    mailbox = svc.app.get(AgentWorkMailbox);
    await registerDevice(ns.topicPrefix, agent);
    await registerDevice(ns.topicPrefix, late, { simulated: false, gpuModel: 'NVIDIA H100 80GB HBM3' });
    await waitFor('both devices registered', async () => ((await svc.app.get(DeviceDirectory).byAgent(late.key.address)) && (await svc.app.get(DeviceDirectory).byAgent(agent.key.address)) ? true : undefined));
    for (const a of [agent, late]) {
      const res = await agentCall(svc.baseUrl, a.key, 'POST', AGENT_PATHS.heartbeats, { heartbeats: heartbeatChain(a, 3, { from: new Date(Date.now() - 5_000), stepMs: 1_000 }) });
      expect(res.status).toBe(200);
    }
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const poll = (a: TestAgent, waitMs: number) => agentCall(svc.baseUrl, a.key, 'GET', `${AGENT_PATHS.work}?waitMs=${waitMs}`);
  const events = async (streamId: string) => (await pool.query<{ event_type: string }>(`select event_type from events where stream_id = $1 order by version`, [streamId])).rows.map((r) => r.event_type.replace('ionet.verification.v1.', ''));
  const stop = (jobId: string): WorkItem => ({ kind: 'stop', jobId, reason: 'test' });

  it('answers at once with nothing to do when waitMs is 0, and refuses a bad waitMs', async () => {
    const res = await poll(agent, 0);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ items: [], clockRate: 1 });
    expect((await poll(agent, 30_001)).status).toBe(400);
  });

  it('wakes a waiting long poll when work is posted, before its wait runs out', async () => {
    const waitMs = 20_000;
    const started = Date.now();
    const pending = poll(agent, waitMs);
    await waitFor('the poll waiting', () => (mailbox.waitingPolls > 0 ? true : undefined));
    await mailbox.post(agent.deviceId, stop('job-wake'), Date.now());
    const res = await pending;
    expect(res.body.items).toEqual([stop('job-wake')]);
    expect(Date.now() - started).toBeLessThan(waitMs);
  });

  it('ends a waiting poll whose client went away, freeing its waiter long before its wait', async () => {
    await mailbox.acknowledge(agent.deviceId, 'stop:job-wake');
    const gone = new AbortController();
    const abandoned = agentCall(svc.baseUrl, agent.key, 'GET', `${AGENT_PATHS.work}?waitMs=30000`, undefined, { signal: gone.signal }).catch(() => 'aborted');
    await waitFor('the poll waiting', () => (mailbox.waitingPolls === 1 ? true : undefined));
    gone.abort();
    expect(await abandoned).toBe('aborted');
    await waitFor('the abandoned poll released', () => (mailbox.waitingPolls === 0 ? true : undefined), 10_000);
  });

  it('re-delivers an item until it is acknowledged, and a re-post keeps one copy', async () => {
    await mailbox.post(agent.deviceId, stop('job-wake'), Date.now());
    expect((await poll(agent, 0)).body.items).toEqual([stop('job-wake')]);
    await mailbox.acknowledge(agent.deviceId, 'stop:job-wake');
    expect((await poll(agent, 0)).body.items).toEqual([]);
  });

  it('never hands an acknowledged item again to a post made unless acknowledged (a retried dispatch), while a plain re-post still may', async () => {
    expect(await mailbox.post(agent.deviceId, stop('job-once'), Date.now(), { unlessAcknowledged: true })).toMatchObject({ posted: true, acknowledged: false });
    expect(await mailbox.post(agent.deviceId, stop('job-once'), Date.now(), { unlessAcknowledged: true })).toMatchObject({ posted: false, acknowledged: false });
    expect((await poll(agent, 0)).body.items).toEqual([stop('job-once')]);
    await mailbox.acknowledge(agent.deviceId, 'stop:job-once');
    expect(await mailbox.wasAcknowledged(agent.deviceId, 'stop:job-once')).toBe(true);
    expect(await mailbox.post(agent.deviceId, stop('job-once'), Date.now(), { unlessAcknowledged: true })).toMatchObject({ posted: false, acknowledged: true });
    expect((await poll(agent, 0)).body.items).toEqual([]);
    expect(await mailbox.post(agent.deviceId, stop('job-once'), Date.now())).toMatchObject({ posted: true });
    await mailbox.acknowledge(agent.deviceId, 'stop:job-once');
    expect((await poll(agent, 0)).body.items).toEqual([]);
  });

  let first: ProofOfWorkChallenge;

  it('issues a challenge to a pending device after its first heartbeat; the right answer passes and qualifies it', async () => {
    expect(await svc.app.get(VerificationSweeps).issueChallenges('t1')).toBe(2);
    expect(await svc.app.get(VerificationSweeps).issueChallenges('t1')).toBe(0);
    const items = (await poll(agent, 0)).body.items as WorkItem[];
    expect(items).toHaveLength(1);
    const item = items[0]!;
    if (item.kind !== 'challenge') throw new Error('expected a challenge');
    first = item.challenge;
    expect(first).toMatchObject({ deviceId: agent.deviceId, ...TINY });
    const answer = solveChallenge(first);
    const res = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.challengeResult(first.challengeId), answer);
    expect(res.body).toEqual({ verdict: 'passed' });
    // Answered, the challenge leaves the mailbox; the same answer again gets the same verdict.
    expect((await poll(agent, 0)).body.items).toEqual([]);
    expect((await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.challengeResult(first.challengeId), answer)).body).toEqual({ verdict: 'passed' });
    expect(await events(agent.deviceId)).toEqual(['AgentHeartbeatsResumed', 'ChallengeIssued', 'ChallengePassed', 'DeviceQualified']);
  });

  it('fails a wrong answer and a too slow one with their reasons, and the third failure in a row disqualifies', async () => {
    const device = (await svc.app.get(DeviceDirectory).byAgent(agent.key.address))!;
    const challenges = svc.app.get(ChallengesService);
    const wrong = (await challenges.issue(device, 'wrong'))!;
    const answer = solveChallenge(wrong);
    const wrongRes = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.challengeResult(wrong.challengeId), { ...answer, memoryDigest: 'ab'.repeat(32) });
    expect(wrongRes.body.verdict).toBe('failed');
    expect(wrongRes.body.reason).toMatch(/^wrong_result/);

    const slow = (await challenges.issue(device, 'slow'))!;
    const slowRes = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.challengeResult(slow.challengeId), { ...solveChallenge(slow), solveMs: 9_000 });
    expect(slowRes.body).toEqual({ verdict: 'failed', reason: 'too_slow_for_model: solved in 9000 ms; simulated must within 5000 ms' });

    const third = (await challenges.issue(device, 'third'))!;
    // A nonce that does not solve this seed's puzzle (at 4 bits, one in sixteen nonces would).
    const solved = solveChallenge(third);
    let nonce = 1_000_000;
    while (proofOfWorkProblem(third, { ...solved, nonce: String(nonce) }) !== 'wrong_nonce') nonce++;
    const thirdRes = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.challengeResult(third.challengeId), { ...solved, nonce: String(nonce) });
    expect(thirdRes.body.verdict).toBe('failed');
    expect((await events(agent.deviceId)).slice(-7)).toEqual(['ChallengeIssued', 'ChallengeFailed', 'ChallengeIssued', 'ChallengeFailed', 'ChallengeIssued', 'ChallengeFailed', 'DeviceDisqualified']);
    const view = await agentCall(svc.baseUrl, agent.key, 'GET', AGENT_PATHS.verification);
    expect(view.body.qualification).toMatchObject({ consecutiveFailures: 3, proofsPassed: 1, proofsFailed: 3, disqualified: { reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (wrong result)' } });
    await expect(challenges.issue(device, 'after')).rejects.toMatchObject({ code: 'VERIFICATION.DEVICE_DISQUALIFIED' });
  });

  it('fails a challenge whose deadline passed without an answer (the sweep) and refuses an answer after it', async () => {
    const items = (await poll(late, 0)).body.items as WorkItem[];
    const item = items[0];
    if (item?.kind !== 'challenge') throw new Error('expected a challenge for the H100 claim');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await svc.app.get(ChallengesService).expireOverdue(10)).toBe(1);
    expect((await poll(late, 0)).body.items).toEqual([]);
    const res = await agentCall(svc.baseUrl, late.key, 'POST', AGENT_PATHS.challengeResult(item.challenge.challengeId), solveChallenge(item.challenge));
    expect(res.body.verdict).toBe('failed');
    expect(res.body.reason).toMatch(/^timed_out/);
    expect(await events(late.deviceId)).toEqual(['AgentHeartbeatsResumed', 'ChallengeIssued', 'ChallengeFailed']);
  });

  it('answers 404 for another device\'s challenge', async () => {
    const res = await agentCall(svc.baseUrl, late.key, 'POST', AGENT_PATHS.challengeResult(first.challengeId), solveChallenge(first));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('VERIFICATION.CHALLENGE_NOT_FOUND');
  });

  it('publishes job events once per (job, sequence) for a job handed to the device, and acknowledges the job by "accepted"', async () => {
    const job: WorkItem = { kind: 'job', job: { jobId: 'job-1', leaseId: 'lease-1', role: 'node', image: 'busybox', command: ['true'], env: {}, ports: [], endsAt: new Date(Date.now() + 3_600_000).toISOString() } };
    expect((await agentCall(svc.baseUrl, late.key, 'POST', AGENT_PATHS.jobEvents('job-1'), { events: [{ sequence: 0, kind: 'accepted', at: new Date().toISOString() }] })).status).toBe(404);
    await mailbox.post(late.deviceId, job, Date.now());
    const body = { events: [{ sequence: 0, kind: 'accepted', at: new Date().toISOString() }, { sequence: 1, kind: 'started', at: new Date().toISOString() }] };
    const res = await agentCall(svc.baseUrl, late.key, 'POST', AGENT_PATHS.jobEvents('job-1'), body);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0 });
    expect((await poll(late, 0)).body.items).toEqual([]);
    const again = await agentCall(svc.baseUrl, late.key, 'POST', AGENT_PATHS.jobEvents('job-1'), { events: [...body.events, { sequence: 2, kind: 'exited', exitCode: 0, at: new Date().toISOString() }] });
    expect(again.body).toEqual({ accepted: 1, duplicates: 2 });
    const stored = await pool.query(`select count(*)::int as n from events where stream_type = 'agent_job'`);
    expect(stored.rows[0].n).toBe(3);
    const other = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.jobEvents('job-1'), body);
    expect(other.status).toBe(404);
    const bad = await agentCall(svc.baseUrl, late.key, 'POST', AGENT_PATHS.jobEvents('job-1'), { events: [{ sequence: 3, kind: 'exploded', at: 'x' }] });
    expect(bad.status).toBe(400);
  });
});
