import type { RewardPool } from '../rewards/reward-allocation';
import { SlashReason } from './staking.commands';

interface At {
  readonly atMs: number;
}

export type StakingEvent =
  | ({
      readonly type: 'DeviceRegistered';
      readonly deviceId: string;
      readonly ownerWallet: string;
      readonly model: string;
      readonly gpuCount: number;
      /** Absent in events written before CPU devices were told apart: 'GPU'. */
      readonly pool?: RewardPool;
    } & At)
  | ({ readonly type: 'StakeDeposited'; readonly deviceId: string; readonly wallet: string; readonly amountBaseUnits: bigint } & At)
  | ({ readonly type: 'DeviceLeaseChanged'; readonly deviceId: string; readonly leased: boolean } & At)
  | ({
      readonly type: 'UnstakeRequested';
      readonly unstakeId: string;
      readonly deviceId: string;
      readonly wallet: string;
      readonly amountBaseUnits: bigint;
      readonly releasesAtMs: number;
    } & At)
  | ({ readonly type: 'UnstakeWithdrawn'; readonly unstakeId: string; readonly wallet: string; readonly amountBaseUnits: bigint } & At)
  | ({
      readonly type: 'CoStakeOfferCreated';
      readonly offerId: string;
      readonly deviceId: string;
      readonly ownerWallet: string;
      readonly requestedBaseUnits: bigint;
      readonly coStakerShareBps: number;
    } & At)
  | ({ readonly type: 'CoStakeOfferCancelled'; readonly offerId: string } & At)
  | ({ readonly type: 'CoStakeOfferClaimed'; readonly offerId: string; readonly deviceId: string; readonly coStakerWallet: string; readonly amountBaseUnits: bigint } & At)
  | ({ readonly type: 'CoStakeExitRequested'; readonly offerId: string; readonly coStakerWallet: string; readonly waitEndsAtMs: number; readonly releasesAtMs: number } & At)
  | ({ readonly type: 'CoStakeWithdrawn'; readonly offerId: string; readonly coStakerWallet: string; readonly amountBaseUnits: bigint } & At)
  | ({
      readonly type: 'StakeSlashed';
      readonly slashId: string;
      readonly deviceId: string;
      readonly reason: SlashReason;
      readonly ownerWallet: string;
      /** Everything the owner loses: bonded stake first, then stake in its unstake cooldown. */
      readonly fromOwnerBaseUnits: bigint;
      /** The part of fromOwnerBaseUnits taken from unstakes still cooling down (staker:<wallet>:unbonding). */
      readonly fromUnstakes: ReadonlyArray<{ readonly unstakeId: string; readonly amountBaseUnits: bigint }>;
      readonly offerId: string | null;
      readonly coStakerWallet: string | null;
      readonly fromCoStakerBaseUnits: bigint;
      readonly appealDeadlineMs: number;
    } & At)
  | ({ readonly type: 'SlashAppealed'; readonly slashId: string } & At)
  /** The appeal won: the slashed IO goes back to the wallets it was taken from (not re-staked). */
  | ({
      readonly type: 'SlashRestored';
      readonly slashId: string;
      readonly ownerWallet: string;
      readonly fromOwnerBaseUnits: bigint;
      readonly coStakerWallet: string | null;
      readonly fromCoStakerBaseUnits: bigint;
    } & At)
  /** Unappealed after the window, or the appeal lost: the slashed IO is burned. */
  | ({ readonly type: 'SlashBurned'; readonly slashId: string; readonly amountBaseUnits: bigint } & At);
