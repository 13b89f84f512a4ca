import { deciderSpec } from '@ionet/testing';
import { DEFAULT_GOVERNANCE_PARAMETERS, type GovernanceParameters, type ParameterValue } from './parameter-registry';
import { outcomeOf, proposalDecider, type ProposalAction, type ProposalEvent } from './proposal.decider';

const IO = 100_000_000n;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = new Date('2026-12-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

const proposer = '7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2';
const alice = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';
const bob = 'So11111111111111111111111111111111111111112';
const carol = '4k3Dyjzvzp8eMZWUXbBCjEvwSkkk59S5iCNLY3QrkX6R';

const params: GovernanceParameters = { ...DEFAULT_GOVERNANCE_PARAMETERS, votingPeriodMs: 2 * DAY, timelockMs: DAY };
const raiseFee: ProposalAction = { type: 'parameter_change', key: 'billing.fees.reservation_basis_points', value: { kind: 'basis_points', value: 30 } };
const grant: ProposalAction = { type: 'treasury_grant', recipientWallet: carol, amountBaseUnits: 5_000n * IO };

const spec = deciderSpec(proposalDecider);

function propose(overrides: Partial<{ actions: ProposalAction[]; stake: bigint; title: string; parameters: GovernanceParameters }> = {}) {
  return {
    type: 'Propose' as const,
    proposalId: 'p-1',
    proposerWallet: proposer,
    proposerStakeBaseUnits: overrides.stake ?? 10_000n * IO,
    title: overrides.title ?? 'Raise the reservation fee to 0.30%',
    description: 'The fee funds verification.',
    actions: overrides.actions ?? [raiseFee],
    parameters: overrides.parameters ?? params,
    at: t0,
  };
}

const created: ProposalEvent = {
  type: 'ProposalCreated',
  proposalId: 'p-1',
  proposerWallet: proposer,
  title: 'Raise the reservation fee to 0.30%',
  description: 'The fee funds verification.',
  actions: [raiseFee, grant],
  snapshotAt: t0,
  votingEndsAt: at(2 * DAY),
  timelockEndsAt: at(3 * DAY),
  quorumBps: params.quorumBps,
  approvalThresholdBps: params.approvalThresholdBps,
  createdAt: t0,
};
const vote = (voterWallet: string, choice: 'yes' | 'no' | 'abstain', weightBaseUnits: bigint, ms = HOUR): ProposalEvent => ({ type: 'VoteCast', proposalId: 'p-1', voterWallet, choice, weightBaseUnits, castAt: at(ms) });
const tallied = (outcome: 'passed' | 'rejected' | 'quorum_not_met', yes: bigint, no: bigint, abstain: bigint, stake: bigint): ProposalEvent => ({
  type: 'ProposalTallied',
  proposalId: 'p-1',
  outcome,
  yesBaseUnits: yes,
  noBaseUnits: no,
  abstainBaseUnits: abstain,
  stakeAtSnapshotBaseUnits: stake,
  timelockEndsAt: at(3 * DAY),
  talliedAt: at(2 * DAY),
});

describe('proposals', () => {
  describe('proposing', () => {
    it('given nothing, when a holder of enough staked IO proposes, then the proposal opens with its snapshot, voting end and timelock end', () => {
      spec.given([]).when(propose({ actions: [raiseFee, grant] })).then([created]);
    });

    it('given nothing, when a wallet below the staked-IO threshold proposes, then it is refused', () => {
      spec.given([]).when(propose({ stake: 10_000n * IO - 1n })).thenRefused('GOVERNANCE.INSUFFICIENT_STAKE');
    });

    it('refuses a change outside the parameter bounds when proposed, not at execution', () => {
      const tooHigh: ProposalAction = { type: 'parameter_change', key: 'billing.fees.reservation_basis_points', value: { kind: 'basis_points', value: 1_001 } };
      spec.given([]).when(propose({ actions: [tooHigh] })).thenRefused('GOVERNANCE.PARAMETER_OUT_OF_BOUNDS');
    });

    it('refuses a value of the wrong type, an unknown key, a key changed twice, no action, and grants above the limit', () => {
      const wrongType: ProposalAction = { type: 'parameter_change', key: 'matching.quotes.hold_ms', value: { kind: 'basis_points', value: 30 } };
      const wrongAsset: ProposalAction = { type: 'parameter_change', key: 'tokenomics.staking.minimum_stake_per_gpu', value: { kind: 'money', amountBaseUnits: 1n, asset: 'USDC' } };
      const unknown: ProposalAction = { type: 'parameter_change', key: 'billing.fees.secret', value: { kind: 'basis_points', value: 1 } };
      const bigGrant: ProposalAction = { type: 'treasury_grant', recipientWallet: carol, amountBaseUnits: params.treasuryGrantMaxBaseUnits + 1n };
      spec.given([]).when(propose({ actions: [wrongType] })).thenRefused('GOVERNANCE.PARAMETER_TYPE_MISMATCH');
      spec.given([]).when(propose({ actions: [wrongAsset] })).thenRefused('GOVERNANCE.PARAMETER_TYPE_MISMATCH');
      spec.given([]).when(propose({ actions: [unknown] })).thenRefused('GOVERNANCE.UNKNOWN_PARAMETER');
      spec.given([]).when(propose({ actions: [raiseFee, raiseFee] })).thenRefused('GOVERNANCE.INVALID_PROPOSAL');
      spec.given([]).when(propose({ actions: [] })).thenRefused('GOVERNANCE.INVALID_PROPOSAL');
      spec.given([]).when(propose({ actions: [bigGrant] })).thenRefused('GOVERNANCE.PARAMETER_OUT_OF_BOUNDS');
      spec.given([]).when(propose({ title: '   ' })).thenRefused('GOVERNANCE.INVALID_PROPOSAL');
    });

    it('refuses a second proposal with the same id', () => {
      spec.given([created]).when(propose()).thenRefused('GOVERNANCE.PROPOSAL_ALREADY_EXISTS');
    });
  });

  describe('voting', () => {
    it('records a vote weighted by the stake at the snapshot', () => {
      spec
        .given([created])
        .when({ type: 'CastVote', voterWallet: alice, choice: 'yes', weightBaseUnits: 400n * IO, at: at(HOUR) })
        .then([vote(alice, 'yes', 400n * IO)]);
    });

    it('lets a wallet change its vote until the end; the same vote again changes nothing', () => {
      spec
        .given([created, vote(alice, 'yes', 400n * IO)])
        .when({ type: 'CastVote', voterWallet: alice, choice: 'no', weightBaseUnits: 400n * IO, at: at(DAY) })
        .then([vote(alice, 'no', 400n * IO, DAY)]);
      spec.given([created, vote(alice, 'yes', 400n * IO)]).when({ type: 'CastVote', voterWallet: alice, choice: 'yes', weightBaseUnits: 400n * IO, at: at(DAY) }).then([]);
    });

    it('refuses a vote at or after the end, and a wallet with no stake at the snapshot', () => {
      spec.given([created]).when({ type: 'CastVote', voterWallet: alice, choice: 'yes', weightBaseUnits: IO, at: at(2 * DAY) }).thenRefused('GOVERNANCE.VOTING_CLOSED');
      spec.given([created]).when({ type: 'CastVote', voterWallet: alice, choice: 'yes', weightBaseUnits: 0n, at: at(HOUR) }).thenRefused('GOVERNANCE.NO_VOTING_POWER');
      spec.given([]).when({ type: 'CastVote', voterWallet: alice, choice: 'yes', weightBaseUnits: IO, at: at(HOUR) }).thenRefused('GOVERNANCE.PROPOSAL_NOT_FOUND');
    });
  });

  describe('tallying', () => {
    it('counts only the last vote of a wallet that changed its mind', () => {
      spec
        .given([created, vote(alice, 'yes', 400n * IO), vote(bob, 'no', 300n * IO), vote(alice, 'no', 400n * IO, DAY)])
        .when({ type: 'Tally', stakeAtSnapshotBaseUnits: 1_000n * IO, at: at(2 * DAY) })
        .then([tallied('rejected', 0n, 700n * IO, 0n, 1_000n * IO)]);
    });

    it('passes with more yes than the threshold and the quorum met', () => {
      spec
        .given([created, vote(alice, 'yes', 400n * IO), vote(bob, 'no', 300n * IO)])
        .when({ type: 'Tally', stakeAtSnapshotBaseUnits: 1_000n * IO, at: at(2 * DAY) })
        .then([tallied('passed', 400n * IO, 300n * IO, 0n, 1_000n * IO)]);
    });

    it('misses the quorum when too little of the stake voted, abstentions included', () => {
      // Quorum 33.40% of 1,000 IO is 334 IO; 333.99999999 IO voted.
      spec
        .given([created, vote(alice, 'yes', 300n * IO), vote(bob, 'abstain', 34n * IO - 1n)])
        .when({ type: 'Tally', stakeAtSnapshotBaseUnits: 1_000n * IO, at: at(2 * DAY) })
        .then([tallied('quorum_not_met', 300n * IO, 0n, 34n * IO - 1n, 1_000n * IO)]);
      spec
        .given([created, vote(alice, 'yes', 300n * IO), vote(bob, 'abstain', 34n * IO)])
        .when({ type: 'Tally', stakeAtSnapshotBaseUnits: 1_000n * IO, at: at(2 * DAY) })
        .then([tallied('passed', 300n * IO, 0n, 34n * IO, 1_000n * IO)]);
    });

    it('rejects a tie: yes must be strictly more than the threshold', () => {
      spec
        .given([created, vote(alice, 'yes', 300n * IO), vote(bob, 'no', 300n * IO)])
        .when({ type: 'Tally', stakeAtSnapshotBaseUnits: 1_000n * IO, at: at(2 * DAY) })
        .then([tallied('rejected', 300n * IO, 300n * IO, 0n, 1_000n * IO)]);
    });

    it('refuses to tally while voting is open, and tallies once', () => {
      spec.given([created]).when({ type: 'Tally', stakeAtSnapshotBaseUnits: IO, at: at(2 * DAY - 1) }).thenRefused('GOVERNANCE.VOTING_OPEN');
      spec.given([created, tallied('rejected', 0n, 0n, 0n, 0n)]).when({ type: 'Tally', stakeAtSnapshotBaseUnits: IO, at: at(3 * DAY) }).then([]);
    });

    it('decides the outcome exactly at the boundaries', () => {
      expect(outcomeOf({ yes: 1n, no: 0n, abstain: 0n }, 0n, 3_340, 5_000)).toBe('quorum_not_met');
      expect(outcomeOf({ yes: 0n, no: 0n, abstain: 10n }, 10n, 3_340, 5_000)).toBe('rejected');
      // Exactly at the threshold is not more than it; one base unit more passes.
      expect(outcomeOf({ yes: 6_667n, no: 3_333n, abstain: 0n }, 10_000n, 3_340, 6_667)).toBe('rejected');
      expect(outcomeOf({ yes: 6_668n, no: 3_332n, abstain: 0n }, 10_000n, 3_340, 6_667)).toBe('passed');
    });
  });

  describe('timelock and execution', () => {
    const passed = [created, vote(alice, 'yes', 400n * IO), tallied('passed', 400n * IO, 0n, 0n, 1_000n * IO)];
    const inForce = new Map<string, ParameterValue>([['billing.fees.reservation_basis_points', { kind: 'basis_points', value: 25 }]]);

    it('refuses to execute during the timelock', () => {
      spec.given(passed).when({ type: 'Execute', valuesInForce: inForce, at: at(3 * DAY - 1) }).thenRefused('GOVERNANCE.TIMELOCK_NOT_ELAPSED');
    });

    it('executes after the timelock: each change effective from the execution, with its previous value; grants with derived ids', () => {
      spec
        .given(passed)
        .when({ type: 'Execute', valuesInForce: inForce, at: at(3 * DAY + 5) })
        .then([
          { type: 'ProposalExecuted', proposalId: 'p-1', executedAt: at(3 * DAY + 5) },
          {
            type: 'ParameterChanged',
            key: 'billing.fees.reservation_basis_points',
            previousValue: { kind: 'basis_points', value: 25 },
            newValue: { kind: 'basis_points', value: 30 },
            proposalId: 'p-1',
            effectiveAt: at(3 * DAY + 5),
            changedAt: at(3 * DAY + 5),
          },
          { type: 'TreasuryGrantApproved', grantId: 'p-1:grant:1', proposalId: 'p-1', recipientWallet: carol, amountBaseUnits: 5_000n * IO, approvedAt: at(3 * DAY + 5) },
        ]);
    });

    it('executes once, and never a rejected proposal', () => {
      spec.given([...passed, { type: 'ProposalExecuted', proposalId: 'p-1', executedAt: at(3 * DAY) }]).when({ type: 'Execute', valuesInForce: inForce, at: at(4 * DAY) }).then([]);
      spec.given([created, tallied('rejected', 0n, 1n, 0n, 1n)]).when({ type: 'Execute', valuesInForce: inForce, at: at(4 * DAY) }).thenRefused('GOVERNANCE.NOT_PASSED');
    });

    it('cancels a passed proposal in its timelock only when its proposer fell below the threshold', () => {
      const cancel = (stake: bigint, ms: number) => ({ type: 'Cancel' as const, proposerStakeNowBaseUnits: stake, proposalThresholdBaseUnits: 10_000n * IO, at: at(ms) });
      spec.given(passed).when(cancel(9_999n * IO, 2 * DAY + HOUR)).then([{ type: 'ProposalCancelled', proposalId: 'p-1', reason: 'proposer_stake_below_threshold', cancelledAt: at(2 * DAY + HOUR) }]);
      spec.given(passed).when(cancel(10_000n * IO, 2 * DAY + HOUR)).thenRefused('GOVERNANCE.CANCEL_NOT_ALLOWED');
      spec.given(passed).when(cancel(0n, 3 * DAY)).thenRefused('GOVERNANCE.CANCEL_NOT_ALLOWED');
      spec.given([created]).when(cancel(0n, HOUR)).thenRefused('GOVERNANCE.CANCEL_NOT_ALLOWED');
      spec
        .given([...passed, { type: 'ProposalCancelled', proposalId: 'p-1', reason: 'proposer_stake_below_threshold', cancelledAt: at(2 * DAY + HOUR) }])
        .when({ type: 'Execute', valuesInForce: inForce, at: at(4 * DAY) })
        .thenRefused('GOVERNANCE.NOT_PASSED');
    });
  });
});
