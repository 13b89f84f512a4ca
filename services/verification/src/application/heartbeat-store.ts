import type { SignedHeartbeat } from '@ionet/agent-protocol';

export interface StoredHeartbeatRow {
  device_id: string;
  chain_number: number;
  sequence: string;
  hash: string;
  previous_hash: string;
  at: Date;
  at_text: string;
  lease_id: string | null;
  gpus: SignedHeartbeat['gpus'];
  process_digest: string;
  foreign_process_count: number;
  signature: string;
  received_at: Date;
}

/** A stored heartbeat exactly as the agent signed it (the hash covers `at` as written). */
export function signedHeartbeatOf(r: StoredHeartbeatRow): SignedHeartbeat {
  return {
    deviceId: r.device_id,
    sequence: Number(r.sequence),
    previousHash: r.previous_hash,
    at: r.at_text,
    leaseId: r.lease_id,
    gpus: r.gpus.map((g) => ({ uuid: g.uuid, utilisationBasisPoints: g.utilisationBasisPoints, memoryUsedMib: g.memoryUsedMib })),
    processDigest: r.process_digest,
    foreignProcessCount: r.foreign_process_count,
    hash: r.hash,
    signature: r.signature,
  };
}

export function meanUtilisationBps(h: Pick<SignedHeartbeat, 'gpus'>): number {
  return h.gpus.length === 0 ? 0 : Math.round(h.gpus.reduce((s, g) => s + g.utilisationBasisPoints, 0) / h.gpus.length);
}
