import type { ProofOfWorkProblem } from '@ionet/agent-protocol';

export type ChallengeFailureReason = 'wrong_result' | 'timed_out' | 'too_slow_for_model';

export type ChallengeOutcome = { verdict: 'passed'; solveMs: number } | { verdict: 'failed'; reason: ChallengeFailureReason; detail: string; solveMs: number };

export interface ChallengeAnswer {
  /** proofOfWorkProblem's answer for the result (computed by the caller: it costs the memory walk). */
  problem: ProofOfWorkProblem | undefined;
  solveMs: number;
  receivedAt: Date;
}

/** Judges a result: late beyond the deadline, wrong, or slower than the claimed model allows. */
export function judgeChallenge(challenge: { deadlineAt: Date; solveMsMax: number; sizedFor: string }, answer: ChallengeAnswer): ChallengeOutcome {
  const solveMs = Number.isSafeInteger(answer.solveMs) && answer.solveMs >= 0 ? answer.solveMs : 0;
  if (answer.receivedAt.getTime() > challenge.deadlineAt.getTime()) {
    return { verdict: 'failed', reason: 'timed_out', detail: `the result arrived after the deadline ${challenge.deadlineAt.toISOString()}`, solveMs };
  }
  if (answer.problem) {
    const what = answer.problem === 'wrong_memory_digest' ? 'the memory digest is wrong' : answer.problem === 'wrong_nonce' ? 'the nonce does not meet the difficulty' : 'the result is malformed';
    return { verdict: 'failed', reason: 'wrong_result', detail: what, solveMs };
  }
  if (!Number.isSafeInteger(answer.solveMs) || answer.solveMs < 0) return { verdict: 'failed', reason: 'wrong_result', detail: 'solveMs must be a non-negative integer', solveMs };
  if (answer.solveMs > challenge.solveMsMax) {
    return { verdict: 'failed', reason: 'too_slow_for_model', detail: `solved in ${answer.solveMs} ms; ${challenge.sizedFor} must within ${challenge.solveMsMax} ms`, solveMs };
  }
  return { verdict: 'passed', solveMs };
}

export function failureReasonText(reason: ChallengeFailureReason): string {
  return reason === 'wrong_result' ? 'wrong result' : reason === 'timed_out' ? 'deadline passed' : 'too slow';
}
