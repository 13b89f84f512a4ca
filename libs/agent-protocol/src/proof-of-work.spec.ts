import { leadingZeroBits, memoryDigest, proofOfWorkProblem, solveChallenge } from './proof-of-work';

describe('proof of work', () => {
  const challenge = { seed: 'ab'.repeat(32), difficultyBits: 12, memoryMib: 2, memoryReads: 20_000 };

  it('solves a challenge that its verifier accepts', () => {
    const result = solveChallenge(challenge);
    expect(proofOfWorkProblem(challenge, result)).toBeUndefined();
    expect(result.solveMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses a wrong nonce, a wrong memory digest and a malformed answer', () => {
    const result = solveChallenge(challenge);
    // The smallest nonce that solves is found, so the one before it fails.
    if (result.nonce !== '0') expect(proofOfWorkProblem(challenge, { ...result, nonce: String(Number(result.nonce) - 1) })).toBe('wrong_nonce');
    const otherDigest = memoryDigest(challenge.seed, 1, challenge.memoryReads);
    expect(proofOfWorkProblem({ ...challenge, difficultyBits: 0 }, { nonce: '0', memoryDigest: otherDigest })).toBe('wrong_memory_digest');
    expect(proofOfWorkProblem(challenge, { nonce: '-1', memoryDigest: result.memoryDigest })).toBe('malformed');
    expect(proofOfWorkProblem(challenge, { nonce: '1', memoryDigest: 'zz' })).toBe('malformed');
  });

  it('makes the memory digest depend on the seed, the size and the reads', () => {
    const base = memoryDigest(challenge.seed, 1, 100);
    expect(memoryDigest('cd'.repeat(32), 1, 100)).not.toBe(base);
    expect(memoryDigest(challenge.seed, 2, 100)).not.toBe(base);
    expect(memoryDigest(challenge.seed, 1, 101)).not.toBe(base);
    expect(memoryDigest(challenge.seed, 1, 100)).toBe(base);
  });

  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0x10]))).toBe(19);
    expect(leadingZeroBits(Uint8Array.from([0x80]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0, 0]))).toBe(16);
  });
});
