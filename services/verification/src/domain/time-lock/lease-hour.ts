export type TimeLockViolation = 'chain_broken' | 'bad_signature' | 'gap_exceeded' | 'foreign_process' | 'no_heartbeats';

/** A stored heartbeat as the hour's proof sees it (the signature re-checked by the caller). */
export interface HourHeartbeat {
  chainNumber: number;
  sequence: number;
  hash: string;
  previousHash: string;
  at: Date;
  leaseId: string | null;
  foreignProcessCount: number;
  signatureValid: boolean;
  /** Mean GPU utilisation of this heartbeat, 0..10000. */
  utilisationBasisPoints: number;
}

export interface LeaseHourInput {
  leaseId: string;
  hourStart: Date;
  hourEnd: Date;
  gapToleranceMs: number;
  /** Every heartbeat of the device stamped within the hour, any lease or none, in chain order. */
  heartbeats: HourHeartbeat[];
  /** Heartbeats of the device refused in the hour for a bad signature or hash. */
  refusedForSignature: number;
}

export type LeaseHourVerdict =
  | { verdict: 'verified'; heartbeatCount: number; chainHeadHash: string; utilisationBasisPoints: number }
  | { verdict: 'violated'; violation: TimeLockViolation; detail: string };

/** Strongest first: the verdict names the first violation found in this order, the detail all. */
const SEVERITY: TimeLockViolation[] = ['bad_signature', 'foreign_process', 'chain_broken', 'gap_exceeded', 'no_heartbeats'];

/**
 * Proof of Time-Lock for one lease-hour of one device (DOMAIN.md): proven when the device's chain is
 * unbroken through the hour, every signature holds, the heartbeats carrying the lease leave no gap
 * over the tolerance (from the hour's start to its end) and none saw a foreign process.
 */
export function proveLeaseHour(input: LeaseHourInput): LeaseHourVerdict {
  const { heartbeats, hourStart, hourEnd, gapToleranceMs } = input;
  const leased = heartbeats.filter((h) => h.leaseId === input.leaseId);
  if (leased.length === 0) return { verdict: 'violated', violation: 'no_heartbeats', detail: `no heartbeat carried lease ${input.leaseId} between ${hourStart.toISOString()} and ${hourEnd.toISOString()}` };
  const found = new Map<TimeLockViolation, string>();
  const badSignatures = heartbeats.filter((h) => !h.signatureValid).length + input.refusedForSignature;
  if (badSignatures > 0) found.set('bad_signature', `${badSignatures} heartbeat(s) with a signature that does not hold`);
  const foreign = leased.filter((h) => h.foreignProcessCount > 0);
  if (foreign.length > 0) found.set('foreign_process', `${foreign.length} heartbeat(s) saw foreign processes on the GPUs (first at sequence ${foreign[0]!.sequence})`);
  for (let i = 1; i < heartbeats.length; i++) {
    const previous = heartbeats[i - 1]!;
    const next = heartbeats[i]!;
    if (next.chainNumber !== previous.chainNumber) {
      found.set('chain_broken', `the agent restarted its chain within the hour (chain ${previous.chainNumber} -> ${next.chainNumber})`);
      break;
    }
    if (next.sequence !== previous.sequence + 1 || next.previousHash !== previous.hash) {
      found.set('chain_broken', `heartbeat ${next.sequence} does not follow ${previous.sequence}`);
      break;
    }
  }
  const points = [hourStart.getTime(), ...leased.map((h) => h.at.getTime()), hourEnd.getTime()];
  let widest = 0;
  for (let i = 1; i < points.length; i++) widest = Math.max(widest, points[i]! - points[i - 1]!);
  if (widest > gapToleranceMs) found.set('gap_exceeded', `a gap of ${Math.round(widest / 1000)} s exceeds the tolerance of ${Math.round(gapToleranceMs / 1000)} s`);
  const first = SEVERITY.find((v) => found.has(v));
  if (first) return { verdict: 'violated', violation: first, detail: SEVERITY.filter((v) => found.has(v)).map((v) => found.get(v)).join('; ') };
  const utilisation = Math.round(leased.reduce((sum, h) => sum + h.utilisationBasisPoints, 0) / leased.length);
  return { verdict: 'verified', heartbeatCount: leased.length, chainHeadHash: leased[leased.length - 1]!.hash, utilisationBasisPoints: utilisation };
}
