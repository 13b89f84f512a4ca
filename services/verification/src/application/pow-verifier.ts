import { proofOfWorkProblem, type ProofOfWorkChallenge, type ProofOfWorkProblem, type ProofOfWorkResult } from '@ionet/agent-protocol';
import { Worker } from 'node:worker_threads';

/** Verifications at once (each recomputes a memory walk: CPU-bound, sized by the table). */
const CONCURRENT_MAX = 2;
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { proofOfWorkProblem } = require('@ionet/agent-protocol');
parentPort.postMessage(proofOfWorkProblem(workerData.challenge, workerData.result) ?? null);
`;

let running = 0;
const waiting: (() => void)[] = [];

/**
 * proofOfWorkProblem on a worker thread: the memory walk takes from a fraction of a second (simulated
 * sizing) to seconds (large models), and on the event loop it would stall every agent's heartbeats
 * meanwhile. Where a worker cannot load the library (a test run from sources without a build), the
 * check runs in-line.
 */
export async function proofOfWorkProblemOffThread(challenge: Pick<ProofOfWorkChallenge, 'seed' | 'difficultyBits' | 'memoryMib' | 'memoryReads'>, result: Pick<ProofOfWorkResult, 'nonce' | 'memoryDigest'>): Promise<ProofOfWorkProblem | undefined> {
  // The cheap checks first: a malformed answer or a wrong nonce needs no walk.
  const quick = proofOfWorkProblem({ ...challenge, memoryMib: 0, memoryReads: 0 }, result);
  if (quick === 'malformed' || quick === 'wrong_nonce') return quick;
  if (running >= CONCURRENT_MAX) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<ProofOfWorkProblem | undefined>((resolve, reject) => {
      const worker = new Worker(SCRIPT, { eval: true, workerData: { challenge: { seed: challenge.seed, difficultyBits: challenge.difficultyBits, memoryMib: challenge.memoryMib, memoryReads: challenge.memoryReads }, result: { nonce: result.nonce, memoryDigest: result.memoryDigest } } });
      worker.once('message', (problem: ProofOfWorkProblem | null) => resolve(problem ?? undefined));
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the proof-of-work worker exited with ${code}`))));
    });
  } catch {
    return proofOfWorkProblem(challenge, result);
  } finally {
    running--;
    waiting.shift()?.();
  }
}
