import { enumCodec, verificationV1 } from '@ionet/contracts';
import { JOB_EVENT_KINDS } from '@ionet/agent-protocol';
import { eventCodec } from '@ionet/eventing';
import type { AgentJobEvent, AgentJobEventKind } from '../../domain/agent-job/agent-job.decider';
import type { ChallengeFailureReason } from '../../domain/challenge/challenge-judge';
import type { DeviceVerificationEvent, DisqualificationReason } from '../../domain/device/device-verification.decider';
import type { EpochProofEvent } from '../../domain/epoch/epoch-proof.decider';
import type { LeaseHourEvent } from '../../domain/time-lock/lease-hour.decider';
import type { TimeLockViolation } from '../../domain/time-lock/lease-hour';

// Asserted at start-up: the domain's names are exactly the contract's, so the casts below hold.
enumCodec(verificationV1.ChallengeFailureReasonSchema, ['wrong_result', 'timed_out', 'too_slow_for_model', 'vram_mismatch']);
enumCodec(verificationV1.TimeLockViolationSchema, ['chain_broken', 'bad_signature', 'gap_exceeded', 'foreign_process', 'no_heartbeats']);
enumCodec(verificationV1.DisqualificationReasonSchema, ['repeated_proof_failure', 'foreign_workload', 'spoofed_hardware', 'time_lock_violation']);
enumCodec(verificationV1.AgentJobEventKindSchema, JOB_EVENT_KINDS);

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

export const deviceVerificationEventCodec = eventCodec<DeviceVerificationEvent>()({
  ChallengeIssued: {
    schema: verificationV1.ChallengeIssuedSchema,
    toWire: (e) => ({
      challengeId: e.challengeId,
      deviceId: e.deviceId,
      seed: bytes(e.seed),
      difficulty: e.difficultyBits,
      issuedAt: e.issuedAt,
      deadlineAt: e.deadlineAt,
      memoryMib: e.memoryMib,
      memoryReads: e.memoryReads,
      gpuModel: e.gpuModel,
      simulated: e.simulated,
    }),
    fromWire: (w) => ({
      type: 'ChallengeIssued',
      challengeId: w.challengeId,
      deviceId: w.deviceId,
      seed: hex(w.seed),
      difficultyBits: w.difficulty,
      memoryMib: w.memoryMib,
      memoryReads: w.memoryReads,
      gpuModel: w.gpuModel,
      simulated: w.simulated,
      issuedAt: w.issuedAt!,
      deadlineAt: w.deadlineAt!,
      at: w.issuedAt!,
    }),
  },
  ChallengePassed: {
    schema: verificationV1.ChallengePassedSchema,
    toWire: (e) => ({ challengeId: e.challengeId, deviceId: e.deviceId, solveDurationMs: BigInt(e.solveMs), passedAt: e.at }),
    fromWire: (w) => ({ type: 'ChallengePassed', challengeId: w.challengeId, deviceId: w.deviceId, solveMs: Number(w.solveDurationMs), at: w.passedAt! }),
  },
  ChallengeFailed: {
    schema: verificationV1.ChallengeFailedSchema,
    toWire: (e) => ({
      challengeId: e.challengeId,
      deviceId: e.deviceId,
      reason: e.reason,
      consecutiveFailures: e.consecutiveFailures,
      failedAt: e.at,
      detail: e.detail,
      solveDurationMs: BigInt(e.solveMs),
    }),
    fromWire: (w) => ({
      type: 'ChallengeFailed',
      challengeId: w.challengeId,
      deviceId: w.deviceId,
      reason: w.reason as ChallengeFailureReason,
      detail: w.detail,
      consecutiveFailures: w.consecutiveFailures,
      solveMs: Number(w.solveDurationMs),
      at: w.failedAt!,
    }),
  },
  AgentHeartbeatsStopped: {
    schema: verificationV1.AgentHeartbeatsStoppedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, lastHeartbeatAt: e.lastHeartbeatAt, detectedAt: e.at }),
    fromWire: (w) => ({ type: 'AgentHeartbeatsStopped', deviceId: w.deviceId, lastHeartbeatAt: w.lastHeartbeatAt!, at: w.detectedAt! }),
  },
  AgentHeartbeatsResumed: {
    schema: verificationV1.AgentHeartbeatsResumedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, firstHeartbeatAt: e.firstHeartbeatAt, resumedAt: e.at }),
    fromWire: (w) => ({ type: 'AgentHeartbeatsResumed', deviceId: w.deviceId, firstHeartbeatAt: w.firstHeartbeatAt!, at: w.resumedAt! }),
  },
  HeartbeatChainRestarted: {
    schema: verificationV1.HeartbeatChainRestartedSchema,
    toWire: (e) => ({
      deviceId: e.deviceId,
      previousChainNumber: e.previousChainNumber,
      previousLastSequence: BigInt(e.previousLastSequence),
      previousLastHash: bytes(e.previousLastHash),
      chainNumber: e.chainNumber,
      previousLastHeartbeatAt: e.previousLastHeartbeatAt,
      restartedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'HeartbeatChainRestarted',
      deviceId: w.deviceId,
      previousChainNumber: w.previousChainNumber,
      previousLastSequence: Number(w.previousLastSequence),
      previousLastHash: hex(w.previousLastHash),
      chainNumber: w.chainNumber,
      previousLastHeartbeatAt: w.previousLastHeartbeatAt!,
      at: w.restartedAt!,
    }),
  },
  DeviceQualified: {
    schema: verificationV1.DeviceQualifiedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, challengeId: e.challengeId, uptimeSeconds: BigInt(e.uptimeSeconds), qualifiedAt: e.at }),
    fromWire: (w) => ({ type: 'DeviceQualified', deviceId: w.deviceId, challengeId: w.challengeId, uptimeSeconds: Number(w.uptimeSeconds), at: w.qualifiedAt! }),
  },
  DeviceDisqualified: {
    schema: verificationV1.DeviceDisqualifiedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, reason: e.reason, detail: e.detail, disqualifiedAt: e.at }),
    fromWire: (w) => ({ type: 'DeviceDisqualified', deviceId: w.deviceId, reason: w.reason as DisqualificationReason, detail: w.detail, at: w.disqualifiedAt! }),
  },
  ReputationChanged: {
    schema: verificationV1.ReputationChangedSchema,
    toWire: (e) => ({
      deviceId: e.deviceId,
      supplierId: e.supplierId,
      scoreBasisPoints: e.scoreBps,
      previousScoreBasisPoints: e.previousScoreBps,
      uptime30dBasisPoints: e.uptime30dBps,
      proofsPassed: BigInt(e.proofsPassed),
      proofsFailed: BigInt(e.proofsFailed),
      leasesCompleted: BigInt(e.leasesCompleted),
      changedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'ReputationChanged',
      deviceId: w.deviceId,
      supplierId: w.supplierId,
      scoreBps: w.scoreBasisPoints,
      previousScoreBps: w.previousScoreBasisPoints,
      uptime30dBps: w.uptime30dBasisPoints,
      proofsPassed: Number(w.proofsPassed),
      proofsFailed: Number(w.proofsFailed),
      leasesCompleted: Number(w.leasesCompleted),
      at: w.changedAt!,
    }),
  },
});

export const leaseHourEventCodec = eventCodec<LeaseHourEvent>()({
  TimeLockHourVerified: {
    schema: verificationV1.TimeLockHourVerifiedSchema,
    toWire: (e) => ({
      leaseId: e.leaseId,
      deviceId: e.deviceId,
      hourIndex: e.hourIndex,
      hourStart: e.hourStart,
      hourEnd: e.hourEnd,
      heartbeatCount: e.heartbeatCount,
      chainHeadHash: bytes(e.chainHeadHash),
      gpuUtilisationBasisPoints: e.utilisationBasisPoints,
      verifiedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'TimeLockHourVerified',
      leaseId: w.leaseId,
      deviceId: w.deviceId,
      hourIndex: w.hourIndex,
      hourStart: w.hourStart!,
      hourEnd: w.hourEnd!,
      heartbeatCount: w.heartbeatCount,
      chainHeadHash: hex(w.chainHeadHash),
      utilisationBasisPoints: w.gpuUtilisationBasisPoints,
      at: w.verifiedAt!,
    }),
  },
  TimeLockViolated: {
    schema: verificationV1.TimeLockViolatedSchema,
    toWire: (e) => ({ leaseId: e.leaseId, deviceId: e.deviceId, hourIndex: e.hourIndex, hourStart: e.hourStart, hourEnd: e.hourEnd, violation: e.violation, detail: e.detail, detectedAt: e.at }),
    fromWire: (w) => ({
      type: 'TimeLockViolated',
      leaseId: w.leaseId,
      deviceId: w.deviceId,
      hourIndex: w.hourIndex,
      hourStart: w.hourStart!,
      hourEnd: w.hourEnd!,
      violation: w.violation as TimeLockViolation,
      detail: w.detail,
      at: w.detectedAt!,
    }),
  },
});

export const epochProofEventCodec = eventCodec<EpochProofEvent>()({
  EpochProofRootCommitted: {
    schema: verificationV1.EpochProofRootCommittedSchema,
    toWire: (e) => ({
      epochNumber: BigInt(e.epoch),
      merkleRoot: bytes(e.merkleRoot),
      leafCount: BigInt(e.leafCount),
      // The on-chain commit comes with the token issue (tokenomics' chain gateway): empty until then.
      chainTransactionSignature: '',
      epochStart: e.epochStart,
      committedAt: e.at,
      merkleAlgorithm: e.algorithm,
      epochEnd: e.epochEnd,
    }),
    fromWire: (w) => ({
      type: 'EpochProofRootCommitted',
      epoch: Number(w.epochNumber),
      merkleRoot: hex(w.merkleRoot),
      leafCount: Number(w.leafCount),
      algorithm: w.merkleAlgorithm,
      epochStart: w.epochStart!,
      epochEnd: w.epochEnd!,
      at: w.committedAt!,
    }),
  },
});

export const agentJobEventCodec = eventCodec<AgentJobEvent>()({
  AgentJobReported: {
    schema: verificationV1.AgentJobReportedSchema,
    toWire: (e) => ({
      jobId: e.jobId,
      leaseId: e.leaseId,
      deviceId: e.deviceId,
      sequence: BigInt(e.sequence),
      kind: e.kind,
      exitCode: e.exitCode ?? undefined,
      text: e.text,
      stream: e.stream,
      reportedAt: e.reportedAt,
      receivedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'AgentJobReported',
      jobId: w.jobId,
      leaseId: w.leaseId,
      deviceId: w.deviceId,
      sequence: Number(w.sequence),
      kind: w.kind as AgentJobEventKind,
      exitCode: w.exitCode ?? null,
      text: w.text,
      stream: w.stream,
      reportedAt: w.reportedAt!,
      at: w.receivedAt!,
    }),
  },
});
