import { failureReasonText, type ChallengeFailureReason, type ChallengeOutcome } from '../challenge/challenge-judge';
import { VerificationError } from '../shared/verification.errors';

export type DisqualificationReason = 'repeated_proof_failure' | 'foreign_workload' | 'spoofed_hardware' | 'time_lock_violation';

export interface IssuedChallenge {
  challengeId: string;
  seed: string;
  difficultyBits: number;
  memoryMib: number;
  memoryReads: number;
  gpuModel: string;
  simulated: boolean;
  issuedAt: Date;
  deadlineAt: Date;
}

export type DeviceVerificationEvent =
  | ({ type: 'ChallengeIssued'; deviceId: string; at: Date } & IssuedChallenge)
  | { type: 'ChallengePassed'; deviceId: string; challengeId: string; solveMs: number; at: Date }
  | { type: 'ChallengeFailed'; deviceId: string; challengeId: string; reason: ChallengeFailureReason; detail: string; consecutiveFailures: number; solveMs: number; at: Date }
  | { type: 'AgentHeartbeatsStopped'; deviceId: string; lastHeartbeatAt: Date; at: Date }
  | { type: 'AgentHeartbeatsResumed'; deviceId: string; firstHeartbeatAt: Date; at: Date }
  | {
      type: 'HeartbeatChainRestarted';
      deviceId: string;
      previousChainNumber: number;
      previousLastSequence: number;
      previousLastHash: string;
      previousLastHeartbeatAt: Date;
      chainNumber: number;
      at: Date;
    }
  | { type: 'DeviceQualified'; deviceId: string; challengeId: string; uptimeSeconds: number; at: Date }
  | { type: 'DeviceDisqualified'; deviceId: string; reason: DisqualificationReason; detail: string; at: Date }
  | {
      type: 'ReputationChanged';
      deviceId: string;
      supplierId: string;
      scoreBps: number;
      previousScoreBps: number;
      uptime30dBps: number;
      proofsPassed: number;
      proofsFailed: number;
      leasesCompleted: number;
      at: Date;
    };

export type DeviceVerificationCommand =
  | ({ type: 'IssueChallenge'; deviceId: string; at: Date } & IssuedChallenge)
  | { type: 'JudgeChallenge'; deviceId: string; challengeId: string; outcome: ChallengeOutcome; failuresToDisqualify: number; at: Date }
  | { type: 'RecordHeartbeatsResumed'; deviceId: string; firstHeartbeatAt: Date; at: Date }
  | { type: 'RecordHeartbeatsStopped'; deviceId: string; lastHeartbeatAt: Date; at: Date }
  | {
      type: 'RecordChainRestart';
      deviceId: string;
      previousChainNumber: number;
      previousLastSequence: number;
      previousLastHash: string;
      previousLastHeartbeatAt: Date;
      at: Date;
    }
  | { type: 'Qualify'; deviceId: string; uptimeMs: number; requiredUptimeMs: number; at: Date }
  | { type: 'ReportForeignWorkload'; deviceId: string; detail: string; at: Date }
  | {
      type: 'RecordReputation';
      deviceId: string;
      supplierId: string;
      scoreBps: number;
      uptime30dBps: number;
      proofsPassed: number;
      proofsFailed: number;
      leasesCompleted: number;
      at: Date;
    };

export interface DeviceVerificationState {
  presence: 'never' | 'online' | 'offline';
  outstanding: { challengeId: string; deadlineAt: Date } | null;
  consecutiveFailures: number;
  lastPassedChallengeId: string | null;
  proofsPassed: number;
  proofsFailed: number;
  qualified: boolean;
  disqualified: DisqualificationReason | null;
  chainNumber: number;
  reputationBps: number | null;
}

export const initialDeviceVerificationState: DeviceVerificationState = {
  presence: 'never',
  outstanding: null,
  consecutiveFailures: 0,
  lastPassedChallengeId: null,
  proofsPassed: 0,
  proofsFailed: 0,
  qualified: false,
  disqualified: null,
  chainNumber: 1,
  reputationBps: null,
};

/** The verification side of one device: its proofs of work, presence, qualification and
 *  disqualification, and reputation (ADR 0410). */
export function decideDeviceVerification(command: DeviceVerificationCommand, state: DeviceVerificationState): DeviceVerificationEvent[] {
  const { deviceId, at } = command;
  switch (command.type) {
    case 'IssueChallenge': {
      if (state.disqualified) throw new VerificationError('VERIFICATION.DEVICE_DISQUALIFIED', `device ${deviceId} is disqualified (${state.disqualified}): no more challenges`);
      // One challenge at a time: the next waits for this one's verdict or its deadline.
      if (state.outstanding) return [];
      const { type: _type, ...challenge } = command;
      return [{ type: 'ChallengeIssued', ...challenge }];
    }
    case 'JudgeChallenge': {
      if (state.outstanding?.challengeId !== command.challengeId) {
        throw new VerificationError('VERIFICATION.CHALLENGE_NOT_OUTSTANDING', `challenge ${command.challengeId} is not awaiting a result from device ${deviceId}`);
      }
      const { outcome } = command;
      if (outcome.verdict === 'passed') return [{ type: 'ChallengePassed', deviceId, challengeId: command.challengeId, solveMs: outcome.solveMs, at }];
      return failed(state, deviceId, command.challengeId, outcome.reason, outcome.detail, outcome.solveMs, command.failuresToDisqualify, at);
    }
    case 'RecordHeartbeatsResumed':
      return state.presence === 'online' ? [] : [{ type: 'AgentHeartbeatsResumed', deviceId, firstHeartbeatAt: command.firstHeartbeatAt, at }];
    case 'RecordHeartbeatsStopped':
      return state.presence === 'online' ? [{ type: 'AgentHeartbeatsStopped', deviceId, lastHeartbeatAt: command.lastHeartbeatAt, at }] : [];
    case 'RecordChainRestart':
      return [
        {
          type: 'HeartbeatChainRestarted',
          deviceId,
          previousChainNumber: state.chainNumber,
          previousLastSequence: command.previousLastSequence,
          previousLastHash: command.previousLastHash,
          previousLastHeartbeatAt: command.previousLastHeartbeatAt,
          chainNumber: state.chainNumber + 1,
          at,
        },
      ];
    case 'Qualify':
      if (state.qualified || state.disqualified || state.lastPassedChallengeId === null || command.uptimeMs < command.requiredUptimeMs) return [];
      return [{ type: 'DeviceQualified', deviceId, challengeId: state.lastPassedChallengeId, uptimeSeconds: Math.floor(command.uptimeMs / 1000), at }];
    case 'ReportForeignWorkload':
      if (state.disqualified === 'foreign_workload') return [];
      return [{ type: 'DeviceDisqualified', deviceId, reason: 'foreign_workload', detail: command.detail, at }];
    case 'RecordReputation': {
      if (state.reputationBps === command.scoreBps) return [];
      const { type: _type, ...rest } = command;
      return [{ type: 'ReputationChanged', ...rest, previousScoreBps: state.reputationBps ?? 0 }];
    }
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

function failed(
  state: DeviceVerificationState,
  deviceId: string,
  challengeId: string,
  reason: ChallengeFailureReason,
  detail: string,
  solveMs: number,
  failuresToDisqualify: number,
  at: Date,
): DeviceVerificationEvent[] {
  const consecutiveFailures = state.consecutiveFailures + 1;
  const events: DeviceVerificationEvent[] = [{ type: 'ChallengeFailed', deviceId, challengeId, reason, detail, consecutiveFailures, solveMs, at }];
  if (consecutiveFailures >= failuresToDisqualify && !state.disqualified) {
    events.push({ type: 'DeviceDisqualified', deviceId, reason: 'repeated_proof_failure', detail: `${consecutiveFailures} consecutive proof failures (${failureReasonText(reason)})`, at });
  }
  return events;
}

/** A challenge past its deadline with no result: judged as timed out (the scheduler's command). */
export function expiredChallengeCommand(deviceId: string, challengeId: string, deadlineAt: Date, failuresToDisqualify: number, at: Date): DeviceVerificationCommand {
  return {
    type: 'JudgeChallenge',
    deviceId,
    challengeId,
    outcome: { verdict: 'failed', reason: 'timed_out', detail: `no result before the deadline ${deadlineAt.toISOString()}`, solveMs: 0 },
    failuresToDisqualify,
    at,
  };
}

export function evolveDeviceVerification(state: DeviceVerificationState, event: DeviceVerificationEvent): DeviceVerificationState {
  switch (event.type) {
    case 'ChallengeIssued':
      return { ...state, outstanding: { challengeId: event.challengeId, deadlineAt: event.deadlineAt } };
    case 'ChallengePassed':
      return { ...state, outstanding: null, consecutiveFailures: 0, lastPassedChallengeId: event.challengeId, proofsPassed: state.proofsPassed + 1 };
    case 'ChallengeFailed':
      return { ...state, outstanding: null, consecutiveFailures: event.consecutiveFailures, proofsFailed: state.proofsFailed + 1 };
    case 'AgentHeartbeatsStopped':
      return { ...state, presence: 'offline' };
    case 'AgentHeartbeatsResumed':
      return { ...state, presence: 'online' };
    case 'HeartbeatChainRestarted':
      return { ...state, chainNumber: event.chainNumber };
    case 'DeviceQualified':
      return { ...state, qualified: true };
    case 'DeviceDisqualified':
      return { ...state, disqualified: event.reason };
    case 'ReputationChanged':
      return { ...state, reputationBps: event.scoreBps };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}
