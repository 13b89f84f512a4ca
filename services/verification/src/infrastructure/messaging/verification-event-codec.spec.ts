import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { EventCodec } from '@ionet/eventing';
import type { DeviceVerificationEvent } from '../../domain/device/device-verification.decider';
import { agentJobEventCodec, deviceVerificationEventCodec, epochProofEventCodec, leaseHourEventCodec } from './verification-event-codec';

const at = new Date('2026-12-01T10:00:00.123Z');

function roundTrip<E extends { type: string }>(codec: EventCodec<E>, event: E): E {
  const encoded = codec.encode(event);
  const bytes = toBinary(encoded.schema, create(encoded.schema, encoded.data as never));
  return codec.decode(fromBinary(encoded.schema, bytes), encoded.schema.typeName);
}

describe('verification event codecs', () => {
  it('round-trips every device verification event through its protobuf message', () => {
    const events: DeviceVerificationEvent[] = [
      { type: 'ChallengeIssued', deviceId: 'd', challengeId: 'c', seed: 'ab'.repeat(32), difficultyBits: 12, memoryMib: 8, memoryReads: 50_000, gpuModel: 'simulated', simulated: true, issuedAt: at, deadlineAt: at, at },
      { type: 'ChallengePassed', deviceId: 'd', challengeId: 'c', solveMs: 812, at },
      { type: 'ChallengeFailed', deviceId: 'd', challengeId: 'c', reason: 'too_slow_for_model', detail: 'slow', consecutiveFailures: 2, solveMs: 9_000, at },
      { type: 'AgentHeartbeatsStopped', deviceId: 'd', lastHeartbeatAt: at, at },
      { type: 'AgentHeartbeatsResumed', deviceId: 'd', firstHeartbeatAt: at, at },
      { type: 'HeartbeatChainRestarted', deviceId: 'd', previousChainNumber: 1, previousLastSequence: 41, previousLastHash: 'cd'.repeat(32), previousLastHeartbeatAt: at, chainNumber: 2, at },
      { type: 'DeviceQualified', deviceId: 'd', challengeId: 'c', uptimeSeconds: 3_600, at },
      { type: 'DeviceDisqualified', deviceId: 'd', reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (wrong result)', at },
      { type: 'ReputationChanged', deviceId: 'd', supplierId: 's', scoreBps: 7_000, previousScoreBps: 6_000, uptime30dBps: 9_000, proofsPassed: 4, proofsFailed: 1, leasesCompleted: 2, at },
    ];
    for (const e of events) expect(roundTrip(deviceVerificationEventCodec, e)).toEqual(e);
  });

  it('round-trips lease-hour, epoch and job events', () => {
    const ref = { leaseId: 'L', deviceId: 'd', hourIndex: 3, hourStart: at, hourEnd: at };
    const verified = { type: 'TimeLockHourVerified' as const, ...ref, heartbeatCount: 120, chainHeadHash: 'ef'.repeat(32), utilisationBasisPoints: 7_500, at };
    expect(roundTrip(leaseHourEventCodec, verified)).toEqual(verified);
    const violated = { type: 'TimeLockViolated' as const, ...ref, violation: 'foreign_process' as const, detail: 'x', at };
    expect(roundTrip(leaseHourEventCodec, violated)).toEqual(violated);
    const root = { type: 'EpochProofRootCommitted' as const, epoch: 12_345, merkleRoot: '01'.repeat(32), leafCount: 7, algorithm: 'sha256-sorted-leaves-v1', epochStart: at, epochEnd: at, at };
    expect(roundTrip(epochProofEventCodec, root)).toEqual(root);
    const job = { type: 'AgentJobReported' as const, jobId: 'j', leaseId: 'L', deviceId: 'd', sequence: 4, kind: 'exited' as const, exitCode: 0, text: '', stream: '', reportedAt: at, at };
    expect(roundTrip(agentJobEventCodec, job)).toEqual(job);
    expect(roundTrip(agentJobEventCodec, { ...job, kind: 'log', exitCode: null, text: 'hello', stream: 'stdout' })).toEqual({ ...job, kind: 'log', exitCode: null, text: 'hello', stream: 'stdout' });
  });
});
