import { decideEligibility, type EligibilityInputs } from './eligibility';

const H = 3_600_000;
const ok: EligibilityInputs = {
  uptimeMs: 5 * H,
  requiredUptimeMs: 5 * H,
  uptimeSlackMs: 90_000,
  payoutWallet: '11111111111111111111111111111111',
  multiplierBps: 100_000,
  connectivityTier: 'high',
  proofOfWork: { verdict: 'passed', challengeId: 'c1', at: new Date('2026-12-01T09:00:00Z') },
  disqualified: null,
};
const verdicts = (inputs: EligibilityInputs) => Object.fromEntries(decideEligibility(inputs).rules.map((r) => [r.rule, r.verdict]));

describe('eligibility of one epoch', () => {
  it('is unknown (never yes) while the stake rule is unknown until tokenomics, when every other rule is met', () => {
    expect(decideEligibility(ok).eligible).toBe('unknown');
    expect(verdicts(ok)).toEqual({ uptime: 'met', stake: 'unknown', wallet: 'met', multiplier: 'met', tier: 'met', proof_of_work: 'met' });
    expect(verdicts({ ...ok, uptimeMs: 5 * H - 60_000 }).uptime).toBe('met');
  });

  it('is no when any rule fails, each with its own verdict', () => {
    expect(decideEligibility({ ...ok, uptimeMs: 4 * H }).eligible).toBe('no');
    expect(verdicts({ ...ok, uptimeMs: 4 * H }).uptime).toBe('not_met');
    expect(verdicts({ ...ok, payoutWallet: null }).wallet).toBe('not_met');
    expect(verdicts({ ...ok, multiplierBps: 0 }).multiplier).toBe('not_met');
    expect(verdicts({ ...ok, multiplierBps: null }).multiplier).toBe('unknown');
    expect(verdicts({ ...ok, connectivityTier: null }).tier).toBe('not_met');
    expect(verdicts({ ...ok, proofOfWork: null }).proof_of_work).toBe('not_met');
    expect(verdicts({ ...ok, proofOfWork: { ...ok.proofOfWork!, verdict: 'failed' } }).proof_of_work).toBe('not_met');
    expect(verdicts({ ...ok, disqualified: 'foreign_workload' }).proof_of_work).toBe('not_met');
  });
});
