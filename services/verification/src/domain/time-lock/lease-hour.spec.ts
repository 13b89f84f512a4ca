import { deciderSpec } from '@ionet/testing';
import { proveLeaseHour, type HourHeartbeat, type LeaseHourInput } from './lease-hour';
import { decideLeaseHour, evolveLeaseHour, initialLeaseHourState, type LeaseHourRef } from './lease-hour.decider';

const start = new Date('2026-12-01T10:00:00Z');
const end = new Date('2026-12-01T11:00:00Z');
const hash = (n: number) => n.toString(16).padStart(64, '0');
function beats(count: number, options: { stepMs?: number; offsetMs?: number; lease?: string | null; first?: number } = {}): HourHeartbeat[] {
  const first = options.first ?? 1;
  return Array.from({ length: count }, (_, i) => ({
    chainNumber: 1,
    sequence: first + i,
    hash: hash(first + i),
    previousHash: hash(first + i - 1),
    at: new Date(start.getTime() + (options.offsetMs ?? 30_000) + i * (options.stepMs ?? 60_000)),
    leaseId: options.lease === undefined ? 'L' : options.lease,
    foreignProcessCount: 0,
    signatureValid: true,
    utilisationBasisPoints: 8_000,
  }));
}
const input = (heartbeats: HourHeartbeat[], overrides: Partial<LeaseHourInput> = {}): LeaseHourInput => ({ leaseId: 'L', hourStart: start, hourEnd: end, gapToleranceMs: 90_000, heartbeats, refusedForSignature: 0, ...overrides });

describe('Proof of Time-Lock for one lease-hour', () => {
  it('proves an hour whose chain is unbroken, signed, without gaps over the tolerance and without foreign processes', () => {
    expect(proveLeaseHour(input(beats(60)))).toEqual({ verdict: 'verified', heartbeatCount: 60, chainHeadHash: hash(60), utilisationBasisPoints: 8_000 });
  });

  it('violates an hour with no heartbeat carrying the lease (missing hour)', () => {
    expect(proveLeaseHour(input([]))).toMatchObject({ verdict: 'violated', violation: 'no_heartbeats' });
    expect(proveLeaseHour(input(beats(60, { lease: null })))).toMatchObject({ verdict: 'violated', violation: 'no_heartbeats' });
  });

  it('violates a gap over the tolerance, also at the hour\'s start or end', () => {
    const jump = beats(58).map((h, i) => (i >= 20 ? { ...h, at: new Date(h.at.getTime() + 120_000) } : h));
    expect(proveLeaseHour(input(jump))).toMatchObject({ verdict: 'violated', violation: 'gap_exceeded' });
    expect(proveLeaseHour(input(beats(57, { offsetMs: 200_000 })))).toMatchObject({ verdict: 'violated', violation: 'gap_exceeded' });
    expect(proveLeaseHour(input(beats(58)))).toMatchObject({ verdict: 'violated', violation: 'gap_exceeded' });
  });

  it('violates a broken chain: a skipped sequence, a wrong previous hash, a restart within the hour', () => {
    const hb = beats(60);
    const skipped = hb.map((h, i) => (i >= 30 ? { ...h, sequence: h.sequence + 1 } : h));
    expect(proveLeaseHour(input(skipped))).toMatchObject({ verdict: 'violated', violation: 'chain_broken' });
    const wrongLink = hb.map((h, i) => (i === 10 ? { ...h, previousHash: hash(999) } : h));
    expect(proveLeaseHour(input(wrongLink))).toMatchObject({ verdict: 'violated', violation: 'chain_broken' });
    const restarted = hb.map((h, i) => (i >= 30 ? { ...h, chainNumber: 2 } : h));
    expect(proveLeaseHour(input(restarted))).toMatchObject({ verdict: 'violated', violation: 'chain_broken' });
  });

  it('violates a signature that does not hold, stored or refused in the hour', () => {
    expect(proveLeaseHour(input(beats(60).map((h, i) => (i === 5 ? { ...h, signatureValid: false } : h))))).toMatchObject({ verdict: 'violated', violation: 'bad_signature' });
    expect(proveLeaseHour(input(beats(60), { refusedForSignature: 1 }))).toMatchObject({ verdict: 'violated', violation: 'bad_signature' });
  });

  it('violates a foreign process, named first when other violations come with it', () => {
    const hb = beats(60).map((h, i) => (i === 7 ? { ...h, foreignProcessCount: 2 } : h));
    expect(proveLeaseHour(input(hb))).toMatchObject({ verdict: 'violated', violation: 'foreign_process' });
    const verdict = proveLeaseHour(input([...hb.slice(0, 20), ...hb.slice(25)]));
    expect(verdict).toMatchObject({ verdict: 'violated', violation: 'foreign_process' });
    expect(verdict.verdict === 'violated' && verdict.detail).toMatch(/foreign.*; .*heartbeat 26 does not follow 20; a gap/);
  });
});

describe('lease-hour decider', () => {
  const spec = deciderSpec({ decide: decideLeaseHour, evolve: evolveLeaseHour, initialState: initialLeaseHourState });
  const ref: LeaseHourRef = { leaseId: 'L', deviceId: 'D', hourIndex: 0, hourStart: start, hourEnd: end };
  const at = end;
  const verified = { type: 'TimeLockHourVerified' as const, ...ref, heartbeatCount: 60, chainHeadHash: hash(60), utilisationBasisPoints: 8_000, at };

  it('decides an hour once and never reopens it', () => {
    spec.given([]).when({ type: 'DecideLeaseHour', ...ref, verdict: { verdict: 'verified', heartbeatCount: 60, chainHeadHash: hash(60), utilisationBasisPoints: 8_000 }, at }).then([verified]);
    spec.given([]).when({ type: 'DecideLeaseHour', ...ref, verdict: { verdict: 'violated', violation: 'no_heartbeats', detail: 'none' }, at }).then([{ type: 'TimeLockViolated', ...ref, violation: 'no_heartbeats', detail: 'none', at }]);
    spec.given([verified]).when({ type: 'DecideLeaseHour', ...ref, verdict: { verdict: 'violated', violation: 'no_heartbeats', detail: 'none' }, at }).then([]);
  });
});
