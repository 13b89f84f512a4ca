import { decideStaking, evolveStaking, INITIAL_STAKING_STATE, own, type RewardPool, type StakingCommand, type StakingEvent, type StakingState } from '@ionet/tokenomics';

/** The staking events this service publishes today; slashing joins with its contract (ADR 0611). */
type LibraryEvent = Exclude<StakingEvent, { type: 'StakeSlashed' | 'SlashAppealed' | 'SlashRestored' | 'SlashBurned' }>;
/** The library's events, with what the contract names beside them: the offering supplier, and the
 *  device a withdrawn unstake was on. */
export type StakingBookEvent =
  | Exclude<LibraryEvent, { type: 'CoStakeOfferCreated' | 'UnstakeWithdrawn' }>
  | (Extract<LibraryEvent, { type: 'CoStakeOfferCreated' }> & { readonly supplierId: string })
  | (Extract<LibraryEvent, { type: 'UnstakeWithdrawn' }> & { readonly deviceId: string });

/**
 * The commands of the edge: the library's, plus two that keep a request one decision. `Stake`
 * registers the device in the book on its first stake; `Unstake` first records whether the device is
 * leased now (as inventory says), so the library refuses an unstake while it is.
 */
export type StakingBookCommand =
  | Exclude<StakingCommand, { type: 'SlashStake' | 'AppealSlash' | 'ResolveSlashAppeal' | 'BurnSlash' | 'CreateCoStakeOffer' }>
  | (Extract<StakingCommand, { type: 'CreateCoStakeOffer' }> & { supplierId: string })
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
    case 'WithdrawUnstake':
      return decideStaking(command, state).map((e) => (e.type === 'UnstakeWithdrawn' ? { ...e, deviceId: own(state.unstakes, e.unstakeId)!.deviceId } : e) as StakingBookEvent);
    default:
      return decideStaking(command, state) as StakingBookEvent[];
  }
}

export function evolveStakingBook(state: StakingState, event: StakingBookEvent): StakingState {
  return evolveStaking(state, event);
}

export const initialStakingBookState: StakingState = INITIAL_STAKING_STATE;
