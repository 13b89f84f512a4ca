import type { RewardPool } from '../rewards/reward-allocation';
import { SlashReason } from './staking.commands';

/**
 * The entry under `id`, only if it is the record's own: ids come from outside, and "constructor" or
 * "toString" would otherwise find what every object inherits.
 */
export function own<T>(record: Readonly<Record<string, T>>, id: string): T | undefined {
  return Object.hasOwn(record, id) ? record[id] : undefined;
}

export interface StakedDevice {
  readonly deviceId: string;
  readonly ownerWallet: string;
  readonly model: string;
  readonly gpuCount: number;
  /** Absent: 'GPU'. */
  readonly pool?: RewardPool;
  readonly ownerStakeBaseUnits: bigint;
  readonly leased: boolean;
  /** The offer occupying the device (open, active or exiting) until it is cancelled or withdrawn. */
  readonly offerId: string | null;
}

export type OfferStatus = 'open' | 'active' | 'exiting' | 'withdrawn' | 'cancelled';

export interface CoStakeOffer {
  readonly offerId: string;
  readonly deviceId: string;
  readonly ownerWallet: string;
  readonly requestedBaseUnits: bigint;
  readonly coStakerShareBps: number;
  readonly status: OfferStatus;
  readonly coStakerWallet: string | null;
  readonly coStakeBaseUnits: bigint;
  readonly waitEndsAtMs: number | null;
  readonly releasesAtMs: number | null;
}

export interface PendingUnstake {
  readonly unstakeId: string;
  readonly deviceId: string;
  readonly wallet: string;
  readonly amountBaseUnits: bigint;
  readonly releasesAtMs: number;
  readonly withdrawn: boolean;
}

export type SlashStatus = 'open' | 'appealed' | 'restored' | 'burned';

export interface Slash {
  readonly slashId: string;
  readonly deviceId: string;
  readonly reason: SlashReason;
  readonly ownerWallet: string;
  readonly fromOwnerBaseUnits: bigint;
  readonly coStakerWallet: string | null;
  readonly fromCoStakerBaseUnits: bigint;
  readonly appealDeadlineMs: number;
  readonly slashedAtMs: number;
  readonly appealedAtMs: number | null;
  readonly status: SlashStatus;
}

/**
 * The staking book: all devices, offers, unstakes and slashes. One aggregate, because the co-staking
 * claim cap spans devices; a service may shard it by device and keep the cap in a projection.
 */
export interface StakingState {
  readonly devices: Readonly<Record<string, StakedDevice>>;
  readonly offers: Readonly<Record<string, CoStakeOffer>>;
  readonly unstakes: Readonly<Record<string, PendingUnstake>>;
  readonly slashes: Readonly<Record<string, Slash>>;
}

export const INITIAL_STAKING_STATE: StakingState = { devices: {}, offers: {}, unstakes: {}, slashes: {} };

/** An exiting co-stake still counts toward the device's stake during the wait, not in the cooldown. */
export function coStakeCountsAt(offer: CoStakeOffer, atMs: number): boolean {
  return offer.status === 'active' || (offer.status === 'exiting' && offer.waitEndsAtMs !== null && atMs < offer.waitEndsAtMs);
}

/** Only an active co-stake earns: the wait period counts toward the minimum but earns nothing. */
export function coStakeEarns(offer: CoStakeOffer): boolean {
  return offer.status === 'active';
}

export function currentOffer(state: StakingState, deviceId: string): CoStakeOffer | null {
  const offerId = own(state.devices, deviceId)?.offerId;
  return offerId ? (own(state.offers, offerId) ?? null) : null;
}

/** Stake that counts toward the device's minimum at `atMs`: owner's plus a counting co-stake. */
export function countedStakeBaseUnits(state: StakingState, deviceId: string, atMs: number): bigint {
  const device = own(state.devices, deviceId);
  if (!device) return 0n;
  const offer = currentOffer(state, deviceId);
  return device.ownerStakeBaseUnits + (offer && coStakeCountsAt(offer, atMs) ? offer.coStakeBaseUnits : 0n);
}

/**
 * Unstakes of the device's owner still in their cooldown at `atMs`, in the order a slash takes from
 * them (earliest release first, then by id). The cooldown exists so that stake stays slashable.
 */
export function coolingUnstakes(state: StakingState, deviceId: string, atMs: number): PendingUnstake[] {
  return Object.values(state.unstakes)
    .filter((u) => u.deviceId === deviceId && !u.withdrawn && atMs < u.releasesAtMs && u.amountBaseUnits > 0n)
    .sort((a, b) => a.releasesAtMs - b.releasesAtMs || (a.unstakeId < b.unstakeId ? -1 : a.unstakeId > b.unstakeId ? 1 : 0));
}

/** A co-stake is at stake until it is released: active, in the exit wait, and in the cooldown after it. */
export function coStakeSlashableAt(offer: CoStakeOffer, atMs: number): boolean {
  return offer.status === 'active' || (offer.status === 'exiting' && offer.releasesAtMs !== null && atMs < offer.releasesAtMs);
}

/**
 * What a slash at `atMs` can take from the device: the owner's bonded stake and its unstakes still
 * cooling down, plus a co-stake that is not yet released.
 */
export function slashableStakeBaseUnits(state: StakingState, deviceId: string, atMs: number): { readonly ownerBaseUnits: bigint; readonly coStakeBaseUnits: bigint } {
  const device = own(state.devices, deviceId);
  if (!device) return { ownerBaseUnits: 0n, coStakeBaseUnits: 0n };
  const cooling = coolingUnstakes(state, deviceId, atMs).reduce((s, u) => s + u.amountBaseUnits, 0n);
  const offer = currentOffer(state, deviceId);
  return { ownerBaseUnits: device.ownerStakeBaseUnits + cooling, coStakeBaseUnits: offer && coStakeSlashableAt(offer, atMs) ? offer.coStakeBaseUnits : 0n };
}
