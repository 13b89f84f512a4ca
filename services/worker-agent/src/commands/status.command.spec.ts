import { describeVerification } from './status.command';

describe('status: what verification says, in words', () => {
  it('says where the chain stands, how long the device was up, its proofs and why it is blocked', () => {
    const lines = describeVerification({
      chain: { chainNumber: 1, lastSequence: 25, lastHash: 'ab', lastHeartbeatAt: '2026-12-01T15:37:37.000Z', lastReceivedAt: '2026-12-01T15:37:38.000Z', heartbeatCount: 26 },
      presence: 'online',
      uptime: { currentMs: 5_400_000, last24hMs: 5_400_000, last30dMs: 5_400_000, qualifyingUptimeMs: 3_600_000 },
      qualification: { qualified: false, proofsPassed: 0, proofsFailed: 3, consecutiveFailures: 3, failuresToDisqualify: 3, disqualified: { at: '2026-12-01T16:00:00.000Z', reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (wrong result)' } },
      challenges: [{ challengeId: 'c-1', verdict: 'failed', reason: 'wrong_result', detail: 'the memory digest does not match' }],
      reputation: { scoreBps: 9_150, at: '2026-12-01T16:00:00.000Z' },
    });
    expect(lines).toEqual([
      '  chain         #25 (chain 1, 26 heartbeats stored), last beat 2026-12-01T15:37:37.000Z, received 2026-12-01T15:37:38.000Z',
      '  presence      online',
      '  uptime        1 h 30 min now, 1 h 30 min in 24 h, 1 h 30 min in 30 days (qualifies after 1 h 0 min)',
      '  proofs        0 passed, 3 failed (3 in a row; 3 block), not qualified yet',
      '  blocked       repeated_proof_failure: 3 consecutive proof failures (wrong result) (2026-12-01T16:00:00.000Z)',
      '  challenge     c-1: failed (wrong_result: the memory digest does not match)',
      '  reputation    91.50 % (2026-12-01T16:00:00.000Z)',
    ]);
    expect(describeVerification({ chain: null, reputation: null })).toEqual(['  chain         no heartbeat received yet', '  reputation    not computed yet']);
  });
});
