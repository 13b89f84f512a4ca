import { derivedId, eventCodec } from '@ionet/eventing';
import { tokenomicsV1 } from '@ionet/contracts';
import type { SlashReason } from '@ionet/tokenomics';
import type { StakingBookEvent } from '../../domain/staking/staking-book.decider';
import { io, ioAmount } from './epoch-event-codec';

/** A staker's position on a device: one id per (device, wallet), whatever the number of deposits. */
export function stakeIdOf(deviceId: string, wallet: string): string {
  return derivedId('stake', deviceId, wallet);
}

const at = (ms: number) => new Date(ms);
const ms = (d: Date | undefined) => d!.getTime();

export const stakingEventCodec = eventCodec<StakingBookEvent>()({
  DeviceRegistered: {
    schema: tokenomicsV1.StakeDeviceRegisteredSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ deviceId: e.deviceId, ownerWallet: e.ownerWallet, model: e.model, gpuCount: e.gpuCount, deviceClass: e.pool === 'CPU' ? 'cpu' : 'gpu', registeredAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'DeviceRegistered', deviceId: w.deviceId, ownerWallet: w.ownerWallet, model: w.model, gpuCount: w.gpuCount, pool: w.deviceClass === 'cpu' ? 'CPU' : 'GPU', atMs: ms(w.registeredAt) }),
  },
  StakeDeposited: {
    schema: tokenomicsV1.StakeDepositedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ stakeId: stakeIdOf(e.deviceId, e.wallet), deviceId: e.deviceId, stakerWallet: e.wallet, role: 'owner', amount: io(e.amountBaseUnits), depositedAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'StakeDeposited', deviceId: w.deviceId, wallet: w.stakerWallet, amountBaseUnits: ioAmount(w.amount, 'StakeDeposited.amount'), atMs: ms(w.depositedAt) }),
  },
  DeviceLeaseChanged: {
    schema: tokenomicsV1.StakeDeviceLeaseChangedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ deviceId: e.deviceId, leased: e.leased, changedAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'DeviceLeaseChanged', deviceId: w.deviceId, leased: w.leased, atMs: ms(w.changedAt) }),
  },
  UnstakeRequested: {
    schema: tokenomicsV1.UnstakeRequestedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({
      stakeId: stakeIdOf(e.deviceId, e.wallet),
      deviceId: e.deviceId,
      stakerWallet: e.wallet,
      amount: io(e.amountBaseUnits),
      cooldownEndsAt: at(e.releasesAtMs),
      requestedAt: at(e.atMs),
      unstakeId: e.unstakeId,
    }),
    fromWire: (w) => ({
      type: 'UnstakeRequested',
      unstakeId: w.unstakeId,
      deviceId: w.deviceId,
      wallet: w.stakerWallet,
      amountBaseUnits: ioAmount(w.amount, 'UnstakeRequested.amount'),
      releasesAtMs: ms(w.cooldownEndsAt),
      atMs: ms(w.requestedAt),
    }),
  },
  UnstakeWithdrawn: {
    schema: tokenomicsV1.StakeWithdrawnSchema,
    occurredAt: (e) => at(e.atMs),
    // The chain transfer back to the wallet is not wired yet (ADR 0611): no signature.
    toWire: (e) => ({ stakeId: stakeIdOf(e.deviceId, e.wallet), deviceId: e.deviceId, chainTransactionSignature: '', unstakeId: e.unstakeId, stakerWallet: e.wallet, amount: io(e.amountBaseUnits), withdrawnAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'UnstakeWithdrawn', deviceId: w.deviceId, unstakeId: w.unstakeId, wallet: w.stakerWallet, amountBaseUnits: ioAmount(w.amount, 'StakeWithdrawn.amount'), atMs: ms(w.withdrawnAt) }),
  },
  CoStakeOfferCreated: {
    schema: tokenomicsV1.CoStakeOfferCreatedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({
      offerId: e.offerId,
      deviceId: e.deviceId,
      supplierId: e.supplierId,
      ownerWallet: e.ownerWallet,
      stakeRequired: io(e.requestedBaseUnits),
      rewardShareBasisPoints: e.coStakerShareBps,
      createdAt: at(e.atMs),
    }),
    fromWire: (w) => ({
      type: 'CoStakeOfferCreated',
      offerId: w.offerId,
      supplierId: w.supplierId,
      deviceId: w.deviceId,
      ownerWallet: w.ownerWallet,
      requestedBaseUnits: ioAmount(w.stakeRequired, 'CoStakeOfferCreated.stake_required'),
      coStakerShareBps: w.rewardShareBasisPoints,
      atMs: ms(w.createdAt),
    }),
  },
  CoStakeOfferCancelled: {
    schema: tokenomicsV1.CoStakeOfferCancelledSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ offerId: e.offerId, cancelledAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'CoStakeOfferCancelled', offerId: w.offerId, atMs: ms(w.cancelledAt) }),
  },
  CoStakeOfferClaimed: {
    schema: tokenomicsV1.CoStakeOfferAcceptedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ offerId: e.offerId, deviceId: e.deviceId, coStakerWallet: e.coStakerWallet, stakeId: stakeIdOf(e.deviceId, e.coStakerWallet), acceptedAt: at(e.atMs), amount: io(e.amountBaseUnits) }),
    fromWire: (w) => ({ type: 'CoStakeOfferClaimed', offerId: w.offerId, deviceId: w.deviceId, coStakerWallet: w.coStakerWallet, amountBaseUnits: ioAmount(w.amount, 'CoStakeOfferAccepted.amount'), atMs: ms(w.acceptedAt) }),
  },
  CoStakeExitRequested: {
    schema: tokenomicsV1.CoStakeExitRequestedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ offerId: e.offerId, coStakerWallet: e.coStakerWallet, waitEndsAt: at(e.waitEndsAtMs), releasesAt: at(e.releasesAtMs), requestedAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'CoStakeExitRequested', offerId: w.offerId, coStakerWallet: w.coStakerWallet, waitEndsAtMs: ms(w.waitEndsAt), releasesAtMs: ms(w.releasesAt), atMs: ms(w.requestedAt) }),
  },
  CoStakeWithdrawn: {
    schema: tokenomicsV1.CoStakeWithdrawnSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ offerId: e.offerId, coStakerWallet: e.coStakerWallet, amount: io(e.amountBaseUnits), withdrawnAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'CoStakeWithdrawn', offerId: w.offerId, coStakerWallet: w.coStakerWallet, amountBaseUnits: ioAmount(w.amount, 'CoStakeWithdrawn.amount'), atMs: ms(w.withdrawnAt) }),
  },
  StakeSlashed: {
    schema: tokenomicsV1.StakeSlashedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({
      slashId: e.slashId,
      stakeId: stakeIdOf(e.deviceId, e.ownerWallet),
      deviceId: e.deviceId,
      stakerWallet: e.ownerWallet,
      amount: io(e.fromOwnerBaseUnits + e.fromCoStakerBaseUnits),
      reason: e.reason.toLowerCase(),
      evidenceEventId: e.evidenceEventId,
      appealDeadlineAt: at(e.appealDeadlineMs),
      slashedAt: at(e.atMs),
      fromOwner: io(e.fromOwnerBaseUnits),
      fromUnstakes: e.fromUnstakes.map((u) => ({ unstakeId: u.unstakeId, amount: io(u.amountBaseUnits) })),
      coStakeOffer: e.offerId ?? '',
      coStakerWallet: e.coStakerWallet ?? '',
      fromCoStaker: io(e.fromCoStakerBaseUnits),
    }),
    fromWire: (w) => ({
      type: 'StakeSlashed',
      slashId: w.slashId,
      deviceId: w.deviceId,
      reason: w.reason.toUpperCase() as SlashReason,
      ownerWallet: w.stakerWallet,
      fromOwnerBaseUnits: w.fromOwner ? ioAmount(w.fromOwner, 'StakeSlashed.from_owner') : ioAmount(w.amount, 'StakeSlashed.amount'),
      fromUnstakes: w.fromUnstakes.map((u, i) => ({ unstakeId: u.unstakeId, amountBaseUnits: ioAmount(u.amount, `StakeSlashed.from_unstakes[${i}].amount`) })),
      offerId: w.coStakeOffer || null,
      coStakerWallet: w.coStakerWallet || null,
      fromCoStakerBaseUnits: w.fromCoStaker ? ioAmount(w.fromCoStaker, 'StakeSlashed.from_co_staker') : 0n,
      appealDeadlineMs: ms(w.appealDeadlineAt),
      evidenceEventId: w.evidenceEventId,
      atMs: ms(w.slashedAt),
    }),
  },
  SlashAppealed: {
    schema: tokenomicsV1.SlashAppealedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ slashId: e.slashId, appealedAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'SlashAppealed', slashId: w.slashId, atMs: ms(w.appealedAt) }),
  },
  SlashAppealResolved: {
    schema: tokenomicsV1.SlashAppealResolvedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({
      slashId: e.slashId,
      upheld: !e.appealWon,
      resolvedAt: at(e.atMs),
      stakerWallet: e.ownerWallet,
      amount: io(e.fromOwnerBaseUnits + e.fromCoStakerBaseUnits),
      fromOwner: io(e.fromOwnerBaseUnits),
      coStakerWallet: e.coStakerWallet ?? '',
      fromCoStaker: io(e.fromCoStakerBaseUnits),
    }),
    fromWire: (w) => ({
      type: 'SlashAppealResolved',
      slashId: w.slashId,
      appealWon: !w.upheld,
      ownerWallet: w.stakerWallet,
      fromOwnerBaseUnits: w.fromOwner ? ioAmount(w.fromOwner, 'SlashAppealResolved.from_owner') : ioAmount(w.amount, 'SlashAppealResolved.amount'),
      coStakerWallet: w.coStakerWallet || null,
      fromCoStakerBaseUnits: w.fromCoStaker ? ioAmount(w.fromCoStaker, 'SlashAppealResolved.from_co_staker') : 0n,
      atMs: ms(w.resolvedAt),
    }),
  },
  SlashAppealWindowClosed: {
    schema: tokenomicsV1.SlashAppealWindowClosedSchema,
    occurredAt: (e) => at(e.atMs),
    toWire: (e) => ({ slashId: e.slashId, amount: io(e.amountBaseUnits), dueAt: at(e.atMs) }),
    fromWire: (w) => ({ type: 'SlashAppealWindowClosed', slashId: w.slashId, amountBaseUnits: ioAmount(w.amount, 'SlashAppealWindowClosed.amount'), atMs: ms(w.dueAt) }),
  },
});
