import { createHash } from 'node:crypto';

/** A proof-of-work challenge: a memory walk sized by the verifier, then a hash puzzle. */
export interface ProofOfWorkChallenge {
  challengeId: string;
  deviceId: string;
  /** 32 bytes, hex. */
  seed: string;
  difficultyBits: number;
  memoryMib: number;
  memoryReads: number;
  issuedAt: string;
  deadlineAt: string;
}

export interface ProofOfWorkResult {
  /** Decimal. */
  nonce: string;
  memoryDigest: string;
  solveMs: number;
}

const BLOCK_BYTES = 32;
const BLOCKS_PER_MIB = (1024 * 1024) / BLOCK_BYTES;
export const PROOF_OF_WORK_LIMITS = { difficultyBitsMax: 40, memoryMibMax: 4096, memoryReadsMax: 10_000_000 } as const;

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Fills `memoryMib` MiB sequentially (each block the hash of the one before and its index, so it
 *  cannot be computed out of order), then walks it with `memoryReads` dependent reads: the digest
 *  needs the whole fill in memory (or its recomputation for every read). */
export function memoryDigest(seedHex: string, memoryMib: number, memoryReads: number): string {
  const seed = Buffer.from(seedHex, 'hex');
  const blocks = Math.max(1, Math.trunc(memoryMib * BLOCKS_PER_MIB));
  const memory = Buffer.allocUnsafe(blocks * BLOCK_BYTES);
  const index = Buffer.alloc(4);
  let block = sha256(seed, Buffer.from('mem'));
  block.copy(memory, 0);
  for (let i = 1; i < blocks; i++) {
    index.writeUInt32BE(i);
    block = sha256(block, index);
    block.copy(memory, i * BLOCK_BYTES);
  }
  let acc = sha256(seed);
  for (let r = 0; r < memoryReads; r++) {
    const at = (acc.readUInt32BE(0) % blocks) * BLOCK_BYTES;
    acc = sha256(acc, memory.subarray(at, at + BLOCK_BYTES));
  }
  return acc.toString('hex');
}

export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

function puzzleHash(seed: Buffer, digest: string, nonce: string): Buffer {
  return sha256(seed, Buffer.from(digest, 'hex'), Buffer.from(nonce, 'utf8'));
}

/** Solves a challenge (CPU, in-process). `nowMs` measures the solve time the agent reports. */
export function solveChallenge(challenge: Pick<ProofOfWorkChallenge, 'seed' | 'difficultyBits' | 'memoryMib' | 'memoryReads'>, nowMs: () => number = Date.now): ProofOfWorkResult {
  const started = nowMs();
  const digest = memoryDigest(challenge.seed, challenge.memoryMib, challenge.memoryReads);
  const seed = Buffer.from(challenge.seed, 'hex');
  for (let n = 0; ; n++) {
    const nonce = String(n);
    if (leadingZeroBits(puzzleHash(seed, digest, nonce)) >= challenge.difficultyBits) return { nonce, memoryDigest: digest, solveMs: nowMs() - started };
  }
}

export type ProofOfWorkProblem = 'malformed' | 'wrong_memory_digest' | 'wrong_nonce';

/** Checks an answer: the memory digest recomputed (its cost bounded by the memory the verifier chose)
 *  and one hash for the puzzle. Timing is judged by the caller against its per-model table. */
export function proofOfWorkProblem(challenge: Pick<ProofOfWorkChallenge, 'seed' | 'difficultyBits' | 'memoryMib' | 'memoryReads'>, result: Pick<ProofOfWorkResult, 'nonce' | 'memoryDigest'>): ProofOfWorkProblem | undefined {
  if (typeof result?.nonce !== 'string' || !/^\d{1,20}$/.test(result.nonce) || typeof result.memoryDigest !== 'string' || !/^[0-9a-f]{64}$/.test(result.memoryDigest)) return 'malformed';
  if (leadingZeroBits(puzzleHash(Buffer.from(challenge.seed, 'hex'), result.memoryDigest, result.nonce)) < challenge.difficultyBits) return 'wrong_nonce';
  if (memoryDigest(challenge.seed, challenge.memoryMib, challenge.memoryReads) !== result.memoryDigest) return 'wrong_memory_digest';
  return undefined;
}
