import { HEARTBEAT_BATCH_MAX, type HeartbeatBatchResponse, type SignedHeartbeat } from '@ionet/agent-protocol';
import { PlatformError } from '../platform/api-client';
import type { ChainPoint, HeartbeatBody, HeartbeatJournal } from './heartbeat-journal';

export const CHAIN_BROKEN_CODE = 'VERIFICATION.CHAIN_BROKEN';
/** Batches sent in one flush: a long outage's backlog goes out over a few flushes, not one burst. */
const BATCHES_PER_FLUSH_MAX = 20;
/** A batch's body stays under the gateway's 1 MiB for heartbeats; a service that answers 413 halves it. */
const BATCH_BYTES_MAX = 900 * 1024;
const BATCH_BYTES_MIN = 4 * 1024;

export interface HeartbeatPoster {
  post(body: { heartbeats: SignedHeartbeat[] }): Promise<HeartbeatBatchResponse>;
}

export type FlushOutcome =
  | { kind: 'sent'; accepted: number; duplicates: number; lastSequence: number; pending: number }
  | { kind: 'nothing' }
  | { kind: 'rechained'; expectedSequence: number; resent: 'from_journal' | 'resigned'; count: number; dropped: number; pending: number }
  | { kind: 'unreachable'; pending: number; error: string }
  | { kind: 'refused'; pending: number; status: number; code: string; detail: string };

/** Where the platform's stored chain ends, from a 409 `VERIFICATION.CHAIN_BROKEN` answer (the fields
 *  at the top level of the problem or in its `context`). */
export function expectedHead(error: PlatformError): ChainPoint | undefined {
  const context = (error.body.context && typeof error.body.context === 'object' ? error.body.context : {}) as Record<string, unknown>;
  const sequence = error.body.expectedSequence ?? context.expectedSequence;
  const previousHash = error.body.expectedPreviousHash ?? context.expectedPreviousHash;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0 || typeof previousHash !== 'string' || !/^[0-9a-f]{64}$/.test(previousHash)) return undefined;
  return { sequence: sequence - 1, hash: previousHash };
}

/**
 * Sends the journal's unacknowledged heartbeats in order, in batches of at most 500. The rule on a
 * broken chain (ADR 0420): the platform names the sequence and previous hash it expects.
 *  - If the journal holds that point (the platform is behind what this agent thought acknowledged,
 *    e.g. an answer was lost), the acknowledgement moves back there and the journal is resent from it.
 *  - Otherwise the platform's chain is not this journal's (the state directory was lost or restored):
 *    the unacknowledged heartbeats are re-signed onto the platform's head, their times and readings
 *    kept, so the chain continues and the hours they cover are not lost.
 */
export class HeartbeatSender {
  private batchBytesMax = BATCH_BYTES_MAX;

  constructor(
    private readonly journal: HeartbeatJournal,
    private readonly poster: HeartbeatPoster,
    private readonly resign: (previous: ChainPoint, body: HeartbeatBody) => SignedHeartbeat,
    /** When the platform's last stored heartbeat was stamped (ms), if it can say. */
    private readonly platformHeadAtMs: () => Promise<number | undefined> = async () => undefined,
  ) {}

  /** Sends what is pending; after a re-chain, sends once more (and never re-chains twice in a row). */
  async flush(allowRechain = true): Promise<FlushOutcome> {
    let accepted = 0;
    let duplicates = 0;
    let lastSequence = -1;
    for (let batch = 0; batch < BATCHES_PER_FLUSH_MAX; batch++) {
      const heartbeats = fitBytes(this.journal.pending(HEARTBEAT_BATCH_MAX), this.batchBytesMax);
      if (heartbeats.length === 0) break;
      try {
        const answer = await this.poster.post({ heartbeats });
        accepted += answer.accepted;
        duplicates += answer.duplicates;
        const last = heartbeats[heartbeats.length - 1];
        this.journal.markAcked({ sequence: last.sequence, hash: last.hash });
        lastSequence = last.sequence;
      } catch (err) {
        if (!(err instanceof PlatformError)) throw err;
        const pending = this.journal.pendingCount();
        if (err.status === 413 && heartbeats.length > 1) {
          this.batchBytesMax = Math.max(BATCH_BYTES_MIN, Math.floor(bytesOf(heartbeats) / 2));
          continue;
        }
        if (err.unreachable || err.status === 429) return { kind: 'unreachable', pending, error: err.message };
        const expected = err.status === 409 && err.code === CHAIN_BROKEN_CODE ? expectedHead(err) : undefined;
        if (!expected || !allowRechain) return { kind: 'refused', pending, status: err.status, code: err.code, detail: err.detail };
        // The journal can resend from the platform's head when it still holds the heartbeat after it.
        const next = this.journal.at(expected.sequence + 1);
        if (next && next.previousHash === expected.hash) {
          this.journal.markAcked(expected);
          const count = this.journal.pendingCount();
          const after = await this.flush(false);
          return { kind: 'rechained', expectedSequence: expected.sequence + 1, resent: 'from_journal', count, dropped: 0, pending: pendingOf(after, this.journal) };
        }
        const headAtMs = await this.platformHeadAtMs().catch(() => undefined);
        const { rechained, dropped } = this.journal.rechain(expected, this.resign, headAtMs);
        const after = await this.flush(false);
        return { kind: 'rechained', expectedSequence: expected.sequence + 1, resent: 'resigned', count: rechained, dropped, pending: pendingOf(after, this.journal) };
      }
    }
    const pending = this.journal.pendingCount();
    return lastSequence < 0 ? { kind: 'nothing' } : { kind: 'sent', accepted, duplicates, lastSequence, pending };
  }
}

function pendingOf(outcome: FlushOutcome, journal: HeartbeatJournal): number {
  return 'pending' in outcome ? outcome.pending : journal.pendingCount();
}

function bytesOf(heartbeats: SignedHeartbeat[]): number {
  return heartbeats.reduce((n, h) => n + Buffer.byteLength(JSON.stringify(h)) + 1, 16);
}

/** The longest prefix whose JSON stays within `bytesMax` (at least one heartbeat). */
export function fitBytes(heartbeats: SignedHeartbeat[], bytesMax: number): SignedHeartbeat[] {
  let bytes = 16;
  for (let i = 0; i < heartbeats.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(heartbeats[i])) + 1;
    if (bytes > bytesMax) return heartbeats.slice(0, Math.max(1, i));
  }
  return heartbeats;
}
