import type { RewardPool } from '../rewards/reward-allocation';

export type SlashReason = 'SPOOFED_HARDWARE' | 'TAMPERED_DATA' | 'FAILED_SERVICE';

/** Every command carries the time it is decided at; the decider never reads a clock. */
interface At {
  readonly atMs: number;
}

export type StakingCommand =
  | ({
      readonly type: 'RegisterDevice';
      readonly deviceId: string;
      readonly ownerWallet: string;
      /** A GPU model of the catalogue (name or alias) for GPU devices; any CPU model for CPU devices. */
      readonly model: string;
      readonly gpuCount: number;
      /** Omitted: 'GPU'. */
      readonly pool?: RewardPool;
    } & At)
  | ({ readonly type: 'DepositStake'; readonly deviceId: string; readonly wallet: string; readonly amountBaseUnits: bigint } & At)
  | ({ readonly type: 'SetDeviceLeased'; readonly deviceId: string; readonly leased: boolean } & At)
  | ({ readonly type: 'RequestUnstake'; readonly unstakeId: string; readonly deviceId: string; readonly wallet: string; readonly amountBaseUnits: bigint } & At)
  | ({ readonly type: 'WithdrawUnstake'; readonly unstakeId: string; readonly wallet: string } & At)
  | ({
      readonly type: 'CreateCoStakeOffer';
      readonly offerId: string;
      readonly deviceId: string;
      readonly wallet: string;
      readonly requestedBaseUnits: bigint;
      /** The co-staker's share of the device's block rewards. */
      readonly coStakerShareBps: number;
    } & At)
  | ({ readonly type: 'CancelCoStakeOffer'; readonly offerId: string; readonly wallet: string } & At)
  | ({ readonly type: 'ClaimCoStakeOffer'; readonly offerId: string; readonly coStakerWallet: string } & At)
  | ({ readonly type: 'RequestCoStakeExit'; readonly offerId: string; readonly coStakerWallet: string } & At)
  | ({ readonly type: 'WithdrawCoStake'; readonly offerId: string; readonly coStakerWallet: string } & At)
  | ({ readonly type: 'SlashStake'; readonly slashId: string; readonly deviceId: string; readonly reason: SlashReason; readonly amountBaseUnits: bigint } & At)
  | ({ readonly type: 'AppealSlash'; readonly slashId: string } & At)
  | ({ readonly type: 'ResolveSlashAppeal'; readonly slashId: string; readonly appealWon: boolean } & At)
  | ({ readonly type: 'BurnSlash'; readonly slashId: string } & At);
