import { GENESIS_HASH, chainHeartbeat, continuesChain, generateAgentKey, heartbeatProblem, processDigest, type SignedHeartbeat } from '@ionet/agent-protocol';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeartbeatJournal, type ChainPoint, type HeartbeatBody } from './heartbeat-journal';

const key = generateAgentKey();
const body = (i: number): HeartbeatBody => ({ deviceId: 'dev-1', at: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(), leaseId: null, gpus: [{ uuid: 'GPU-1', utilisationBasisPoints: i, memoryUsedMib: 0 }], processDigest: processDigest([]), foreignProcessCount: 0 });
const sign = (previous: ChainPoint | undefined, b: HeartbeatBody) => chainHeartbeat(previous, b, key);

describe('the heartbeat journal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ionet-journal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(journal: HeartbeatJournal, n: number): SignedHeartbeat[] {
    const out: SignedHeartbeat[] = [];
    for (let i = 0; i < n; i++) {
      const hb = sign(journal.head(), body(out.length + (journal.head()?.sequence ?? -1) + 1));
      journal.append(hb);
      out.push(hb);
    }
    return out;
  }

  it('resumes the chain after a reopen (a crash) with what was not acknowledged still pending', () => {
    const journal = HeartbeatJournal.open(dir);
    const written = write(journal, 5);
    journal.markAcked(written[2]);
    journal.close();
    const reopened = HeartbeatJournal.open(dir);
    expect(reopened.head()).toEqual({ sequence: 4, hash: written[4].hash });
    expect(reopened.pending().map((h) => h.sequence)).toEqual([3, 4]);
    const next = sign(reopened.head(), body(5));
    reopened.append(next);
    expect(continuesChain(written[4], next)).toBe(true);
    expect(next.sequence).toBe(5);
    reopened.close();
  });

  it('cuts a torn last line (a crash mid-write) and keeps the chain before it', () => {
    const journal = HeartbeatJournal.open(dir);
    const written = write(journal, 3);
    journal.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"deviceId":"dev-1","sequ');
    const reopened = HeartbeatJournal.open(dir);
    expect(reopened.head()).toEqual({ sequence: 2, hash: written[2].hash });
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8').endsWith('}\n')).toBe(true);
    reopened.close();
  });

  it('refuses a heartbeat that does not continue its head', () => {
    const journal = HeartbeatJournal.open(dir);
    const [first] = write(journal, 1);
    expect(() => journal.append(sign(undefined, body(1)))).toThrow('does not continue');
    expect(() => journal.append({ ...sign(first, body(1)), sequence: 5 })).toThrow('does not continue');
    journal.close();
  });

  it('re-signs the unacknowledged heartbeats onto a head it does not hold, keeping their readings', () => {
    const journal = HeartbeatJournal.open(dir);
    const written = write(journal, 4);
    journal.markAcked(written[1]);
    const platformHead = { sequence: 9, hash: 'ab'.repeat(32) };
    expect(journal.rechain(platformHead, sign)).toEqual({ rechained: 2, dropped: 0 });
    const pending = journal.pending();
    expect(pending.map((h) => h.sequence)).toEqual([10, 11]);
    expect(pending[0].previousHash).toBe(platformHead.hash);
    expect(pending.map((h) => h.at)).toEqual([written[2].at, written[3].at]);
    expect(pending.map((h) => h.gpus)).toEqual([written[2].gpus, written[3].gpus]);
    for (const h of pending) expect(heartbeatProblem(h, key.address)).toBeUndefined();
    journal.close();
    const reopened = HeartbeatJournal.open(dir);
    expect(reopened.ackedPoint()).toEqual(platformHead);
    expect(reopened.head()?.sequence).toBe(11);
    reopened.close();
  });

  it('drops the unacknowledged heartbeats stamped before the platform\'s head when it re-chains', () => {
    const journal = HeartbeatJournal.open(dir);
    const written = write(journal, 4);
    journal.markAcked(written[0]);
    expect(journal.rechain({ sequence: 20, hash: 'cd'.repeat(32) }, sign, Date.parse(written[2].at))).toEqual({ rechained: 2, dropped: 1 });
    expect(journal.pending().map((h) => [h.sequence, h.at])).toEqual([[21, written[2].at], [22, written[3].at]]);
    // Nothing left to resend: the next heartbeat is stamped no earlier than the platform's head.
    expect(journal.rechain({ sequence: 40, hash: 'ef'.repeat(32) }, sign, Date.parse('2027-01-01T00:00:00.000Z'))).toEqual({ rechained: 0, dropped: 2 });
    expect(journal.lastStampMs()).toBe(Date.parse('2027-01-01T00:00:00.000Z'));
    expect(journal.head()).toEqual({ sequence: 40, hash: 'ef'.repeat(32), at: '2027-01-01T00:00:00.000Z' });
    journal.close();
  });

  it('compacts acknowledged heartbeats away and keeps the pending ones', () => {
    const journal = HeartbeatJournal.open(dir, { compactAfterLines: 150 });
    const written = write(journal, 160);
    journal.markAcked(written[149]);
    const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    // The last hundred acknowledged ones stay (for a platform a little behind), then the ten pending.
    expect(lines).toHaveLength(110);
    expect(journal.pending().map((h) => h.sequence)).toEqual(written.slice(150).map((h) => h.sequence));
    expect(journal.head()?.sequence).toBe(159);
    journal.close();
  });

  it('starts a new chain on reset, keeping the old journal beside it', () => {
    const journal = HeartbeatJournal.open(dir);
    write(journal, 2);
    journal.reset();
    expect(journal.head()).toBeUndefined();
    const first = sign(journal.head(), body(0));
    expect(first.previousHash).toBe(GENESIS_HASH);
    journal.append(first);
    journal.close();
  });
});
