import { deciderSpec } from '@ionet/testing';
import {
  decideDeviceVerification,
  evolveDeviceVerification,
  expiredChallengeCommand,
  initialDeviceVerificationState,
  type DeviceVerificationCommand,
  type DeviceVerificationEvent,
  type IssuedChallenge,
} from './device-verification.decider';

const spec = deciderSpec({ decide: decideDeviceVerification, evolve: evolveDeviceVerification, initialState: initialDeviceVerificationState });
const D = 'dev-1';
const at = new Date('2026-12-01T10:00:00Z');
const later = (min: number) => new Date(at.getTime() + min * 60_000);
const challenge = (id: string): IssuedChallenge => ({
  challengeId: id,
  seed: 'ab'.repeat(32),
  difficultyBits: 12,
  memoryMib: 8,
  memoryReads: 50_000,
  gpuModel: 'simulated',
  simulated: true,
  issuedAt: at,
  deadlineAt: later(2),
});
const issued = (id: string): DeviceVerificationEvent => ({ type: 'ChallengeIssued', deviceId: D, at, ...challenge(id) });
const passed = (id: string): DeviceVerificationEvent => ({ type: 'ChallengePassed', deviceId: D, challengeId: id, solveMs: 400, at });
const failed = (id: string, consecutiveFailures: number): DeviceVerificationEvent => ({
  type: 'ChallengeFailed',
  deviceId: D,
  challengeId: id,
  reason: 'wrong_result',
  detail: 'the memory digest is wrong',
  consecutiveFailures,
  solveMs: 400,
  at,
});
const judge = (id: string, outcome: Extract<DeviceVerificationCommand, { type: 'JudgeChallenge' }>['outcome']): DeviceVerificationCommand => ({
  type: 'JudgeChallenge',
  deviceId: D,
  challengeId: id,
  outcome,
  failuresToDisqualify: 3,
  at,
});
const wrong = { verdict: 'failed' as const, reason: 'wrong_result' as const, detail: 'the memory digest is wrong', solveMs: 400 };
const resumed: DeviceVerificationEvent = { type: 'AgentHeartbeatsResumed', deviceId: D, firstHeartbeatAt: at, at };

describe('device verification decider: challenges', () => {
  it('issues a challenge, and none while one is outstanding', () => {
    spec.given([]).when({ type: 'IssueChallenge', deviceId: D, at, ...challenge('c1') }).then([issued('c1')]);
    spec.given([issued('c1')]).when({ type: 'IssueChallenge', deviceId: D, at, ...challenge('c2') }).then([]);
    spec.given([issued('c1'), passed('c1')]).when({ type: 'IssueChallenge', deviceId: D, at, ...challenge('c2') }).then([issued('c2')]);
  });

  it('judges only the outstanding challenge', () => {
    spec.given([]).when(judge('c1', { verdict: 'passed', solveMs: 400 })).thenRefused('VERIFICATION.CHALLENGE_NOT_OUTSTANDING');
    spec.given([issued('c1'), passed('c1')]).when(judge('c1', { verdict: 'passed', solveMs: 400 })).thenRefused('VERIFICATION.CHALLENGE_NOT_OUTSTANDING');
    spec.given([issued('c1')]).when(judge('c1', { verdict: 'passed', solveMs: 400 })).then([passed('c1')]);
  });

  it('counts consecutive failures; a pass resets the count', () => {
    spec.given([issued('c1')]).when(judge('c1', wrong)).then([failed('c1', 1)]);
    spec.given([issued('c1'), failed('c1', 1), issued('c2')]).when(judge('c2', wrong)).then([failed('c2', 2)]);
    spec.given([issued('c1'), failed('c1', 1), issued('c2'), passed('c2'), issued('c3')]).when(judge('c3', wrong)).then([failed('c3', 1)]);
  });

  it('disqualifies at the configured number of consecutive failures, with the reason in words', () => {
    spec
      .given([issued('c1'), failed('c1', 1), issued('c2'), failed('c2', 2), issued('c3')])
      .when(judge('c3', { verdict: 'failed', reason: 'too_slow_for_model', detail: 'slow', solveMs: 9_000 }))
      .then([
        { type: 'ChallengeFailed', deviceId: D, challengeId: 'c3', reason: 'too_slow_for_model', detail: 'slow', consecutiveFailures: 3, solveMs: 9_000, at },
        { type: 'DeviceDisqualified', deviceId: D, reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (too slow)', at },
      ]);
  });

  it('refuses challenges to a disqualified device', () => {
    spec
      .given([{ type: 'DeviceDisqualified', deviceId: D, reason: 'foreign_workload', detail: 'x', at }])
      .when({ type: 'IssueChallenge', deviceId: D, at, ...challenge('c9') })
      .thenRefused('VERIFICATION.DEVICE_DISQUALIFIED');
  });

  it('fails an overdue challenge as timed out ("deadline passed")', () => {
    spec
      .given([issued('c1'), failed('c1', 1), issued('c2'), failed('c2', 2), issued('c3')])
      .when(expiredChallengeCommand(D, 'c3', later(2), 3, later(3)))
      .then([
        { type: 'ChallengeFailed', deviceId: D, challengeId: 'c3', reason: 'timed_out', detail: `no result before the deadline ${later(2).toISOString()}`, consecutiveFailures: 3, solveMs: 0, at: later(3) },
        { type: 'DeviceDisqualified', deviceId: D, reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (deadline passed)', at: later(3) },
      ]);
  });
});

describe('device verification decider: presence, qualification, workload, reputation', () => {
  it('records the first heartbeat and a return after silence as resumed, silence once as stopped', () => {
    spec.given([]).when({ type: 'RecordHeartbeatsResumed', deviceId: D, firstHeartbeatAt: at, at }).then([resumed]);
    spec.given([resumed]).when({ type: 'RecordHeartbeatsResumed', deviceId: D, firstHeartbeatAt: at, at }).then([]);
    spec.given([resumed]).when({ type: 'RecordHeartbeatsStopped', deviceId: D, lastHeartbeatAt: at, at: later(5) }).then([{ type: 'AgentHeartbeatsStopped', deviceId: D, lastHeartbeatAt: at, at: later(5) }]);
    spec.given([]).when({ type: 'RecordHeartbeatsStopped', deviceId: D, lastHeartbeatAt: at, at }).then([]);
    spec
      .given([resumed, { type: 'AgentHeartbeatsStopped', deviceId: D, lastHeartbeatAt: at, at }])
      .when({ type: 'RecordHeartbeatsResumed', deviceId: D, firstHeartbeatAt: later(9), at: later(9) })
      .then([{ type: 'AgentHeartbeatsResumed', deviceId: D, firstHeartbeatAt: later(9), at: later(9) }]);
  });

  it('qualifies a pending device only with a pass and the uptime, and once', () => {
    const qualify = (uptimeMs: number): DeviceVerificationCommand => ({ type: 'Qualify', deviceId: D, uptimeMs, requiredUptimeMs: 3_600_000, at });
    spec.given([]).when(qualify(7_200_000)).then([]);
    spec.given([issued('c1'), failed('c1', 1)]).when(qualify(7_200_000)).then([]);
    spec.given([issued('c1'), passed('c1')]).when(qualify(3_599_999)).then([]);
    spec.given([issued('c1'), passed('c1')]).when(qualify(3_600_500)).then([{ type: 'DeviceQualified', deviceId: D, challengeId: 'c1', uptimeSeconds: 3_600, at }]);
    spec.given([issued('c1'), passed('c1'), { type: 'DeviceQualified', deviceId: D, challengeId: 'c1', uptimeSeconds: 3_600, at }]).when(qualify(9_000_000)).then([]);
    spec.given([issued('c1'), passed('c1'), { type: 'DeviceDisqualified', deviceId: D, reason: 'foreign_workload', detail: 'x', at }]).when(qualify(9_000_000)).then([]);
  });

  it('disqualifies for foreign workload once', () => {
    const report: DeviceVerificationCommand = { type: 'ReportForeignWorkload', deviceId: D, detail: 'lease L hour 0', at };
    const dq: DeviceVerificationEvent = { type: 'DeviceDisqualified', deviceId: D, reason: 'foreign_workload', detail: 'lease L hour 0', at };
    spec.given([]).when(report).then([dq]);
    spec.given([dq]).when(report).then([]);
  });

  it('numbers chains: a restart moves to the next chain', () => {
    const restart: DeviceVerificationCommand = { type: 'RecordChainRestart', deviceId: D, previousChainNumber: 1, previousLastSequence: 41, previousLastHash: 'cd'.repeat(32), previousLastHeartbeatAt: at, at: later(1) };
    const first: DeviceVerificationEvent = { type: 'HeartbeatChainRestarted', deviceId: D, previousChainNumber: 1, previousLastSequence: 41, previousLastHash: 'cd'.repeat(32), previousLastHeartbeatAt: at, chainNumber: 2, at: later(1) };
    spec.given([]).when(restart).then([first]);
    spec.given([first]).when(restart).then([{ ...first, previousChainNumber: 2, chainNumber: 3 }]);
  });

  it('publishes a reputation only when the score changes', () => {
    const record = (scoreBps: number): DeviceVerificationCommand => ({ type: 'RecordReputation', deviceId: D, supplierId: 's', scoreBps, uptime30dBps: 9_000, proofsPassed: 3, proofsFailed: 0, leasesCompleted: 1, at });
    const changed: DeviceVerificationEvent = { type: 'ReputationChanged', deviceId: D, supplierId: 's', scoreBps: 7_700, previousScoreBps: 0, uptime30dBps: 9_000, proofsPassed: 3, proofsFailed: 0, leasesCompleted: 1, at };
    spec.given([]).when(record(7_700)).then([changed]);
    spec.given([changed]).when(record(7_700)).then([]);
    spec.given([changed]).when(record(7_800)).then([{ ...changed, scoreBps: 7_800, previousScoreBps: 7_700 }]);
  });
});
