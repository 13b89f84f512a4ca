import { createHash } from 'node:crypto';
import { signBytes, verifyBytes, type AgentKey } from './keys';

export const HEARTBEAT_SCHEME = 'IONET-HB-V1';
/** The previous hash of a chain's first heartbeat. */
export const GENESIS_HASH = '0'.repeat(64);
const HASH_PATTERN = /^[0-9a-f]{64}$/;

export interface HeartbeatGpu {
  uuid: string;
  /** 0..10000. */
  utilisationBasisPoints: number;
  memoryUsedMib: number;
}

/** What an agent reports every interval. `at` is platform time (RFC 3339), estimated by the agent
 *  from its last sync with the platform's clock. */
export interface Heartbeat {
  deviceId: string;
  sequence: number;
  previousHash: string;
  at: string;
  leaseId: string | null;
  gpus: HeartbeatGpu[];
  /** sha256 hex of the sorted lines describing the processes and containers on the GPUs. */
  processDigest: string;
  /** Processes on the GPUs that are not the leased job's (or any, when idle and not proving). */
  foreignProcessCount: number;
}

export interface SignedHeartbeat extends Heartbeat {
  /** sha256 hex of the heartbeat's canonical bytes. */
  hash: string;
  /** base64 ed25519 signature over the 32 hash bytes. */
  signature: string;
}

/** The canonical bytes hashed: a fixed-order JSON array, so no field can be reordered or added
 *  without changing the hash. */
export function heartbeatCanonicalBytes(h: Heartbeat): Buffer {
  return Buffer.from(
    JSON.stringify([
      HEARTBEAT_SCHEME,
      h.deviceId,
      h.sequence,
      h.previousHash,
      h.at,
      h.leaseId ?? '',
      h.gpus.map((g) => [g.uuid, g.utilisationBasisPoints, g.memoryUsedMib]),
      h.processDigest,
      h.foreignProcessCount,
    ]),
    'utf8',
  );
}

export function heartbeatHash(h: Heartbeat): string {
  return createHash('sha256').update(heartbeatCanonicalBytes(h)).digest('hex');
}

/** The next heartbeat of a chain: sequence and previous hash from the last one sent (none for the
 *  first), hashed and signed. */
export function chainHeartbeat(previous: Pick<SignedHeartbeat, 'sequence' | 'hash'> | undefined, body: Omit<Heartbeat, 'sequence' | 'previousHash'>, key: AgentKey): SignedHeartbeat {
  const heartbeat: Heartbeat = { ...body, sequence: previous ? previous.sequence + 1 : 0, previousHash: previous ? previous.hash : GENESIS_HASH };
  const hash = heartbeatHash(heartbeat);
  return { ...heartbeat, hash, signature: Buffer.from(signBytes(key, Buffer.from(hash, 'hex'))).toString('base64') };
}

export type HeartbeatProblem = 'malformed' | 'hash_mismatch' | 'bad_signature';

/** Checks one heartbeat on its own: shape, hash and signature by the device's key. */
export function heartbeatProblem(h: SignedHeartbeat, address: string): HeartbeatProblem | undefined {
  if (!isHeartbeatShape(h)) return 'malformed';
  if (heartbeatHash(h) !== h.hash) return 'hash_mismatch';
  return verifyBytes(address, Buffer.from(h.hash, 'hex'), Buffer.from(h.signature, 'base64')) ? undefined : 'bad_signature';
}

/** Whether `next` directly follows `previous` (or starts a chain when there is none). */
export function continuesChain(previous: Pick<SignedHeartbeat, 'sequence' | 'hash'> | undefined, next: Pick<Heartbeat, 'sequence' | 'previousHash'>): boolean {
  return previous ? next.sequence === previous.sequence + 1 && next.previousHash === previous.hash : next.sequence === 0 && next.previousHash === GENESIS_HASH;
}

function isHeartbeatShape(h: SignedHeartbeat): boolean {
  return (
    typeof h === 'object' && h !== null &&
    typeof h.deviceId === 'string' && h.deviceId.length > 0 && h.deviceId.length <= 64 &&
    Number.isSafeInteger(h.sequence) && h.sequence >= 0 &&
    typeof h.previousHash === 'string' && HASH_PATTERN.test(h.previousHash) &&
    typeof h.at === 'string' && !Number.isNaN(Date.parse(h.at)) &&
    (h.leaseId === null || (typeof h.leaseId === 'string' && h.leaseId.length <= 64)) &&
    Array.isArray(h.gpus) && h.gpus.length <= 64 &&
    h.gpus.every((g) => typeof g?.uuid === 'string' && g.uuid.length <= 128 && Number.isInteger(g.utilisationBasisPoints) && g.utilisationBasisPoints >= 0 && g.utilisationBasisPoints <= 10_000 && Number.isInteger(g.memoryUsedMib) && g.memoryUsedMib >= 0) &&
    typeof h.processDigest === 'string' && HASH_PATTERN.test(h.processDigest) &&
    Number.isInteger(h.foreignProcessCount) && h.foreignProcessCount >= 0 &&
    typeof h.hash === 'string' && HASH_PATTERN.test(h.hash) &&
    typeof h.signature === 'string' && h.signature.length === 88
  );
}

/** The digest of what runs on the GPUs: sha256 over the sorted lines (e.g. `container:<id>:<image>`,
 *  `process:<pid>:<name>`), so the same set always gives the same digest. */
export function processDigest(lines: readonly string[]): string {
  return createHash('sha256').update([...lines].sort().join('\n')).digest('hex');
}
