export type RuleVerdict = 'met' | 'not_met' | 'unknown';
export type EligibilityRule = 'uptime' | 'stake' | 'wallet' | 'multiplier' | 'tier' | 'proof_of_work';

export interface RuleResult {
  rule: EligibilityRule;
  verdict: RuleVerdict;
  detail: string;
}

export interface EligibilityInputs {
  /** Uptime within the window of `requiredUptimeMs` ending at the epoch's end. */
  uptimeMs: number;
  requiredUptimeMs: number;
  /** The slack allowed for the first heartbeat's interval (the tolerance). */
  uptimeSlackMs: number;
  payoutWallet: string | null;
  multiplierBps: number | null;
  connectivityTier: string | null;
  /** The latest proof-of-work verdict before the epoch's end. */
  proofOfWork: { verdict: 'passed' | 'failed'; challengeId: string; at: Date } | null;
  disqualified: string | null;
}

export interface EligibilityVerdict {
  eligible: 'yes' | 'no' | 'unknown';
  rules: RuleResult[];
}

/**
 * An hour's eligibility for block rewards (DOMAIN.md: 5 hours of uptime, minimum stake met, wallet
 * set, multiplier > 0, connectivity tier known; and a proof of work that holds). Stake is not ours
 * to know until tokenomics exists: its rule is "unknown", and so is the answer unless another rule
 * already fails.
 */
export function decideEligibility(inputs: EligibilityInputs): EligibilityVerdict {
  const hours = (ms: number) => (ms / 3_600_000).toFixed(2);
  const rules: RuleResult[] = [
    inputs.uptimeMs + inputs.uptimeSlackMs >= inputs.requiredUptimeMs
      ? { rule: 'uptime', verdict: 'met', detail: `${hours(inputs.uptimeMs)} h of uptime in the ${hours(inputs.requiredUptimeMs)} h ending at the epoch's end` }
      : { rule: 'uptime', verdict: 'not_met', detail: `${hours(inputs.uptimeMs)} h of uptime in the ${hours(inputs.requiredUptimeMs)} h ending at the epoch's end; all of it is needed` },
    { rule: 'stake', verdict: 'unknown', detail: 'unknown until tokenomics: staking is not recorded yet' },
    inputs.payoutWallet ? { rule: 'wallet', verdict: 'met', detail: `payout wallet ${inputs.payoutWallet}` } : { rule: 'wallet', verdict: 'not_met', detail: 'no payout wallet is set' },
    inputs.multiplierBps === null
      ? { rule: 'multiplier', verdict: 'unknown', detail: 'the GPU model is not in the catalogue' }
      : inputs.multiplierBps > 0
        ? { rule: 'multiplier', verdict: 'met', detail: `multiplier ${(inputs.multiplierBps / 10_000).toString()}` }
        : { rule: 'multiplier', verdict: 'not_met', detail: 'the GPU model is obsolete (multiplier 0)' },
    inputs.connectivityTier ? { rule: 'tier', verdict: 'met', detail: `connectivity tier ${inputs.connectivityTier}` } : { rule: 'tier', verdict: 'not_met', detail: 'the connectivity tier is unknown' },
    proofRule(inputs),
  ];
  const eligible = rules.some((r) => r.verdict === 'not_met') ? 'no' : rules.some((r) => r.verdict === 'unknown') ? 'unknown' : 'yes';
  return { eligible, rules };
}

function proofRule(inputs: EligibilityInputs): RuleResult {
  if (inputs.disqualified) return { rule: 'proof_of_work', verdict: 'not_met', detail: `the device is disqualified (${inputs.disqualified})` };
  if (!inputs.proofOfWork) return { rule: 'proof_of_work', verdict: 'not_met', detail: 'no proof of work judged before the epoch ended' };
  return inputs.proofOfWork.verdict === 'passed'
    ? { rule: 'proof_of_work', verdict: 'met', detail: `challenge ${inputs.proofOfWork.challengeId} passed at ${inputs.proofOfWork.at.toISOString()}` }
    : { rule: 'proof_of_work', verdict: 'not_met', detail: `the latest challenge ${inputs.proofOfWork.challengeId} failed at ${inputs.proofOfWork.at.toISOString()}` };
}
