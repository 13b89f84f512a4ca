import { chainHeartbeat, processDigest, solveChallenge, type SignedHeartbeat, type WorkItem } from '@ionet/agent-protocol';
import { decodeEnvelope, topicName } from '@ionet/contracts';
import { createTestSchema, deleteTestTopics, dropTestSchema, startServiceProcess, testConnections, testKafka, testNamespace, waitFor, type ServiceProcess } from '@ionet/testing';
import { Pool } from 'pg';
import { AGENT_PATHS, agentCall, newTestAgent, registerDevice } from './support/verification-test-kit';

const RATE = 60;
const verdicts = (type: string) => !type.startsWith('AgentHeartbeats');

/**
 * Verification as a real process on an accelerated clock (an hour a wall minute, as under `npm start`),
 * with its BullMQ schedules running: a simulated agent beats, is challenged by the sweep, answers,
 * qualifies and goes silent; the verdicts reach Kafka for inventory.
 */
describe('verification process: from first heartbeat to DeviceQualified and back to silence, on the schedules', () => {
  const ns = testNamespace('verification-lifecycle');
  const conn = testConnections();
  const origin = new Date();
  let svc: ServiceProcess;
  let pool: Pool;
  const agent = newTestAgent();
  let last: SignedHeartbeat | undefined;
  let beating: NodeJS.Timeout | undefined;

  const platformNow = () => new Date(origin.getTime() + (Date.now() - origin.getTime()) * RATE);
  const beat = async () => {
    const hb = chainHeartbeat(last, { deviceId: agent.deviceId, at: platformNow().toISOString(), leaseId: null, gpus: [], processDigest: processDigest([]), foreignProcessCount: 0 }, agent.key);
    const res = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.heartbeats, { heartbeats: [hb] });
    if (res.status === 200) last = hb;
    return res.status;
  };
  const events = async () => (await pool.query<{ event_type: string }>(`select event_type from events where stream_id = $1 order by version`, [agent.deviceId])).rows.map((r) => r.event_type.replace('ionet.verification.v1.', ''));

  beforeAll(async () => {
    await createTestSchema(ns.schema, conn);
    svc = await startServiceProcess({
      service: 'verification',
      schema: ns.schema,
      topicPrefix: ns.topicPrefix,
      env: {
        QUEUE_PREFIX: ns.queuePrefix,
        CLOCK_RATE: String(RATE),
        CLOCK_ORIGIN: origin.toISOString(),
        VERIFICATION_QUALIFY_UPTIME_MS: String(5 * 60_000),
        VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS: '10000',
      },
    });
    pool = new Pool({ connectionString: conn.postgresUrl, options: `-c search_path=${ns.schema}`, max: 2 });
    await registerDevice(ns.topicPrefix, agent);
  }, 90_000);

  afterAll(async () => {
    if (beating) clearInterval(beating);
    await svc?.stop();
    await pool?.end();
    await dropTestSchema(ns.schema, conn).catch(() => undefined);
    await deleteTestTopics(ns.topicPrefix);
  });

  it('challenges the device soon after its first heartbeat, passes it, and qualifies it after the configured uptime', async () => {
    await waitFor('the device known and its first heartbeat stored', async () => ((await beat()) === 200 ? true : undefined), 30_000, 250);
    beating = setInterval(() => void beat().catch(() => undefined), 500);
    const challenge = await waitFor(
      'a challenge from the scheduled sweep',
      async () => {
        const res = await agentCall(svc.baseUrl, agent.key, 'GET', `${AGENT_PATHS.work}?waitMs=5000`);
        const item = (res.body.items as WorkItem[] | undefined)?.find((i) => i.kind === 'challenge');
        return item?.kind === 'challenge' ? item.challenge : undefined;
      },
      30_000,
    );
    const answer = await agentCall(svc.baseUrl, agent.key, 'POST', AGENT_PATHS.challengeResult(challenge.challengeId), solveChallenge(challenge));
    expect(answer.body).toEqual({ verdict: 'passed' });
    await waitFor('DeviceQualified', async () => ((await events()).includes('DeviceQualified') ? true : undefined), 40_000, 250);
    const all = await events();
    expect(all[0]).toBe('AgentHeartbeatsResumed');
    // (A loaded machine may starve the beat past the tolerance: presence events may come between.)
    expect(all.filter(verdicts)).toEqual(['ChallengeIssued', 'ChallengePassed', 'DeviceQualified']);
  });

  it('publishes the verdicts on the verification topic, where inventory reads them', async () => {
    const consumer = testKafka('verification-lifecycle-reader').consumer({ groupId: `${ns.topicPrefix}reader` });
    await consumer.connect();
    const seen: string[] = [];
    try {
      await consumer.subscribe({ topic: topicName('verification', ns.topicPrefix), fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const { metadata } = decodeEnvelope(message.value!);
          if (metadata.aggregateId === agent.deviceId) seen.push(metadata.eventType.replace('ionet.verification.v1.', ''));
        },
      });
      await waitFor('DeviceQualified on Kafka', () => (seen.includes('DeviceQualified') ? true : undefined), 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen[0]).toBe('AgentHeartbeatsResumed');
    expect(seen.filter(verdicts)).toEqual(['ChallengeIssued', 'ChallengePassed', 'DeviceQualified']);
  });

  it('records AgentHeartbeatsStopped once the agent is silent past the tolerance', async () => {
    clearInterval(beating);
    beating = undefined;
    await waitFor('AgentHeartbeatsStopped from the sweep', async () => ((await events()).includes('AgentHeartbeatsStopped') ? true : undefined), 30_000, 250);
    expect(await beat()).toBe(200);
    expect((await events()).slice(-2)).toEqual(['AgentHeartbeatsStopped', 'AgentHeartbeatsResumed']);
  });
});
