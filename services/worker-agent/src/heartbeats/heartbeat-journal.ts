import { GENESIS_HASH, type Heartbeat, type SignedHeartbeat } from '@ionet/agent-protocol';
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, readJsonFile, writeFileAtomic } from '../state/files';

export interface ChainPoint {
  sequence: number;
  hash: string;
  /** When the heartbeat at this point was stamped (RFC 3339), where known: the next one is not earlier. */
  at?: string;
}

export type HeartbeatBody = Omit<Heartbeat, 'sequence' | 'previousHash'>;

/** Acknowledged heartbeats kept after compaction, so a platform that answers from a little behind
 *  what it acknowledged (a lost answer) is still found in the journal. */
const ACKED_KEPT = 100;
const COMPACT_AFTER_LINES = 20_000;

/**
 * The agent's heartbeat chain on disk: every heartbeat is appended (and fsync'd) BEFORE it is sent,
 * so nothing is lost while the platform is unreachable or the agent dies; `acked.json` says how far
 * the platform has confirmed. The journal is append-only; a torn last line (a crash mid-write) is
 * cut off on open, and the file is rewritten (atomically) only to compact it or to re-chain.
 */
export class HeartbeatJournal {
  private entries: SignedHeartbeat[] = [];
  private acked: ChainPoint | undefined;
  private lines = 0;
  private fd: number;

  private constructor(
    private readonly dir: string,
    private readonly compactAfterLines: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.acked = readJsonFile<ChainPoint>(this.ackedPath);
    this.entries = this.readJournal();
    this.lines = this.entries.length;
    this.fd = openSync(this.journalPath, 'a', 0o600);
    this.compactIfLarge();
  }

  static open(dir: string, options: { compactAfterLines?: number } = {}): HeartbeatJournal {
    return new HeartbeatJournal(dir, options.compactAfterLines ?? COMPACT_AFTER_LINES);
  }

  private get journalPath(): string {
    return join(this.dir, 'journal.jsonl');
  }
  private get ackedPath(): string {
    return join(this.dir, 'acked.json');
  }

  /** The chain's last link: the last heartbeat written, or the acknowledged point when the journal
   *  holds nothing after it (a chain re-anchored on the platform's head). */
  head(): ChainPoint | undefined {
    const last = this.entries[this.entries.length - 1];
    if (last && (!this.acked || last.sequence >= this.acked.sequence)) return { sequence: last.sequence, hash: last.hash };
    return this.acked;
  }

  lastHeartbeat(): SignedHeartbeat | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** The time the next heartbeat must not precede: the last one written, or the platform's head
   *  after a re-chain that left nothing to resend. */
  lastStampMs(): number {
    const last = this.entries[this.entries.length - 1];
    if (last) return Date.parse(last.at);
    return this.acked?.at ? Date.parse(this.acked.at) : -Infinity;
  }

  ackedPoint(): ChainPoint | undefined {
    return this.acked;
  }

  deviceId(): string | undefined {
    return this.entries[this.entries.length - 1]?.deviceId;
  }

  /** Appends one heartbeat durably; it must continue the head. */
  append(heartbeat: SignedHeartbeat): void {
    const head = this.head();
    const continues = head ? heartbeat.sequence === head.sequence + 1 && heartbeat.previousHash === head.hash : heartbeat.sequence === 0 && heartbeat.previousHash === GENESIS_HASH;
    if (!continues) throw new Error(`journal: heartbeat ${heartbeat.sequence} does not continue the chain at ${head?.sequence ?? 'its start'}`);
    writeSync(this.fd, `${JSON.stringify(heartbeat)}\n`);
    fsyncSync(this.fd);
    this.entries.push(heartbeat);
    this.lines += 1;
  }

  /** Heartbeats written and not yet acknowledged, oldest first. */
  pending(limit = Number.MAX_SAFE_INTEGER): SignedHeartbeat[] {
    const after = this.acked?.sequence ?? -1;
    const out: SignedHeartbeat[] = [];
    for (const e of this.entries) {
      if (e.sequence > after) out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  pendingCount(): number {
    const after = this.acked?.sequence ?? -1;
    return this.entries.filter((e) => e.sequence > after).length;
  }

  /** The heartbeat at a sequence, when the journal still holds it. */
  at(sequence: number): SignedHeartbeat | undefined {
    return this.entries.find((e) => e.sequence === sequence);
  }

  markAcked(point: ChainPoint): void {
    if (this.acked && point.sequence <= this.acked.sequence && point.hash === this.acked.hash) return;
    writeFileAtomic(this.ackedPath, JSON.stringify(point));
    this.acked = point;
    this.compactIfLarge();
  }

  /**
   * The platform's chain ends at `anchor`, which is not in this journal (the journal was lost or is
   * from before a restore): the heartbeats not yet acknowledged are re-signed onto the platform's
   * head, keeping their times and observations. Those stamped before the platform's head (`notBeforeMs`)
   * can never follow it (a chain's times only go forward) and are dropped: the platform already holds
   * heartbeats for that time.
   */
  rechain(anchor: ChainPoint, sign: (previous: ChainPoint, body: HeartbeatBody) => SignedHeartbeat, notBeforeMs = -Infinity): { rechained: number; dropped: number } {
    const pending = this.pending();
    let previous = anchor;
    const rechained: SignedHeartbeat[] = [];
    for (const hb of pending) {
      if (Date.parse(hb.at) < notBeforeMs) continue;
      const { sequence: _s, previousHash: _p, hash: _h, signature: _sig, ...body } = hb;
      const next = sign(previous, body);
      rechained.push(next);
      previous = { sequence: next.sequence, hash: next.hash };
    }
    this.rewrite(rechained);
    const point = Number.isFinite(notBeforeMs) ? { ...anchor, at: new Date(notBeforeMs).toISOString() } : anchor;
    writeFileAtomic(this.ackedPath, JSON.stringify(point));
    this.acked = point;
    return { rechained: rechained.length, dropped: pending.length - rechained.length };
  }

  /** Starts over (a new device id for this key): the old journal is kept beside, renamed. */
  reset(): void {
    closeSync(this.fd);
    if (existsSync(this.journalPath)) renameSync(this.journalPath, `${this.journalPath}.${Date.now()}.old`);
    if (existsSync(this.ackedPath)) renameSync(this.ackedPath, `${this.ackedPath}.${Date.now()}.old`);
    fsyncDir(this.dir);
    this.entries = [];
    this.acked = undefined;
    this.lines = 0;
    this.fd = openSync(this.journalPath, 'a', 0o600);
  }

  close(): void {
    closeSync(this.fd);
  }

  private readJournal(): SignedHeartbeat[] {
    if (!existsSync(this.journalPath)) return [];
    const buffer = readFileSync(this.journalPath);
    const entries: SignedHeartbeat[] = [];
    let start = 0;
    let goodBytes = 0;
    while (start < buffer.length) {
      const end = buffer.indexOf(0x0a, start);
      if (end < 0) break;
      try {
        entries.push(JSON.parse(buffer.subarray(start, end).toString('utf8')) as SignedHeartbeat);
      } catch {
        break;
      }
      start = end + 1;
      goodBytes = start;
    }
    if (goodBytes < buffer.length) {
      // A crash mid-append leaves a partial last line; it was never sent (we send after fsync).
      const fd = openSync(this.journalPath, 'r+');
      ftruncateSync(fd, goodBytes);
      fsyncSync(fd);
      closeSync(fd);
    }
    return entries;
  }

  private compactIfLarge(): void {
    if (this.lines < this.compactAfterLines) return;
    const after = this.acked?.sequence ?? -1;
    const firstPending = this.entries.findIndex((e) => e.sequence > after);
    const keepFrom = Math.max(0, (firstPending < 0 ? this.entries.length : firstPending) - ACKED_KEPT);
    this.rewrite(this.entries.slice(keepFrom));
  }

  private rewrite(entries: SignedHeartbeat[]): void {
    closeSync(this.fd);
    writeFileAtomic(this.journalPath, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    this.entries = entries;
    this.lines = entries.length;
    this.fd = openSync(this.journalPath, 'a', 0o600);
  }
}
