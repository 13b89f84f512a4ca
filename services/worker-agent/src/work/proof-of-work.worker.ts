import { solveChallenge, type ProofOfWorkChallenge } from '@ionet/agent-protocol';
import { parentPort, workerData } from 'node:worker_threads';

// Runs in a worker thread: the memory walk and the hash search are CPU-bound and would otherwise
// stop heartbeats and the long poll for the length of a solve.
const challenge = workerData as Pick<ProofOfWorkChallenge, 'seed' | 'difficultyBits' | 'memoryMib' | 'memoryReads'>;
parentPort?.postMessage(solveChallenge(challenge));
