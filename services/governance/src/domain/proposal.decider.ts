import { GovernanceError } from './governance.errors';
import { parameterDefinition, validateParameterValue, type GovernanceParameters, type ParameterValue } from './parameter-registry';

export type VoteChoice = 'yes' | 'no' | 'abstain';
export type ProposalOutcome = 'passed' | 'rejected' | 'quorum_not_met';
export type ProposalStatus = 'absent' | 'voting' | ProposalOutcome | 'executed' | 'cancelled';
export type CancelReason = 'proposer_stake_below_threshold';

export type ProposalAction =
  | { readonly type: 'parameter_change'; readonly key: string; readonly value: ParameterValue }
  /** Treasury grants are paid in IO from the treasury account. */
  | { readonly type: 'treasury_grant'; readonly recipientWallet: string; readonly amountBaseUnits: bigint };

export type ProposalEvent =
  | {
      type: 'ProposalCreated';
      proposalId: string;
      proposerWallet: string;
      title: string;
      description: string;
      actions: ProposalAction[];
      /** Stake weights are read at this instant: a stake made after it does not count. */
      snapshotAt: Date;
      votingEndsAt: Date;
      timelockEndsAt: Date;
      quorumBps: number;
      approvalThresholdBps: number;
      createdAt: Date;
    }
  | { type: 'VoteCast'; proposalId: string; voterWallet: string; choice: VoteChoice; weightBaseUnits: bigint; castAt: Date }
  | {
      type: 'ProposalTallied';
      proposalId: string;
      outcome: ProposalOutcome;
      yesBaseUnits: bigint;
      noBaseUnits: bigint;
      abstainBaseUnits: bigint;
      stakeAtSnapshotBaseUnits: bigint;
      timelockEndsAt: Date;
      talliedAt: Date;
    }
  | { type: 'ProposalCancelled'; proposalId: string; reason: CancelReason; cancelledAt: Date }
  | { type: 'ProposalExecuted'; proposalId: string; executedAt: Date }
  | { type: 'ParameterChanged'; key: string; previousValue: ParameterValue; newValue: ParameterValue; proposalId: string; effectiveAt: Date; changedAt: Date }
  | { type: 'TreasuryGrantApproved'; grantId: string; proposalId: string; recipientWallet: string; amountBaseUnits: bigint; approvedAt: Date };

export type ProposalCommand =
  | {
      type: 'Propose';
      proposalId: string;
      proposerWallet: string;
      /** The proposer's staked IO now (the handler reads it from the stake projection). */
      proposerStakeBaseUnits: bigint;
      title: string;
      description: string;
      actions: ProposalAction[];
      /** Governance's parameters in force now; the proposal keeps them for its whole life. */
      parameters: GovernanceParameters;
      at: Date;
    }
  /** `weightBaseUnits`: the voter's staked IO at the proposal's snapshot. */
  | { type: 'CastVote'; voterWallet: string; choice: VoteChoice; weightBaseUnits: bigint; at: Date }
  /** `stakeAtSnapshotBaseUnits`: all staked IO at the snapshot, the quorum's base. */
  | { type: 'Tally'; stakeAtSnapshotBaseUnits: bigint; at: Date }
  /** `valuesInForce`: each parameter's value at execution, recorded as the change's previous value. */
  | { type: 'Execute'; valuesInForce: ReadonlyMap<string, ParameterValue>; at: Date }
  | { type: 'Cancel'; proposerStakeNowBaseUnits: bigint; proposalThresholdBaseUnits: bigint; at: Date };

export interface CastVoteState {
  readonly choice: VoteChoice;
  readonly weightBaseUnits: bigint;
}

export interface ProposalState {
  readonly status: ProposalStatus;
  readonly proposalId: string;
  readonly proposerWallet: string;
  readonly actions: readonly ProposalAction[];
  readonly votingEndsAt: Date;
  readonly timelockEndsAt: Date;
  readonly quorumBps: number;
  readonly approvalThresholdBps: number;
  readonly votes: ReadonlyMap<string, CastVoteState>;
}

export const initialProposalState: ProposalState = {
  status: 'absent',
  proposalId: '',
  proposerWallet: '',
  actions: [],
  votingEndsAt: new Date(0),
  timelockEndsAt: new Date(0),
  quorumBps: 0,
  approvalThresholdBps: 0,
  votes: new Map(),
};

export const PROPOSAL_LIMITS = { titleCharsMax: 200, descriptionCharsMax: 10_000, actionsMax: 16 } as const;
// A Solana address: base58, 32 to 44 characters.
const WALLET = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

function refuse(code: ConstructorParameters<typeof GovernanceError>[0], detail: string, context: Record<string, unknown> = {}): never {
  throw new GovernanceError(code, detail, context);
}

function requireWallet(wallet: string, what: string): void {
  if (typeof wallet !== 'string' || !WALLET.test(wallet)) refuse('GOVERNANCE.INVALID_PROPOSAL', `${what} is not a Solana address`);
}

function validateActions(actions: readonly ProposalAction[], parameters: GovernanceParameters): void {
  if (!Array.isArray(actions) || actions.length === 0) refuse('GOVERNANCE.INVALID_PROPOSAL', 'a proposal carries at least one action');
  if (actions.length > PROPOSAL_LIMITS.actionsMax) refuse('GOVERNANCE.INVALID_PROPOSAL', `a proposal carries at most ${PROPOSAL_LIMITS.actionsMax} actions`);
  const keys = new Set<string>();
  let grantsBaseUnits = 0n;
  for (const action of actions as readonly ProposalAction[]) {
    switch (action.type) {
      case 'parameter_change':
        validateParameterValue(action.key, action.value);
        if (keys.has(action.key)) refuse('GOVERNANCE.INVALID_PROPOSAL', `${action.key} is changed twice in one proposal`, { key: action.key });
        keys.add(action.key);
        break;
      case 'treasury_grant':
        requireWallet(action.recipientWallet, 'a grant recipient');
        if (action.amountBaseUnits <= 0n) refuse('GOVERNANCE.INVALID_PROPOSAL', 'a treasury grant is a positive amount of IO');
        grantsBaseUnits += action.amountBaseUnits;
        break;
      default: {
        const never: never = action;
        refuse('GOVERNANCE.INVALID_PROPOSAL', `unknown action ${JSON.stringify((never as { type?: unknown }).type)}`);
      }
    }
  }
  if (grantsBaseUnits > parameters.treasuryGrantMaxBaseUnits) {
    refuse('GOVERNANCE.PARAMETER_OUT_OF_BOUNDS', `treasury grants total ${grantsBaseUnits} IO base units, above the ${parameters.treasuryGrantMaxBaseUnits} one proposal may carry`);
  }
}

function tallyOf(votes: ReadonlyMap<string, CastVoteState>): Record<VoteChoice, bigint> {
  const totals: Record<VoteChoice, bigint> = { yes: 0n, no: 0n, abstain: 0n };
  for (const vote of votes.values()) totals[vote.choice] += vote.weightBaseUnits;
  return totals;
}

/**
 * Quorum: everything voted (abstentions included) reaches `quorumBps` of the stake at the snapshot.
 * Approval: yes is strictly more than `approvalThresholdBps` of yes + no, so a tie at 50% fails.
 */
export function outcomeOf(totals: Record<VoteChoice, bigint>, stakeAtSnapshotBaseUnits: bigint, quorumBps: number, approvalThresholdBps: number): ProposalOutcome {
  const voted = totals.yes + totals.no + totals.abstain;
  if (stakeAtSnapshotBaseUnits <= 0n || voted * 10_000n < BigInt(quorumBps) * stakeAtSnapshotBaseUnits) return 'quorum_not_met';
  return totals.yes * 10_000n > BigInt(approvalThresholdBps) * (totals.yes + totals.no) ? 'passed' : 'rejected';
}

export function decideProposal(command: ProposalCommand, state: ProposalState): ProposalEvent[] {
  switch (command.type) {
    case 'Propose': {
      if (state.status !== 'absent') refuse('GOVERNANCE.PROPOSAL_ALREADY_EXISTS', `proposal ${command.proposalId} exists`);
      requireWallet(command.proposerWallet, 'the proposer');
      const title = typeof command.title === 'string' ? command.title.trim() : '';
      if (title.length === 0 || title.length > PROPOSAL_LIMITS.titleCharsMax) refuse('GOVERNANCE.INVALID_PROPOSAL', `a title has 1 to ${PROPOSAL_LIMITS.titleCharsMax} characters`);
      if (typeof command.description !== 'string' || command.description.length > PROPOSAL_LIMITS.descriptionCharsMax) {
        refuse('GOVERNANCE.INVALID_PROPOSAL', `a description has at most ${PROPOSAL_LIMITS.descriptionCharsMax} characters`);
      }
      const p = command.parameters;
      if (command.proposerStakeBaseUnits < p.proposalThresholdBaseUnits) {
        refuse('GOVERNANCE.INSUFFICIENT_STAKE', `proposing takes ${p.proposalThresholdBaseUnits} staked IO base units; ${command.proposerWallet} has ${command.proposerStakeBaseUnits}`, {
          requiredBaseUnits: p.proposalThresholdBaseUnits.toString(),
          stakedBaseUnits: command.proposerStakeBaseUnits.toString(),
        });
      }
      validateActions(command.actions, p);
      const at = command.at.getTime();
      const votingEndsAt = new Date(at + p.votingPeriodMs);
      return [
        {
          type: 'ProposalCreated',
          proposalId: command.proposalId,
          proposerWallet: command.proposerWallet,
          title,
          description: command.description,
          actions: [...command.actions],
          snapshotAt: command.at,
          votingEndsAt,
          timelockEndsAt: new Date(votingEndsAt.getTime() + p.timelockMs),
          quorumBps: p.quorumBps,
          approvalThresholdBps: p.approvalThresholdBps,
          createdAt: command.at,
        },
      ];
    }
    case 'CastVote': {
      if (state.status === 'absent') refuse('GOVERNANCE.PROPOSAL_NOT_FOUND', 'no such proposal');
      if (state.status !== 'voting' || command.at.getTime() >= state.votingEndsAt.getTime()) {
        refuse('GOVERNANCE.VOTING_CLOSED', `voting on ${state.proposalId} ended at ${state.votingEndsAt.toISOString()}`);
      }
      requireWallet(command.voterWallet, 'the voter');
      if (command.weightBaseUnits <= 0n) refuse('GOVERNANCE.NO_VOTING_POWER', `${command.voterWallet} had no staked IO at the snapshot`);
      const previous = state.votes.get(command.voterWallet);
      if (previous && previous.choice === command.choice && previous.weightBaseUnits === command.weightBaseUnits) return [];
      return [{ type: 'VoteCast', proposalId: state.proposalId, voterWallet: command.voterWallet, choice: command.choice, weightBaseUnits: command.weightBaseUnits, castAt: command.at }];
    }
    case 'Tally': {
      if (state.status === 'absent') refuse('GOVERNANCE.PROPOSAL_NOT_FOUND', 'no such proposal');
      if (state.status !== 'voting') return [];
      if (command.at.getTime() < state.votingEndsAt.getTime()) refuse('GOVERNANCE.VOTING_OPEN', `voting on ${state.proposalId} ends at ${state.votingEndsAt.toISOString()}`);
      const totals = tallyOf(state.votes);
      return [
        {
          type: 'ProposalTallied',
          proposalId: state.proposalId,
          outcome: outcomeOf(totals, command.stakeAtSnapshotBaseUnits, state.quorumBps, state.approvalThresholdBps),
          yesBaseUnits: totals.yes,
          noBaseUnits: totals.no,
          abstainBaseUnits: totals.abstain,
          stakeAtSnapshotBaseUnits: command.stakeAtSnapshotBaseUnits,
          timelockEndsAt: state.timelockEndsAt,
          talliedAt: command.at,
        },
      ];
    }
    case 'Execute': {
      if (state.status === 'absent') refuse('GOVERNANCE.PROPOSAL_NOT_FOUND', 'no such proposal');
      if (state.status === 'executed') return [];
      if (state.status !== 'passed') refuse('GOVERNANCE.NOT_PASSED', `proposal ${state.proposalId} is ${state.status}`);
      if (command.at.getTime() < state.timelockEndsAt.getTime()) refuse('GOVERNANCE.TIMELOCK_NOT_ELAPSED', `proposal ${state.proposalId} executes from ${state.timelockEndsAt.toISOString()}`);
      const events: ProposalEvent[] = [{ type: 'ProposalExecuted', proposalId: state.proposalId, executedAt: command.at }];
      state.actions.forEach((action, index) => {
        if (action.type === 'parameter_change') {
          const previousValue = command.valuesInForce.get(action.key) ?? parameterDefinition(action.key).defaultValue;
          // Effective from the execution, never before it: what was priced earlier keeps the old value.
          events.push({ type: 'ParameterChanged', key: action.key, previousValue, newValue: action.value, proposalId: state.proposalId, effectiveAt: command.at, changedAt: command.at });
        } else {
          events.push({ type: 'TreasuryGrantApproved', grantId: `${state.proposalId}:grant:${index}`, proposalId: state.proposalId, recipientWallet: action.recipientWallet, amountBaseUnits: action.amountBaseUnits, approvedAt: command.at });
        }
      });
      return events;
    }
    case 'Cancel': {
      if (state.status === 'absent') refuse('GOVERNANCE.PROPOSAL_NOT_FOUND', 'no such proposal');
      if (state.status === 'cancelled') return [];
      // The one rule (ADR 0700): during the timelock, a passed proposal whose proposer no longer holds
      // the stake to propose is cancelled (Compound's rule); nothing else stops a vote's result.
      if (state.status !== 'passed' || command.at.getTime() >= state.timelockEndsAt.getTime()) {
        refuse('GOVERNANCE.CANCEL_NOT_ALLOWED', `only a passed proposal in its timelock can be cancelled; ${state.proposalId} is ${state.status}`);
      }
      if (command.proposerStakeNowBaseUnits >= command.proposalThresholdBaseUnits) {
        refuse('GOVERNANCE.CANCEL_NOT_ALLOWED', `the proposer still holds ${command.proposerStakeNowBaseUnits} staked IO base units, at or above the ${command.proposalThresholdBaseUnits} threshold`);
      }
      return [{ type: 'ProposalCancelled', proposalId: state.proposalId, reason: 'proposer_stake_below_threshold', cancelledAt: command.at }];
    }
    default: {
      const never: never = command;
      throw new Error(`unhandled governance command ${JSON.stringify(never)}`);
    }
  }
}

export function evolveProposal(state: ProposalState, event: ProposalEvent): ProposalState {
  switch (event.type) {
    case 'ProposalCreated':
      return {
        status: 'voting',
        proposalId: event.proposalId,
        proposerWallet: event.proposerWallet,
        actions: event.actions,
        votingEndsAt: event.votingEndsAt,
        timelockEndsAt: event.timelockEndsAt,
        quorumBps: event.quorumBps,
        approvalThresholdBps: event.approvalThresholdBps,
        votes: new Map(),
      };
    case 'VoteCast':
      return { ...state, votes: new Map(state.votes).set(event.voterWallet, { choice: event.choice, weightBaseUnits: event.weightBaseUnits }) };
    case 'ProposalTallied':
      return { ...state, status: event.outcome };
    case 'ProposalCancelled':
      return { ...state, status: 'cancelled' };
    case 'ProposalExecuted':
      return { ...state, status: 'executed' };
    case 'ParameterChanged':
    case 'TreasuryGrantApproved':
      return state;
    default: {
      const never: never = event;
      throw new Error(`unhandled governance event ${JSON.stringify(never)}`);
    }
  }
}

export const proposalDecider = { decide: decideProposal, evolve: evolveProposal, initialState: initialProposalState };
