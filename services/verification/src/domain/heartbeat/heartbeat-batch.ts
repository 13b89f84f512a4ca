import { GENESIS_HASH, continuesChain, type SignedHeartbeat } from '@ionet/agent-protocol';
import { VerificationError } from '../shared/verification.errors';

const HOUR_MS = 3_600_000;

/** The stored head of a device's chain. */
export interface ChainHead {
  chainNumber: number;
  sequence: number;
  hash: string;
  at: Date;
}

export interface BatchDecision {
  /** Heartbeats to store, in order, all of chain `chainNumber`. */
  accepted: SignedHeartbeat[];
  /** Re-sent heartbeats already stored (same sequence and hash). */
  duplicates: number;
  chainNumber: number;
  /** The batch starts a new chain (sequence 0 from the genesis hash) over a stored one (ADR 0411). */
  restart: boolean;
  /** The head after the batch. */
  head: ChainHead | undefined;
  /** Uptime earned by the batch per hour (start ms -> ms): the gaps up to the tolerance. */
  uptimeMsByHour: Map<number, number>;
}

/**
 * Where a batch (each heartbeat already checked on its own: shape, hash, signature) stands against
 * the stored chain: re-sent heartbeats are duplicates, the rest must continue the chain link by
 * link; a batch may begin a new chain only at sequence 0 from the genesis hash. `storedHashes`
 * holds the stored hash of each sequence of the batch at or below the head.
 */
export function decideHeartbeatBatch(head: ChainHead | undefined, storedHashes: ReadonlyMap<number, string>, batch: readonly SignedHeartbeat[], gapToleranceMs: number): BatchDecision {
  const accepted: SignedHeartbeat[] = [];
  let duplicates = 0;
  let chainNumber = head?.chainNumber ?? 1;
  let restart = false;
  let cursor: { sequence: number; hash: string } | undefined = head;
  let lastAt = head?.at;
  const uptimeMsByHour = new Map<number, number>();
  for (const hb of batch) {
    if (accepted.length === 0 && !restart && head && hb.sequence <= head.sequence && storedHashes.get(hb.sequence) === hb.hash) {
      duplicates++;
      continue;
    }
    const at = new Date(hb.at);
    if (continuesChain(cursor, hb)) {
      // continues
    } else if (head && !restart && accepted.length === 0 && hb.sequence === 0 && hb.previousHash === GENESIS_HASH) {
      restart = true;
      chainNumber = head.chainNumber + 1;
    } else {
      throw new VerificationError(
        'VERIFICATION.CHAIN_BROKEN',
        `heartbeat ${hb.sequence} does not continue the chain: expected sequence ${cursor ? cursor.sequence + 1 : 0} after ${cursor?.hash ?? GENESIS_HASH}`,
        { expectedSequence: cursor ? cursor.sequence + 1 : 0, expectedPreviousHash: cursor?.hash ?? GENESIS_HASH, receivedSequence: hb.sequence },
        'conflict',
      );
    }
    if (lastAt && at.getTime() < lastAt.getTime()) {
      throw new VerificationError('VERIFICATION.HEARTBEAT_INVALID', `heartbeat ${hb.sequence} is stamped ${hb.at}, before the one it follows (${lastAt.toISOString()})`, { sequence: hb.sequence });
    }
    if (lastAt) addUptime(uptimeMsByHour, lastAt.getTime(), at.getTime(), gapToleranceMs);
    accepted.push(hb);
    cursor = hb;
    lastAt = at;
  }
  const last = accepted[accepted.length - 1];
  return {
    accepted,
    duplicates,
    chainNumber,
    restart,
    head: last ? { chainNumber, sequence: last.sequence, hash: last.hash, at: new Date(last.at) } : head,
    uptimeMsByHour,
  };
}

/** A gap up to the tolerance counts as up, split over the hours it spans; a longer one not at all. */
export function addUptime(byHour: Map<number, number>, fromMs: number, toMs: number, gapToleranceMs: number): void {
  if (toMs <= fromMs || toMs - fromMs > gapToleranceMs) return;
  let start = fromMs;
  while (start < toMs) {
    const hour = Math.floor(start / HOUR_MS) * HOUR_MS;
    const end = Math.min(toMs, hour + HOUR_MS);
    byHour.set(hour, (byHour.get(hour) ?? 0) + (end - start));
    start = end;
  }
}
