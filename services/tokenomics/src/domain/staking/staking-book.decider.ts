import { decideStaking, evolveStaking, INITIAL_STAKING_STATE, own, type RewardPool, type StakingCommand, type StakingEvent, type StakingState } from '@ionet/tokenomics';

type LibraryEvent = StakingEvent;
type SlashBurned = Extract<LibraryEvent, { type: 'SlashBurned' }>;
/**
 * The library's events, with what the contract names beside them: the offering supplier, the
 * device a withdrawn unstake was on, a slash's evidence. The library's `SlashRestored` and the
 * `SlashBurned` of a lost appeal are one fact of the contract (`SlashAppealResolved`); the
 * `SlashBurned` of an unappealed slash is `SlashAppealWindowClosed` (ADR 0612).
 */
export type StakingBookEvent =
  | Exclude<LibraryEvent, { type: 'CoStakeOfferCreated' | 'UnstakeWithdrawn' | 'StakeSlashed' | 'SlashRestored' | 'SlashBurned' }>
  | (Extract<LibraryEvent, { type: 'CoStakeOfferCreated' }> & { readonly supplierId: string })
  | (Extract<LibraryEvent, { type: 'UnstakeWithdrawn' }> & { readonly deviceId: string })
  | (Extract<LibraryEvent, { type: 'StakeSlashed' }> & { readonly evidenceEventId: string })
  | { readonly type: 'SlashAppealResolved'; readonly slashId: string; readonly appealWon: boolean; readonly ownerWallet: string; readonly fromOwnerBaseUnits: bigint; readonly coStakerWallet: string | null; readonly fromCoStakerBaseUnits: bigint; readonly atMs: number }
  | { readonly type: 'SlashAppealWindowClosed'; readonly slashId: string; readonly amountBaseUnits: bigint; readonly atMs: number };

/**
 * The commands of the edge: the library's, plus two that keep a request one decision. `Stake`
 * registers the device in the book on its first stake; `Unstake` first records whether the device is
 * leased now (as inventory says), so the library refuses an unstake while it is.
 */
export type StakingBookCommand =
  | Exclude<StakingCommand, { type: 'SlashStake' | 'CreateCoStakeOffer' }>
  | (Extract<StakingCommand, { type: 'CreateCoStakeOffer' }> & { supplierId: string })
  | (Extract<StakingCommand, { type: 'SlashStake' }> & { evidenceEventId: string })
  | { type: 'Stake'; deviceId: string; ownerWallet: string; model: string; gpuCount: number; pool: RewardPool; amountBaseUnits: bigint; atMs: number }
  | { type: 'Unstake'; unstakeId: string; deviceId: string; wallet: string; amountBaseUnits: bigint; leased: boolean; atMs: number };

/** The whole book is one aggregate: the co-staking cap spans devices (the library's model). */
export function decideStakingBook(command: StakingBookCommand, state: StakingState): StakingBookEvent[] {
  switch (command.type) {
    case 'Stake': {
      const registered = own(state.devices, command.deviceId)
        ? []
        : decideStaking({ type: 'RegisterDevice', deviceId: command.deviceId, ownerWallet: command.ownerWallet, model: command.model, gpuCount: command.gpuCount, pool: command.pool, atMs: command.atMs }, state);
      const after = registered.reduce(evolveStaking, state);
      const deposited = decideStaking({ type: 'DepositStake', deviceId: command.deviceId, wallet: command.ownerWallet, amountBaseUnits: command.amountBaseUnits, atMs: command.atMs }, after);
      return [...registered, ...deposited] as StakingBookEvent[];
    }
    case 'Unstake': {
      const lease = decideStaking({ type: 'SetDeviceLeased', deviceId: command.deviceId, leased: command.leased, atMs: command.atMs }, state);
      const after = lease.reduce(evolveStaking, state);
      const requested = decideStaking(
        { type: 'RequestUnstake', unstakeId: command.unstakeId, deviceId: command.deviceId, wallet: command.wallet, amountBaseUnits: command.amountBaseUnits, atMs: command.atMs },
        after,
      );
      return [...lease, ...requested] as StakingBookEvent[];
    }
    case 'CreateCoStakeOffer': {
      const { supplierId, ...libraryCommand } = command;
      return decideStaking(libraryCommand, state).map((e) => ({ ...e, supplierId }) as StakingBookEvent);
    }
    case 'SlashStake': {
      const { evidenceEventId, ...libraryCommand } = command;
      return decideStaking(libraryCommand, state).map((e) => ({ ...e, evidenceEventId }) as StakingBookEvent);
    }
    case 'ResolveSlashAppeal': {
      const slash = own(state.slashes, command.slashId);
      return decideStaking(command, state).map(() => ({
        type: 'SlashAppealResolved' as const,
        slashId: command.slashId,
        appealWon: command.appealWon,
        ownerWallet: slash!.ownerWallet,
        fromOwnerBaseUnits: slash!.fromOwnerBaseUnits,
        coStakerWallet: slash!.coStakerWallet,
        fromCoStakerBaseUnits: slash!.fromCoStakerBaseUnits,
        atMs: command.atMs,
      }));
    }
    case 'BurnSlash':
      return decideStaking(command, state).map((e) => ({ type: 'SlashAppealWindowClosed' as const, slashId: command.slashId, amountBaseUnits: (e as SlashBurned).amountBaseUnits, atMs: command.atMs }));
    case 'WithdrawUnstake':
      return decideStaking(command, state).map((e) => (e.type === 'UnstakeWithdrawn' ? { ...e, deviceId: own(state.unstakes, e.unstakeId)!.deviceId } : e) as StakingBookEvent);
    default:
      return decideStaking(command, state) as StakingBookEvent[];
  }
}

export function evolveStakingBook(state: StakingState, event: StakingBookEvent): StakingState {
  switch (event.type) {
    case 'SlashAppealResolved':
      return evolveStaking(
        state,
        event.appealWon
          ? { type: 'SlashRestored', slashId: event.slashId, ownerWallet: event.ownerWallet, fromOwnerBaseUnits: event.fromOwnerBaseUnits, coStakerWallet: event.coStakerWallet, fromCoStakerBaseUnits: event.fromCoStakerBaseUnits, atMs: event.atMs }
          : { type: 'SlashBurned', slashId: event.slashId, amountBaseUnits: event.fromOwnerBaseUnits + event.fromCoStakerBaseUnits, atMs: event.atMs },
      );
    case 'SlashAppealWindowClosed':
      return evolveStaking(state, { type: 'SlashBurned', slashId: event.slashId, amountBaseUnits: event.amountBaseUnits, atMs: event.atMs });
    default:
      return evolveStaking(state, event);
  }
}

export const initialStakingBookState: StakingState = INITIAL_STAKING_STATE;
