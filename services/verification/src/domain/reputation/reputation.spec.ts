import { reputationScoreBps } from './reputation';

describe('reputation score', () => {
  it('weighs uptime one half, proofs passed three tenths and leases completed one fifth', () => {
    expect(reputationScoreBps({ uptime30dBps: 10_000, proofsPassed: 10, proofsFailed: 0, leasesCompleted: 10 })).toBe(10_000);
    expect(reputationScoreBps({ uptime30dBps: 10_000, proofsPassed: 0, proofsFailed: 0, leasesCompleted: 0 })).toBe(5_000);
    expect(reputationScoreBps({ uptime30dBps: 0, proofsPassed: 3, proofsFailed: 1, leasesCompleted: 0 })).toBe(2_250);
    expect(reputationScoreBps({ uptime30dBps: 0, proofsPassed: 0, proofsFailed: 0, leasesCompleted: 25 })).toBe(2_000);
  });

  it('stays within 0..10000 for any input', () => {
    expect(reputationScoreBps({ uptime30dBps: 99_999, proofsPassed: 1, proofsFailed: 0, leasesCompleted: 99 })).toBe(10_000);
    expect(reputationScoreBps({ uptime30dBps: -5, proofsPassed: 0, proofsFailed: 7, leasesCompleted: 0 })).toBe(0);
  });
});
