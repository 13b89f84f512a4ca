import { AGENT_HEADERS, AGENT_PATHS, chainHeartbeat, processDigest, type JobAssignment, type SignedHeartbeat } from '@ionet/agent-protocol';
import { derivedId } from '@ionet/eventing';
import { AgentWorkMailbox, type BaseConfig, type Logger } from '@ionet/platform';
import { testConnections, waitFor } from '@ionet/testing';
import Redis from 'ioredis';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Pool } from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayClient } from '../../../e2e/support/gateway-client';
import { keyIssuer } from '../../../e2e/support/keys';
import { launchStack, type RunningStack } from '../../../e2e/support/stack-launcher';
import { jobDirName } from '../src/jobs/job-record';
import { RunningAgent, agentCli, loadAgentKey, signedFetch } from '../../../e2e/support/agent-cli';

const LAUNCH_TIMEOUT_MS = 180_000;
const WALLET = '11111111111111111111111111111111';
/** Small proofs for simulated devices, with a tight solve limit so "too slow" is a few seconds. */
const POW_TABLE = { simulated: { difficultyBits: 8, memoryMib: 2, memoryReads: 20_000, solveMsMax: 3_000, deadlineMs: 60_000 } };
const FAST = ['--heartbeat-interval', '0.5', '--work-wait-ms', '2000'];
/** The first challenge comes with verification's device sweep, which a loaded machine can delay. */
const PROOF_WITHIN_MS = 120_000;
const SLOW_TEST_MS = PROOF_WITHIN_MS + 30_000;
/** Heartbeats kept on disk during the outage: about 70 KB for a simulated 8-GPU machine. */
const OUTAGE_BACKLOG = 64;

interface AgentView {
  chain: { chainNumber: number; lastSequence: number; lastHash: string; heartbeatCount: number } | null;
  challenges: { challengeId: string; verdict: string; reason: string | null }[];
}

/**
 * The worker agent as a supplier runs it: the built CLI as a process, against every service and the
 * gateway as processes on the real stack. Keys, enrollment, heartbeats the platform stores, proofs of
 * work passed and failed, refused forgeries and replays, a broken chain repaired, an outage ridden
 * out on disk, a SIGKILL mid-chain, and a job run as a local process with its events reported.
 */
describe('ionet-agent against the running platform', () => {
  let stack: RunningStack;
  let supplierKey: string;
  let supplierId: string;
  const dirs: string[] = [];
  const agents: RunningAgent[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ionet-agent-e2e-'));
    dirs.push(dir);
    return dir;
  };
  const run = (dir: string, extra: string[] = []) => {
    const agent = RunningAgent.start(['--dir', dir, ...FAST, ...extra]);
    agents.push(agent);
    return agent;
  };
  const newToken = async (): Promise<string> => {
    const res = await gatewayClient(stack.gatewayUrl, supplierKey).call('POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, {});
    expect(res.status).toBe(201);
    return res.body.token as string;
  };
  const join_ = async (dir: string, token: string, extra: string[] = []) =>
    agentCli(['join', '--dir', dir, '--token', token, '--api', stack.gatewayUrl, '--country', 'DE', '--region', 'eu-central', '--simulate-gpus', 'H100x8', '--download-mbps', '900', '--upload-mbps', '700', ...extra]);
  const verificationView = async (dir: string): Promise<AgentView> => {
    const res = await signedFetch(stack.gatewayUrl, loadAgentKey(dir), 'GET', AGENT_PATHS.verification);
    expect(res.status).toBe(200);
    return res.body as unknown as AgentView;
  };
  const sentAtLeast = (agent: RunningAgent, sequence: number, from = 0, timeoutMs = 30_000) =>
    agent.line(`heartbeats acknowledged up to #${sequence}`, (l) => l.message === 'heartbeats sent' && (l.lastSequence as number) >= sequence, timeoutMs, from);

  beforeAll(async () => {
    stack = await launchStack({
      label: 'e2e-agent',
      env: {
        ALLOW_SIMULATED_DEVICES: 'true',
        VERIFICATION_POW_TABLE: JSON.stringify(POW_TABLE),
        CLOCK_RATE: '60',
        CLOCK_ORIGIN: new Date().toISOString(),
      },
    });
    const issuer = keyIssuer(stack);
    supplierKey = (await issuer.organizationWithKey('Agent Farm', 'supplier', 'supplier')).key;
    const supplier = await gatewayClient(stack.gatewayUrl, supplierKey).call('POST', '/v1/suppliers', { name: 'Agent Farm', source: 'individual', payoutWallet: WALLET });
    expect(supplier.status).toBe(201);
    supplierId = supplier.body.supplierId as string;
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await stack?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const main = { dir: '', deviceId: '', agent: undefined as unknown as RunningAgent, snapshot: '' };

  it('keygen writes a 0600 key file and prints its Solana address; a second keygen keeps the key', async () => {
    main.dir = newDir();
    const first = await agentCli(['keygen', '--dir', main.dir]);
    expect(first.code).toBe(0);
    const keyFile = JSON.parse(readFileSync(join(main.dir, 'agent-key.json'), 'utf8')) as { publicKey: string };
    expect(first.stdout.split('\n')[0]).toBe(keyFile.publicKey);
    expect(keyFile.publicKey).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(statSync(join(main.dir, 'agent-key.json')).mode & 0o777).toBe(0o600);
    const again = await agentCli(['keygen', '--dir', main.dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('keeps its key');
    expect(loadAgentKey(main.dir).address).toBe(keyFile.publicKey);
  });

  it('joins with a single-use token as a simulated 8 x H100 device; the same key and token get the same device', async () => {
    const token = await newToken();
    const joined = await join_(main.dir, token, ['--json']);
    expect({ code: joined.code, stderr: joined.stderr }).toEqual({ code: 0, stderr: '' });
    const answer = JSON.parse(joined.stdout) as { deviceId: string; status: string; spec: { gpus: { model: string; uuid: string }[]; simulated: boolean } };
    expect(answer).toMatchObject({ status: 'pending', spec: { simulated: true } });
    expect(answer.spec.gpus).toHaveLength(8);
    main.deviceId = answer.deviceId;
    const retried = await join_(main.dir, token, ['--json']);
    expect(retried.code).toBe(0);
    expect((JSON.parse(retried.stdout) as { deviceId: string; spec: { gpus: { uuid: string }[] } })).toMatchObject({ deviceId: main.deviceId, spec: { gpus: answer.spec.gpus } });
    // Another machine with the used token is refused with the platform's code.
    const other = await join_(newDir(), token);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/refused by the platform: 409 INVENTORY\.ENROLLMENT_TOKEN_USED/);
  });

  it('sends heartbeats the platform stores in order, and passes the proof of work it is given', async () => {
    main.agent = run(main.dir);
    const passed = await main.agent.line('a passed proof of work', (l) => l.message === 'proof of work: passed', PROOF_WITHIN_MS);
    expect(passed.solveMs).toBeLessThan(POW_TABLE.simulated.solveMsMax);
    await sentAtLeast(main.agent, 4);
    main.snapshot = newDir();
    cpSync(join(main.dir, 'heartbeats'), join(main.snapshot, 'heartbeats'), { recursive: true });
    const view = await verificationView(main.dir);
    expect(view.chain).toMatchObject({ chainNumber: 1 });
    expect(view.chain!.heartbeatCount).toBe(view.chain!.lastSequence + 1);
    expect(view.challenges.map((c) => c.verdict)).toContain('passed');
    const status = await agentCli(['status', '--dir', main.dir, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ deviceId: main.deviceId, device: { value: { deviceId: main.deviceId, simulated: true } }, verification: { value: { chain: { chainNumber: 1 } } } });
  }, SLOW_TEST_MS);

  it('refuses a forged signature and a replayed request', async () => {
    const key = loadAgentKey(main.dir);
    const forger = loadAgentKey(await newDirKeygen());
    const forged = await signedFetch(stack.gatewayUrl, forger, 'GET', AGENT_PATHS.verification, undefined, { [AGENT_HEADERS.key]: key.address });
    expect(forged).toMatchObject({ status: 401, body: { code: 'AGENT.SIGNATURE_INVALID' } });
    const first = await signedFetch(stack.gatewayUrl, key, 'GET', AGENT_PATHS.device);
    expect(first.status).toBe(200);
    const replay = await gatewayClient(stack.gatewayUrl).call('GET', AGENT_PATHS.device, undefined, first.headers);
    expect(replay).toMatchObject({ status: 401, body: { code: 'AGENT.NONCE_REPLAYED' } });
  });

  it('answers a batch that does not continue the chain with 409 and where the chain stands', async () => {
    const key = loadAgentKey(main.dir);
    const view = await verificationView(main.dir);
    const farAhead = chainHeartbeat({ sequence: view.chain!.lastSequence + 50, hash: 'ab'.repeat(32) }, { deviceId: main.deviceId, at: new Date().toISOString(), leaseId: null, gpus: [], processDigest: processDigest([]), foreignProcessCount: 0 }, key);
    const res = await signedFetch(stack.gatewayUrl, key, 'POST', AGENT_PATHS.heartbeats, { heartbeats: [farAhead] });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('VERIFICATION.CHAIN_BROKEN');
    const context = (res.body.context ?? res.body) as { expectedSequence: number; expectedPreviousHash: string };
    expect(context.expectedSequence).toBeGreaterThan(view.chain!.lastSequence);
    expect(context.expectedPreviousHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps heartbeats on disk while verification is down and delivers them in order after', async () => {
    await stack.stopService('verification');
    const from = main.agent.lines.length;
    // A backlog of more than 64 KiB of heartbeats (verification's body limit): it goes out in batches that fit.
    const down = await main.agent.line('a backlog on disk', (l) => l.message === 'platform unreachable; heartbeats kept on disk' && (l.pending as number) >= OUTAGE_BACKLOG, 90_000, from);
    expect(down.pending).toBeGreaterThanOrEqual(OUTAGE_BACKLOG);
    const headBefore = lastJournalSequence(main.dir);
    await stack.startService('verification');
    await main.agent.line('the buffered heartbeats delivered', (l) => l.message === 'platform reachable again; buffered heartbeats delivered', 60_000, from);
    await sentAtLeast(main.agent, headBefore, from);
    const view = await waitFor('verification to hold the whole chain', async () => {
      const v = await verificationView(main.dir);
      return v.chain && v.chain.lastSequence >= headBefore ? v : undefined;
    }, 30_000, 250);
    // Every heartbeat of the chain stored, once: nothing lost, nothing twice, one unbroken chain.
    expect(view.chain).toMatchObject({ chainNumber: 1, heartbeatCount: view.chain!.lastSequence + 1 });
    expect(main.agent.lines.slice(from).filter((l) => l.message === 'heartbeats refused; kept on disk')).toEqual([]);
  }, SLOW_TEST_MS);

  it('resumes its chain after a SIGKILL mid-chain', async () => {
    await main.agent.stop('SIGKILL');
    const head = lastJournalSequence(main.dir);
    main.agent = run(main.dir);
    const started = await main.agent.line('the restart', (l) => l.message === 'agent running');
    expect(started.resumedChainAt).toBe(head);
    await sentAtLeast(main.agent, head + 3);
    expect(main.agent.lines.filter((l) => l.message.startsWith('chain broken'))).toEqual([]);
    const view = await verificationView(main.dir);
    expect(view.chain).toMatchObject({ chainNumber: 1, heartbeatCount: view.chain!.lastSequence + 1 });
  });

  it('repairs a broken chain (a journal restored from an old copy) by re-signing onto the platform\'s head', async () => {
    await main.agent.stop('SIGTERM');
    const platformHead = (await verificationView(main.dir)).chain!.lastSequence;
    rmSync(join(main.dir, 'heartbeats'), { recursive: true, force: true });
    cpSync(join(main.snapshot, 'heartbeats'), join(main.dir, 'heartbeats'), { recursive: true });
    expect(lastJournalSequence(main.dir)).toBeLessThan(platformHead);
    main.agent = run(main.dir);
    const repaired = await main.agent.line('the chain repaired', (l) => l.message === 'chain broken at the platform; resent from its head', 30_000);
    // The restored journal's undelivered heartbeats are older than the platform's head: dropped;
    // the ones written since the restart are re-signed onto the head.
    expect(repaired).toMatchObject({ expectedSequence: platformHead + 1, how: 'resigned' });
    expect(repaired.droppedAsOlderThanHead).toBeGreaterThanOrEqual(0);
    expect(main.agent.lines.filter((l) => l.message === 'heartbeats refused; kept on disk')).toEqual([]);
    await sentAtLeast(main.agent, platformHead + 3);
    const view = await verificationView(main.dir);
    expect(view.chain).toMatchObject({ chainNumber: 1, heartbeatCount: view.chain!.lastSequence + 1 });
  });

  it('fails a proof of work with a wrong answer and one that is too slow, and says why', async () => {
    const wrong = newDir();
    const slow = newDir();
    expect((await join_(wrong, await newToken())).code).toBe(0);
    expect((await join_(slow, await newToken())).code).toBe(0);
    const wrongAgent = run(wrong, ['--unsafe-test-corrupt-proof']);
    const slowAgent = run(slow, ['--unsafe-test-proof-delay-ms', String(POW_TABLE.simulated.solveMsMax + 1_000)]);
    expect((await wrongAgent.line('the hooks warning', (l) => l.message.startsWith('UNSAFE TEST HOOKS ON'))).corruptProof).toBe(true);
    const wrongVerdict = await wrongAgent.line('a failed proof', (l) => l.message === 'proof of work: failed', PROOF_WITHIN_MS);
    const slowVerdict = await slowAgent.line('a failed proof', (l) => l.message === 'proof of work: failed', PROOF_WITHIN_MS);
    expect(String(wrongVerdict.reason)).toMatch(/wrong|nonce|digest/i);
    expect(String(slowVerdict.reason)).toMatch(/slow|time/i);
    expect((await verificationView(wrong)).challenges[0]).toMatchObject({ verdict: 'failed' });
    await Promise.all([wrongAgent.stop(), slowAgent.stop()]);
  }, SLOW_TEST_MS);

  it('runs a job posted to its mailbox as a local process and reports accepted, started, its output and its exit', async () => {
    const jobId = `job-${Date.now()}`;
    const script = 'console.log("job says hi"); setTimeout(() => process.exit(7), 2500)';
    const job: JobAssignment = { jobId, leaseId: `lease-${jobId}`, role: 'node', image: 'none', command: [process.execPath, '-e', script], env: {}, ports: [], endsAt: new Date(Date.now() + 3_600_000 * 60).toISOString() };
    expect(await withMailbox(stack, (m) => m.post(main.deviceId, { kind: 'job', job }, Date.now()))).toMatchObject({ posted: true });
    const from = 0;
    await main.agent.line('the job accepted', (l) => l.message === 'job accepted' && l.jobId === jobId, 30_000, from);
    const exited = await main.agent.line('the job exited', (l) => l.message === 'job exited' && l.jobId === jobId, 30_000, from);
    expect(exited.exitCode).toBe(7);
    const status = await waitFor('every job event acknowledged', async () => {
      const s = JSON.parse((await agentCli(['status', '--dir', main.dir, '--json'])).stdout) as { local: { jobs: { jobId: string; phase: string; exitCode: number; unsentEvents: number }[] } };
      const job = s.local.jobs.find((j) => j.jobId === jobId);
      return job && job.unsentEvents === 0 ? job : undefined;
    }, 30_000, 500);
    expect(status).toMatchObject({ phase: 'exited', exitCode: 7 });
    const events = await waitFor('every event of the job stored by verification', async () => {
      const counted = await storedJobEvents(stack, main.dir, jobId);
      return counted.stored === counted.numbered ? counted : undefined;
    }, 30_000, 500);
    // accepted, started, running, at least one log chunk, exited: each stored once.
    expect(events.stored).toBeGreaterThanOrEqual(5);
    expect(await withMailbox(stack, (m) => m.pending(main.deviceId))).not.toContainEqual(expect.objectContaining({ kind: 'job' }));
    // While the job ran, the heartbeats carried its lease (Proof of Time-Lock counts them).
    expect(await heartbeatsWithLease(stack, main.deviceId, job.leaseId)).toBeGreaterThanOrEqual(1);
  });

  it('stops a running job on a stop item from its mailbox and reports it stopped', async () => {
    const jobId = `job-stop-${Date.now()}`;
    const job: JobAssignment = { jobId, leaseId: `lease-${jobId}`, role: 'node', image: 'none', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], env: {}, ports: [], endsAt: new Date(Date.now() + 3_600_000 * 60).toISOString() };
    await withMailbox(stack, (m) => m.post(main.deviceId, { kind: 'job', job }, Date.now()));
    const started = await main.agent.line('the long job started', (l) => l.message === 'job started' && l.jobId === jobId);
    await withMailbox(stack, (m) => m.post(main.deviceId, { kind: 'stop', jobId, reason: 'the customer ended the lease' }, Date.now()));
    await main.agent.line('the job stopped', (l) => l.message === 'job stopped' && l.jobId === jobId);
    expect(() => process.kill(started.pid as number, 0)).toThrow();
    await waitFor('the stop acknowledged (the stopped event stored)', async () => {
      const pending = await withMailbox(stack, (m) => m.pending(main.deviceId));
      return pending.some((i) => i.kind === 'stop' && i.jobId === jobId) ? undefined : true;
    }, 30_000, 500);
  });

  async function newDirKeygen(): Promise<string> {
    const dir = newDir();
    expect((await agentCli(['keygen', '--dir', dir])).code).toBe(0);
    return dir;
  }
});

function lastJournalSequence(dir: string): number {
  const lines = readFileSync(join(dir, 'heartbeats', 'journal.jsonl'), 'utf8').trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]) as SignedHeartbeat).sequence;
}

/** The job events verification stored (its event store, one AgentJobReported per sequence), and how
 *  many the agent numbered (its job record). */
async function storedJobEvents(stack: RunningStack, dir: string, jobId: string): Promise<{ stored: number; numbered: number }> {
  const pool = new Pool({ connectionString: testConnections().postgresUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from ${stack.schemas.verification}.events where stream_id = $1 and event_type = 'ionet.verification.v1.AgentJobReported'`, [derivedId('agent-job', jobId)]);
    const record = JSON.parse(readFileSync(join(dir, 'jobs', jobDirName(jobId), 'job.json'), 'utf8')) as { nextSequence: number };
    return { stored: Number(rows[0].n), numbered: record.nextSequence };
  } finally {
    await pool.end();
  }
}

async function heartbeatsWithLease(stack: RunningStack, deviceId: string, leaseId: string): Promise<number> {
  const pool = new Pool({ connectionString: testConnections().postgresUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ n: string }>(`select count(*) as n from ${stack.schemas.verification}.heartbeats where device_id = $1 and lease_id = $2`, [deviceId, leaseId]);
    return Number(rows[0].n);
  } finally {
    await pool.end();
  }
}

/** Posts a job into the device's work mailbox, as leasing will (verification's mailbox, in Redis). */
/** The stack's own agent mailbox (its services share a QUEUE_PREFIX private to the run). */
async function withMailbox<T>(stack: RunningStack, use: (mailbox: AgentWorkMailbox) => Promise<T>): Promise<T> {
  const redis = new Redis(testConnections().redisUrl, { maxRetriesPerRequest: 2 });
  const mailbox = new AgentWorkMailbox(redis, { QUEUE_PREFIX: stack.queuePrefix, REDIS_URL: testConnections().redisUrl } as BaseConfig, { warn: () => undefined } as unknown as Logger);
  try {
    return await use(mailbox);
  } finally {
    await mailbox.onApplicationShutdown();
    redis.disconnect();
  }
}
