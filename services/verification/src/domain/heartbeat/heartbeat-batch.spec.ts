import { GENESIS_HASH, chainHeartbeat, generateAgentKey, processDigest, type SignedHeartbeat } from '@ionet/agent-protocol';
import { addUptime, decideHeartbeatBatch, type ChainHead } from './heartbeat-batch';

const key = generateAgentKey();
const T = Date.parse('2026-12-01T10:59:00Z');
function chain(n: number, after?: SignedHeartbeat, startMs = T, stepMs = 30_000): SignedHeartbeat[] {
  const out: SignedHeartbeat[] = [];
  let previous = after;
  for (let i = 0; i < n; i++) {
    previous = chainHeartbeat(previous, { deviceId: 'd', at: new Date(startMs + i * stepMs).toISOString(), leaseId: null, gpus: [], processDigest: processDigest([]), foreignProcessCount: 0 }, key);
    out.push(previous);
  }
  return out;
}
const headOf = (h: SignedHeartbeat, chainNumber = 1): ChainHead => ({ chainNumber, sequence: h.sequence, hash: h.hash, at: new Date(h.at) });

describe('heartbeat batches against the stored chain', () => {
  const stored = chain(4);
  const storedHashes = new Map(stored.map((h) => [h.sequence, h.hash]));

  it('starts a chain at sequence 0 from the genesis hash, and nothing else', () => {
    expect(decideHeartbeatBatch(undefined, new Map(), stored, 90_000)).toMatchObject({ accepted: stored, duplicates: 0, chainNumber: 1, restart: false, head: headOf(stored[3]!) });
    expect(() => decideHeartbeatBatch(undefined, new Map(), stored.slice(1), 90_000)).toThrow(expect.objectContaining({ code: 'VERIFICATION.CHAIN_BROKEN', context: expect.objectContaining({ expectedSequence: 0, expectedPreviousHash: GENESIS_HASH }) }));
  });

  it('counts re-sent heartbeats as duplicates and accepts what follows them', () => {
    const next = chain(2, stored[3], T + 4 * 30_000);
    const decision = decideHeartbeatBatch(headOf(stored[3]!), storedHashes, [...stored.slice(2), ...next], 90_000);
    expect(decision).toMatchObject({ accepted: next, duplicates: 2, head: headOf(next[1]!) });
  });

  it('refuses a gap, a fork or a duplicate after new heartbeats, naming the expected link', () => {
    const next = chain(3, stored[3], T + 4 * 30_000);
    const expected = { expectedSequence: 4, expectedPreviousHash: stored[3]!.hash };
    expect(() => decideHeartbeatBatch(headOf(stored[3]!), storedHashes, next.slice(1), 90_000)).toThrow(expect.objectContaining({ code: 'VERIFICATION.CHAIN_BROKEN', context: expect.objectContaining(expected) }));
    const fork = chain(1, stored[2], T + 3 * 30_000 + 1)[0]!;
    expect(() => decideHeartbeatBatch(headOf(stored[3]!), storedHashes, [fork], 90_000)).toThrow(expect.objectContaining({ code: 'VERIFICATION.CHAIN_BROKEN' }));
    expect(() => decideHeartbeatBatch(headOf(stored[3]!), storedHashes, [next[0]!, stored[3]!], 90_000)).toThrow(expect.objectContaining({ code: 'VERIFICATION.CHAIN_BROKEN', context: expect.objectContaining({ expectedSequence: 5 }) }));
  });

  it('accepts a new chain (sequence 0, genesis) over a stored one as a restart into the next chain', () => {
    const fresh = chain(2, undefined, T + 10 * 60_000);
    expect(decideHeartbeatBatch(headOf(stored[3]!, 3), storedHashes, fresh, 90_000)).toMatchObject({ accepted: fresh, restart: true, chainNumber: 4, head: headOf(fresh[1]!, 4) });
  });

  it('refuses a heartbeat stamped before the one it follows', () => {
    const back = chain(1, stored[3], T)[0]!;
    expect(() => decideHeartbeatBatch(headOf(stored[3]!), storedHashes, [back], 90_000)).toThrow(expect.objectContaining({ code: 'VERIFICATION.HEARTBEAT_INVALID' }));
  });

  it('earns uptime for gaps up to the tolerance, split over the hours they span, and none for a longer gap', () => {
    const decision = decideHeartbeatBatch(undefined, new Map(), stored, 90_000);
    // 10:59:00 .. 11:00:30: 60 s in the 10:00 hour and 30 s in the 11:00 hour.
    expect([...decision.uptimeMsByHour.entries()]).toEqual([
      [Date.parse('2026-12-01T10:00:00Z'), 60_000],
      [Date.parse('2026-12-01T11:00:00Z'), 30_000],
    ]);
    const byHour = new Map<number, number>();
    addUptime(byHour, T, T + 90_001, 90_000);
    expect(byHour.size).toBe(0);
  });
});
