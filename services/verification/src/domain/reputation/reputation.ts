export interface ReputationInputs {
  /** Uptime over the last 30 days, 0..10000 of the time. */
  uptime30dBps: number;
  proofsPassed: number;
  proofsFailed: number;
  leasesCompleted: number;
}

/** Leases completed beyond this add nothing more to the score. */
export const LEASES_FOR_FULL_CREDIT = 10;

/**
 * A device's reputation, 0..10000 (our rule, ADR 0414): half uptime over 30 days, three tenths the
 * share of proofs passed (none yet: no credit), one fifth leases completed up to ten. Integer
 * arithmetic, rounded down, so every replica computes the same score.
 */
export function reputationScoreBps(inputs: ReputationInputs): number {
  const uptime = clamp(inputs.uptime30dBps, 0, 10_000);
  const proofs = inputs.proofsPassed + inputs.proofsFailed;
  const passShareBps = proofs === 0 ? 0 : Math.floor((inputs.proofsPassed * 10_000) / proofs);
  const leaseBps = Math.floor((Math.min(inputs.leasesCompleted, LEASES_FOR_FULL_CREDIT) * 10_000) / LEASES_FOR_FULL_CREDIT);
  return Math.floor((uptime * 5 + passShareBps * 3 + leaseBps * 2) / 10);
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(v)));
}
