import type { ProofOfWorkChallenge, ProofOfWorkResult } from '@ionet/agent-protocol';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Test hooks, named so nobody mistakes them for settings: they make this agent fail on purpose. */
export interface UnsafeTestHooks {
  /** Changes the memory digest, so the answer is wrong. */
  corruptProof: boolean;
  /** Sleeps this long inside the measured solve, so the answer is too slow. */
  proofDelayMs: number;
}

const WORKER_FILE = join(__dirname, 'proof-of-work.worker.js');

/** Solves a challenge in a worker thread (the built agent) and applies the test hooks. */
export async function solveInWorker(challenge: ProofOfWorkChallenge, hooks: UnsafeTestHooks, nowMs: () => number = Date.now): Promise<ProofOfWorkResult> {
  if (!existsSync(WORKER_FILE)) throw new Error(`${WORKER_FILE} is missing: build the agent (npx tsc -b services/worker-agent)`);
  const started = nowMs();
  const result = await new Promise<ProofOfWorkResult>((resolve, reject) => {
    const worker = new Worker(WORKER_FILE, { workerData: { seed: challenge.seed, difficultyBits: challenge.difficultyBits, memoryMib: challenge.memoryMib, memoryReads: challenge.memoryReads } });
    worker.once('message', (m: ProofOfWorkResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the proof-of-work worker exited with ${code}`))));
  });
  if (hooks.proofDelayMs > 0) await new Promise((r) => setTimeout(r, hooks.proofDelayMs));
  return applyHooks({ ...result, solveMs: Math.max(result.solveMs, nowMs() - started) }, hooks);
}

export function applyHooks(result: ProofOfWorkResult, hooks: UnsafeTestHooks): ProofOfWorkResult {
  if (!hooks.corruptProof) return result;
  const last = result.memoryDigest.slice(-1);
  return { ...result, memoryDigest: `${result.memoryDigest.slice(0, -1)}${last === '0' ? '1' : '0'}` };
}
