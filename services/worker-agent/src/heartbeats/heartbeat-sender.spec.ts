import { chainHeartbeat, continuesChain, generateAgentKey, heartbeatProblem, processDigest, type HeartbeatBatchResponse, type SignedHeartbeat } from '@ionet/agent-protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformError } from '../platform/api-client';
import { HeartbeatJournal, type HeartbeatBody } from './heartbeat-journal';
import { HeartbeatSender, expectedHead, fitBytes } from './heartbeat-sender';

const key = generateAgentKey();
const body = (i: number): HeartbeatBody => ({ deviceId: 'dev-1', at: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(), leaseId: null, gpus: [], processDigest: processDigest([]), foreignProcessCount: 0 });

/** The platform's side of the rule, as the protocol states it: a batch must continue the stored
 *  chain (re-sent stored heartbeats are duplicates), else 409 with the expected point. The real
 *  service is exercised by the agent's process tests. */
class ChainKeeper {
  stored: SignedHeartbeat[] = [];
  reachable = true;
  batches: number[][] = [];

  async post({ heartbeats }: { heartbeats: SignedHeartbeat[] }): Promise<HeartbeatBatchResponse> {
    if (!this.reachable) throw new PlatformError(0, 'AGENT.PLATFORM_UNREACHABLE', 'ECONNREFUSED');
    this.batches.push(heartbeats.map((h) => h.sequence));
    let accepted = 0;
    let duplicates = 0;
    for (const h of heartbeats) {
      expect(heartbeatProblem(h, key.address)).toBeUndefined();
      const stored = this.stored[h.sequence];
      if (stored && stored.hash === h.hash) {
        duplicates++;
        continue;
      }
      const head = this.stored[this.stored.length - 1];
      if (!continuesChain(head, h)) {
        throw new PlatformError(409, 'VERIFICATION.CHAIN_BROKEN', 'does not continue', { context: { expectedSequence: this.stored.length, expectedPreviousHash: head ? head.hash : '0'.repeat(64) } });
      }
      this.stored.push(h);
      accepted++;
    }
    const head = this.stored[this.stored.length - 1];
    return { accepted, duplicates, lastSequence: head.sequence, lastHash: head.hash, platformTime: new Date().toISOString(), clockRate: 1 };
  }
}

describe('sending heartbeats', () => {
  let dir: string;
  let journal: HeartbeatJournal;
  let platform: ChainKeeper;
  let sender: HeartbeatSender;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ionet-sender-'));
    journal = HeartbeatJournal.open(dir);
    platform = new ChainKeeper();
    sender = new HeartbeatSender(journal, platform, (previous, b) => chainHeartbeat(previous, b, key));
  });
  afterEach(() => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const beat = (i: number) => journal.append(chainHeartbeat(journal.head(), body(i), key));

  it('buffers while the platform is unreachable and delivers in order, in batches of at most 500, after', async () => {
    beat(0);
    expect(await sender.flush()).toMatchObject({ kind: 'sent', accepted: 1, pending: 0 });
    platform.reachable = false;
    for (let i = 1; i <= 700; i++) beat(i);
    expect(await sender.flush()).toEqual({ kind: 'unreachable', pending: 700, error: expect.stringContaining('ECONNREFUSED') });
    platform.reachable = true;
    expect(await sender.flush()).toMatchObject({ kind: 'sent', accepted: 700, duplicates: 0, lastSequence: 700, pending: 0 });
    expect(platform.batches.map((b) => b.length)).toEqual([1, 500, 200]);
    expect(platform.stored.map((h) => h.sequence)).toEqual([...Array(701).keys()]);
  });

  it('resends from the journal when the platform is behind what was acknowledged (a lost answer)', async () => {
    for (let i = 0; i < 3; i++) beat(i);
    await sender.flush();
    // The platform lost its last two (a restore); the agent believes them acknowledged.
    platform.stored = platform.stored.slice(0, 1);
    beat(3);
    expect(await sender.flush()).toMatchObject({ kind: 'rechained', expectedSequence: 1, resent: 'from_journal', count: 3, pending: 0 });
    expect(platform.stored.map((h) => h.sequence)).toEqual([0, 1, 2, 3]);
  });

  it('re-signs onto the platform\'s head when its chain is not in the journal (the state directory was lost)', async () => {
    const previousLife = new ChainKeeper();
    const oldKeyChain: SignedHeartbeat[] = [];
    for (let i = 0; i < 3; i++) oldKeyChain.push(chainHeartbeat(oldKeyChain[i - 1], body(i), key));
    await previousLife.post({ heartbeats: oldKeyChain });
    platform.stored = previousLife.stored;
    beat(10);
    beat(11);
    expect(await sender.flush()).toMatchObject({ kind: 'rechained', expectedSequence: 3, resent: 'resigned', count: 2, dropped: 0, pending: 0 });
    expect(platform.stored.map((h) => h.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(platform.stored[3].at).toBe(body(10).at);
    expect(journal.head()).toEqual({ sequence: 4, hash: platform.stored[4].hash });
  });

  it('halves its batches when the service answers 413 (its body limit), and still delivers every heartbeat in order', async () => {
    for (let i = 0; i < 300; i++) beat(i);
    const limitBytes = 64 * 1024;
    // At least one heartbeat per batch, however small the limit; 300 of them do not fit in 64 KiB.
    expect(fitBytes(journal.pending(), 1)).toHaveLength(1);
    expect(fitBytes(journal.pending(), limitBytes).length).toBeLessThan(300);
    const limited = new HeartbeatSender(journal, {
      post: async (b) => {
        if (Buffer.byteLength(JSON.stringify(b)) > limitBytes) throw new PlatformError(413, 'HTTP_413', 'Request body is too large');
        return platform.post(b);
      },
    }, (p, b) => chainHeartbeat(p, b, key));
    expect(await limited.flush()).toMatchObject({ kind: 'sent', accepted: 300, pending: 0 });
    expect(platform.stored.map((h) => h.sequence)).toEqual([...Array(300).keys()]);
    expect(Math.max(...platform.batches.map((b) => b.length))).toBeLessThan(300);
  });

  it('keeps heartbeats the platform refuses for another reason, and does not loop on a chain it cannot repair', async () => {
    beat(0);
    const refusing = new HeartbeatSender(journal, { post: async () => { throw new PlatformError(403, 'AGENT.UNKNOWN_DEVICE', 'not enrolled'); } }, (p, b) => chainHeartbeat(p, b, key));
    expect(await refusing.flush()).toEqual({ kind: 'refused', pending: 1, status: 403, code: 'AGENT.UNKNOWN_DEVICE', detail: 'not enrolled' });
    let calls = 0;
    const alwaysBroken = new HeartbeatSender(journal, { post: async () => { calls++; throw new PlatformError(409, 'VERIFICATION.CHAIN_BROKEN', 'no', { expectedSequence: 7, expectedPreviousHash: 'cd'.repeat(32) }); } }, (p, b) => chainHeartbeat(p, b, key));
    expect(await alwaysBroken.flush()).toMatchObject({ kind: 'rechained', resent: 'resigned', pending: 1 });
    expect(calls).toBe(2);
  });

  it('reads the expected point from the problem\'s top level or its context, and nothing malformed', () => {
    const at = (body: Record<string, unknown>) => expectedHead(new PlatformError(409, 'VERIFICATION.CHAIN_BROKEN', '', body));
    expect(at({ expectedSequence: 4, expectedPreviousHash: 'ab'.repeat(32) })).toEqual({ sequence: 3, hash: 'ab'.repeat(32) });
    expect(at({ context: { expectedSequence: 0, expectedPreviousHash: '0'.repeat(64) } })).toEqual({ sequence: -1, hash: '0'.repeat(64) });
    expect(at({ expectedSequence: '4', expectedPreviousHash: 'ab'.repeat(32) })).toBeUndefined();
    expect(at({ expectedSequence: 4, expectedPreviousHash: 'xyz' })).toBeUndefined();
  });
});
