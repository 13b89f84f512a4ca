import { judgeChallenge } from './challenge-judge';
import { DEFAULT_PROOF_OF_WORK_TABLE, parseProofOfWorkTable, sizingFor } from './proof-of-work-table';

const deadlineAt = new Date('2026-12-01T10:02:00Z');
const challenge = { deadlineAt, solveMsMax: 20_000, sizedFor: 'RTX-4090' };
const before = new Date('2026-12-01T10:01:00Z');

describe('judging a proof-of-work answer', () => {
  it('passes a right answer in time and fast enough', () => {
    expect(judgeChallenge(challenge, { problem: undefined, solveMs: 19_999, receivedAt: before })).toEqual({ verdict: 'passed', solveMs: 19_999 });
  });

  it('fails a wrong result, saying what was wrong', () => {
    expect(judgeChallenge(challenge, { problem: 'wrong_memory_digest', solveMs: 100, receivedAt: before })).toMatchObject({ verdict: 'failed', reason: 'wrong_result', detail: 'the memory digest is wrong' });
    expect(judgeChallenge(challenge, { problem: 'wrong_nonce', solveMs: 100, receivedAt: before })).toMatchObject({ verdict: 'failed', reason: 'wrong_result', detail: 'the nonce does not meet the difficulty' });
    expect(judgeChallenge(challenge, { problem: undefined, solveMs: -1, receivedAt: before })).toMatchObject({ verdict: 'failed', reason: 'wrong_result' });
  });

  it('fails a solve slower than the claimed model allows', () => {
    expect(judgeChallenge(challenge, { problem: undefined, solveMs: 20_001, receivedAt: before })).toEqual({ verdict: 'failed', reason: 'too_slow_for_model', detail: 'solved in 20001 ms; RTX-4090 must within 20000 ms', solveMs: 20_001 });
  });

  it('fails an answer after the deadline, right or wrong', () => {
    const late = new Date(deadlineAt.getTime() + 1);
    expect(judgeChallenge(challenge, { problem: undefined, solveMs: 10, receivedAt: late })).toMatchObject({ verdict: 'failed', reason: 'timed_out' });
    expect(judgeChallenge(challenge, { problem: 'wrong_nonce', solveMs: 10, receivedAt: late })).toMatchObject({ verdict: 'failed', reason: 'timed_out' });
  });
});

describe('the proof-of-work table', () => {
  it('sizes simulated GPUs as CPU work, CPU devices as CPU work, known models by name and others by default', () => {
    const t = DEFAULT_PROOF_OF_WORK_TABLE;
    expect(sizingFor(t, { hasGpu: true, canonicalGpuModel: 'H100-80GB', simulated: true }).key).toBe('simulated');
    expect(sizingFor(t, { hasGpu: false, canonicalGpuModel: null, simulated: false }).key).toBe('cpu');
    expect(sizingFor(t, { hasGpu: true, canonicalGpuModel: 'H100-80GB', simulated: false })).toEqual({ key: 'H100-80GB', sizing: t['H100-80GB'] });
    expect(sizingFor(t, { hasGpu: true, canonicalGpuModel: 'A10', simulated: false }).key).toBe('default');
    expect(sizingFor(t, { hasGpu: true, canonicalGpuModel: null, simulated: false }).key).toBe('default');
  });

  it('takes entries from configuration over the defaults and refuses sizes outside the protocol\'s limits', () => {
    const t = parseProofOfWorkTable({ L4: { difficultyBits: 14, memoryMib: 32, memoryReads: 10_000, solveMsMax: 9_000, deadlineMs: 60_000 } });
    expect(t.L4).toEqual({ difficultyBits: 14, memoryMib: 32, memoryReads: 10_000, solveMsMax: 9_000, deadlineMs: 60_000 });
    expect(t['H100-80GB']).toEqual(DEFAULT_PROOF_OF_WORK_TABLE['H100-80GB']);
    expect(() => parseProofOfWorkTable({ L4: { difficultyBits: 14, memoryMib: 99_999, memoryReads: 1, solveMsMax: 1, deadlineMs: 1 } })).toThrow(/L4/);
    expect(() => parseProofOfWorkTable({ L4: { difficultyBits: 14, memoryMib: 1, memoryReads: 1, solveMsMax: 1, deadlineMs: 16 * 60_000 } })).toThrow(/15 minutes/);
    expect(() => parseProofOfWorkTable([])).toThrow();
  });
});
