import { assertBps, BPS_DENOMINATOR } from '../math/exact';
import { ParameterSchedule } from '../parameters/parameter-schedule';
import { gpuMultiplierBpsOrUndefined, minimumStakeBaseUnits, TokenomicsParameters } from '../parameters/tokenomics-parameters';
import { REWARD_POOLS } from '../rewards/reward-allocation';
import { TokenomicsError, TokenomicsErrorCode } from '../tokenomics.errors';
import { StakingCommand } from './staking.commands';
import { StakingEvent } from './staking.events';
import {
  coolingUnstakes,
  coStakeCountsAt,
  CoStakeOffer,
  countedStakeBaseUnits,
  currentOffer,
  own,
  slashableStakeBaseUnits,
  StakedDevice,
  StakingState,
} from './staking.state';

const DEFAULT_SCHEDULE = ParameterSchedule.of();

function refuse(code: TokenomicsErrorCode, message: string): never {
  throw new TokenomicsError(code, message);
}

function device(state: StakingState, deviceId: string): StakedDevice {
  return own(state.devices, deviceId) ?? refuse('STAKE.DEVICE_NOT_FOUND', `no device ${deviceId}`);
}

function offer(state: StakingState, offerId: string): CoStakeOffer {
  return own(state.offers, offerId) ?? refuse('COSTAKE.OFFER_NOT_FOUND', `no co-staking offer ${offerId}`);
}

function positive(amount: bigint, code: TokenomicsErrorCode): void {
  if (typeof amount !== 'bigint' || amount <= 0n) refuse(code, 'the amount must be positive');
}

/** co <= maxShare * (owner + co): a co-staker provides at most half (by default) of the total stake. */
function withinCoStakeShare(ownerBaseUnits: bigint, coBaseUnits: bigint, p: TokenomicsParameters): boolean {
  return coBaseUnits * BPS_DENOMINATOR <= BigInt(p.coStakeMaxShareBps) * (ownerBaseUnits + coBaseUnits);
}

function minimumFor(d: StakedDevice, p: TokenomicsParameters): bigint {
  return minimumStakeBaseUnits(d.model, d.gpuCount, p, d.pool ?? 'GPU');
}

/** ADR 0107: no stake leaves a leased device, the owner's or a co-staker's. */
function notLeased(d: StakedDevice, code: 'STAKE.LEASED' | 'COSTAKE.LEASED'): void {
  if (d.leased) refuse(code, `device ${d.deviceId} is leased; its stake stays until the lease ends`);
}

function slashOf(state: StakingState, slashId: string, atMs: number) {
  const s = own(state.slashes, slashId) ?? refuse('SLASH.NOT_FOUND', `no slash ${slashId}`);
  if (atMs < s.slashedAtMs) refuse('SLASH.BEFORE_SLASH', `slash ${s.slashId} happened at ${s.slashedAtMs}, after ${atMs}`);
  return s;
}

/**
 * The co-staker's part of a slash of `amount` (ADR 0107): in proportion, the co-staker taking the
 * rounding, so the owner never loses more than its share; and, because the owner's part comes from its
 * bonded stake first, raised just enough that a counting co-stake stays within its maximum share of
 * the device's stake. Never more than the co-stake or the slash.
 */
function coStakerPartOfSlash(amount: bigint, bonded: bigint, slashableOwner: bigint, co: bigint, coCounts: boolean, p: TokenomicsParameters): bigint {
  if (co === 0n) return 0n;
  const total = slashableOwner + co;
  const cap = co < amount ? co : amount;
  let part = (amount * co + total - 1n) / total;
  if (!coCounts) return part;
  const maxShare = BigInt(p.coStakeMaxShareBps);
  const fits = (x: bigint) => {
    const fromOwner = amount - x;
    const bondedAfter = bonded - (fromOwner < bonded ? fromOwner : bonded);
    const coAfter = co - x;
    return coAfter === 0n || coAfter * BPS_DENOMINATOR <= maxShare * (bondedAfter + coAfter);
  };
  if (fits(part)) return part;
  // While the owner's part stays within its bonded stake, bonded' + co' = bonded + co - amount is fixed,
  // so the smallest fitting part is co - floor(maxShare * (bonded + co - amount) / 10,000).
  const left = bonded + co - amount;
  const needed = left >= 0n ? co - (maxShare * left) / BPS_DENOMINATOR : cap;
  for (const candidate of [needed, amount - bonded]) if (candidate > part) part = candidate;
  return part < cap ? part : cap;
}

/**
 * Decides a staking command against the book. Refusals throw a TokenomicsError with a stable code;
 * an accepted command returns the events it causes (none when it changes nothing).
 */
export function decide(command: StakingCommand, state: StakingState, schedule: ParameterSchedule = DEFAULT_SCHEDULE): StakingEvent[] {
  const { atMs } = command;
  // A NaN time compares false with every deadline, so it would pass cooldowns and appeal windows.
  if (!Number.isSafeInteger(atMs)) refuse('STAKE.INVALID_TIME', `command time ${atMs} is not an integer millisecond`);
  const p = schedule.at(atMs);
  switch (command.type) {
    case 'RegisterDevice': {
      if (own(state.devices, command.deviceId)) refuse('STAKE.DEVICE_EXISTS', `device ${command.deviceId} is already registered`);
      if (!Number.isSafeInteger(command.gpuCount) || command.gpuCount < 1) refuse('STAKE.INVALID_DEVICE', 'a device has at least one GPU');
      const pool = command.pool ?? 'GPU';
      if (!REWARD_POOLS.includes(pool)) refuse('STAKE.INVALID_DEVICE', `unknown device pool "${String(pool)}"`);
      // An unknown GPU model would have no multiplier, hence no minimum stake: refuse it up front.
      if (pool === 'GPU' && gpuMultiplierBpsOrUndefined(command.model, p) === undefined) {
        refuse('GPU.UNKNOWN_MODEL', `GPU model "${command.model}" is not in the catalogue and no multiplier for unknown models is configured`);
      }
      return [{ type: 'DeviceRegistered', deviceId: command.deviceId, ownerWallet: command.ownerWallet, model: command.model, gpuCount: command.gpuCount, pool, atMs }];
    }
    case 'DepositStake': {
      const d = device(state, command.deviceId);
      if (d.ownerWallet !== command.wallet) refuse('STAKE.NOT_OWNER', `${command.wallet} does not own ${d.deviceId}; co-stakers claim an offer`);
      positive(command.amountBaseUnits, 'STAKE.AMOUNT_NOT_POSITIVE');
      const after = countedStakeBaseUnits(state, d.deviceId, atMs) + command.amountBaseUnits;
      const minimum = minimumFor(d, p);
      if (after < minimum) refuse('STAKE.BELOW_MINIMUM', `stake would be ${after}, the minimum for ${d.deviceId} is ${minimum}`);
      return [{ type: 'StakeDeposited', deviceId: d.deviceId, wallet: command.wallet, amountBaseUnits: command.amountBaseUnits, atMs }];
    }
    case 'SetDeviceLeased': {
      const d = device(state, command.deviceId);
      return d.leased === command.leased ? [] : [{ type: 'DeviceLeaseChanged', deviceId: d.deviceId, leased: command.leased, atMs }];
    }
    case 'RequestUnstake': {
      const d = device(state, command.deviceId);
      if (own(state.unstakes, command.unstakeId)) refuse('STAKE.UNSTAKE_EXISTS', `unstake ${command.unstakeId} exists`);
      if (d.ownerWallet !== command.wallet) refuse('STAKE.NOT_OWNER', `${command.wallet} does not own ${d.deviceId}`);
      positive(command.amountBaseUnits, 'STAKE.AMOUNT_NOT_POSITIVE');
      if (d.leased) refuse('STAKE.LEASED', `device ${d.deviceId} is leased; unstake after the lease`);
      if (command.amountBaseUnits > d.ownerStakeBaseUnits) refuse('STAKE.INSUFFICIENT_STAKE', `only ${d.ownerStakeBaseUnits} is staked`);
      const remaining = d.ownerStakeBaseUnits - command.amountBaseUnits;
      const o = currentOffer(state, d.deviceId);
      if (o && o.status === 'open' && remaining < minimumFor(d, p)) refuse('COSTAKE.DEVICE_HAS_OFFER', `cancel offer ${o.offerId} first`);
      const co = o && coStakeCountsAt(o, atMs) ? o.coStakeBaseUnits : 0n;
      if (co > 0n && !withinCoStakeShare(remaining, co, p)) refuse('COSTAKE.OVER_HALF', 'the co-stake would exceed its share of the device stake');
      if (remaining > 0n && remaining + co < minimumFor(d, p)) {
        refuse('STAKE.BELOW_MINIMUM', 'a partial unstake must leave at least the minimum; unstake everything instead');
      }
      return [
        {
          type: 'UnstakeRequested',
          unstakeId: command.unstakeId,
          deviceId: d.deviceId,
          wallet: command.wallet,
          amountBaseUnits: command.amountBaseUnits,
          releasesAtMs: atMs + p.unstakeCooldownMs,
          atMs,
        },
      ];
    }
    case 'WithdrawUnstake': {
      const u = own(state.unstakes, command.unstakeId) ?? refuse('STAKE.UNSTAKE_NOT_FOUND', `no unstake ${command.unstakeId}`);
      if (u.wallet !== command.wallet) refuse('STAKE.NOT_OWNER', `unstake ${u.unstakeId} belongs to another wallet`);
      if (u.withdrawn) refuse('STAKE.ALREADY_WITHDRAWN', `unstake ${u.unstakeId} was withdrawn`);
      notLeased(device(state, u.deviceId), 'STAKE.LEASED');
      if (atMs < u.releasesAtMs) refuse('STAKE.COOLDOWN_ACTIVE', `unstake ${u.unstakeId} is cooling down until ${u.releasesAtMs}`);
      return [{ type: 'UnstakeWithdrawn', unstakeId: u.unstakeId, wallet: u.wallet, amountBaseUnits: u.amountBaseUnits, atMs }];
    }
    case 'CreateCoStakeOffer': {
      const d = device(state, command.deviceId);
      if (own(state.offers, command.offerId)) refuse('COSTAKE.OFFER_EXISTS', `offer ${command.offerId} exists`);
      if (d.ownerWallet !== command.wallet) refuse('STAKE.NOT_OWNER', `${command.wallet} does not own ${d.deviceId}`);
      if (d.offerId) refuse('COSTAKE.DEVICE_HAS_OFFER', `device ${d.deviceId} already has offer ${d.offerId}`);
      positive(command.requestedBaseUnits, 'STAKE.AMOUNT_NOT_POSITIVE');
      try {
        assertBps(command.coStakerShareBps, 'co-staker share');
      } catch (error) {
        refuse('COSTAKE.INVALID_SHARE', (error as Error).message);
      }
      if (d.ownerStakeBaseUnits < minimumFor(d, p)) refuse('STAKE.BELOW_MINIMUM', 'the owner must meet the minimum stake before inviting co-stakers');
      if (!withinCoStakeShare(d.ownerStakeBaseUnits, command.requestedBaseUnits, p)) {
        refuse('COSTAKE.OVER_HALF', `a co-staker may provide at most ${p.coStakeMaxShareBps} bps of the device stake`);
      }
      return [
        {
          type: 'CoStakeOfferCreated',
          offerId: command.offerId,
          deviceId: d.deviceId,
          ownerWallet: d.ownerWallet,
          requestedBaseUnits: command.requestedBaseUnits,
          coStakerShareBps: command.coStakerShareBps,
          atMs,
        },
      ];
    }
    case 'CancelCoStakeOffer': {
      const o = offer(state, command.offerId);
      if (o.ownerWallet !== command.wallet) refuse('STAKE.NOT_OWNER', `${command.wallet} did not make offer ${o.offerId}`);
      if (o.status !== 'open') refuse('COSTAKE.OFFER_NOT_OPEN', `offer ${o.offerId} is ${o.status}`);
      return [{ type: 'CoStakeOfferCancelled', offerId: o.offerId, atMs }];
    }
    case 'ClaimCoStakeOffer': {
      const o = offer(state, command.offerId);
      if (o.status === 'active' || o.status === 'exiting') refuse('COSTAKE.OFFER_TAKEN', `offer ${o.offerId} already has its co-staker`);
      if (o.status !== 'open') refuse('COSTAKE.OFFER_NOT_OPEN', `offer ${o.offerId} is ${o.status}`);
      if (o.ownerWallet === command.coStakerWallet) refuse('COSTAKE.OWN_DEVICE', 'an owner cannot co-stake its own device');
      const held = Object.values(state.offers).filter(
        (x) => x.coStakerWallet === command.coStakerWallet && (x.status === 'active' || x.status === 'exiting'),
      ).length;
      if (held >= p.coStakeClaimsPerAccountMax) refuse('COSTAKE.CLAIM_LIMIT', `${command.coStakerWallet} already holds ${held} offers`);
      const d = device(state, o.deviceId);
      if (!withinCoStakeShare(d.ownerStakeBaseUnits, o.requestedBaseUnits, p)) refuse('COSTAKE.OVER_HALF', 'the owner stake no longer covers this co-stake');
      return [{ type: 'CoStakeOfferClaimed', offerId: o.offerId, deviceId: o.deviceId, coStakerWallet: command.coStakerWallet, amountBaseUnits: o.requestedBaseUnits, atMs }];
    }
    case 'RequestCoStakeExit': {
      const o = offer(state, command.offerId);
      if (o.coStakerWallet !== command.coStakerWallet) refuse('COSTAKE.NOT_CO_STAKER', `${command.coStakerWallet} is not the co-staker of ${o.offerId}`);
      if (o.status !== 'active') refuse('COSTAKE.NOT_ACTIVE', `offer ${o.offerId} is ${o.status}`);
      notLeased(device(state, o.deviceId), 'COSTAKE.LEASED');
      const waitEndsAtMs = atMs + p.coStakeExitWaitMs;
      return [{ type: 'CoStakeExitRequested', offerId: o.offerId, coStakerWallet: command.coStakerWallet, waitEndsAtMs, releasesAtMs: waitEndsAtMs + p.unstakeCooldownMs, atMs }];
    }
    case 'WithdrawCoStake': {
      const o = offer(state, command.offerId);
      if (o.coStakerWallet !== command.coStakerWallet) refuse('COSTAKE.NOT_CO_STAKER', `${command.coStakerWallet} is not the co-staker of ${o.offerId}`);
      if (o.status !== 'exiting') refuse('COSTAKE.NOT_EXITING', `offer ${o.offerId} is ${o.status}; request an exit first`);
      notLeased(device(state, o.deviceId), 'COSTAKE.LEASED');
      if (atMs < o.releasesAtMs!) refuse('COSTAKE.COOLDOWN_ACTIVE', `co-stake of ${o.offerId} is locked until ${o.releasesAtMs}`);
      return [{ type: 'CoStakeWithdrawn', offerId: o.offerId, coStakerWallet: command.coStakerWallet, amountBaseUnits: o.coStakeBaseUnits, atMs }];
    }
    case 'SlashStake': {
      const d = device(state, command.deviceId);
      if (own(state.slashes, command.slashId)) refuse('SLASH.EXISTS', `slash ${command.slashId} exists`);
      positive(command.amountBaseUnits, 'SLASH.AMOUNT_NOT_POSITIVE');
      const o = currentOffer(state, d.deviceId);
      // Stake in a cooldown (the owner's unstakes, a leaving co-staker's) stays slashable until released:
      // otherwise unstaking right after misbehaving would escape the slash.
      const { ownerBaseUnits, coStakeBaseUnits: co } = slashableStakeBaseUnits(state, d.deviceId, atMs);
      const total = ownerBaseUnits + co;
      if (command.amountBaseUnits > total) refuse('SLASH.EXCEEDS_STAKE', `device ${d.deviceId} has ${total} at stake`);
      const fromCoStakerBaseUnits = coStakerPartOfSlash(command.amountBaseUnits, d.ownerStakeBaseUnits, ownerBaseUnits, co, o !== null && coStakeCountsAt(o, atMs), p);
      const fromOwnerBaseUnits = command.amountBaseUnits - fromCoStakerBaseUnits;
      let fromCooling = fromOwnerBaseUnits - (fromOwnerBaseUnits < d.ownerStakeBaseUnits ? fromOwnerBaseUnits : d.ownerStakeBaseUnits);
      const fromUnstakes: { unstakeId: string; amountBaseUnits: bigint }[] = [];
      for (const u of coolingUnstakes(state, d.deviceId, atMs)) {
        if (fromCooling === 0n) break;
        const take = fromCooling < u.amountBaseUnits ? fromCooling : u.amountBaseUnits;
        fromUnstakes.push({ unstakeId: u.unstakeId, amountBaseUnits: take });
        fromCooling -= take;
      }
      return [
        {
          type: 'StakeSlashed',
          slashId: command.slashId,
          deviceId: d.deviceId,
          reason: command.reason,
          ownerWallet: d.ownerWallet,
          fromOwnerBaseUnits,
          fromUnstakes,
          offerId: co > 0n ? o!.offerId : null,
          coStakerWallet: co > 0n ? o!.coStakerWallet : null,
          fromCoStakerBaseUnits,
          appealDeadlineMs: atMs + p.slashAppealWindowMs,
          atMs,
        },
      ];
    }
    case 'AppealSlash': {
      const s = slashOf(state, command.slashId, atMs);
      if (s.status !== 'open') refuse('SLASH.NOT_OPEN', `slash ${s.slashId} is ${s.status}`);
      if (atMs >= s.appealDeadlineMs) refuse('SLASH.APPEAL_WINDOW_CLOSED', `the appeal window of ${s.slashId} closed at ${s.appealDeadlineMs}`);
      return [{ type: 'SlashAppealed', slashId: s.slashId, atMs }];
    }
    case 'ResolveSlashAppeal': {
      const s = slashOf(state, command.slashId, atMs);
      if (s.status !== 'appealed') refuse('SLASH.NOT_APPEALED', `slash ${s.slashId} is ${s.status}`);
      if (s.appealedAtMs !== null && atMs < s.appealedAtMs) refuse('SLASH.BEFORE_APPEAL', `slash ${s.slashId} was appealed at ${s.appealedAtMs}, after ${atMs}`);
      if (command.appealWon) {
        return [
          {
            type: 'SlashRestored',
            slashId: s.slashId,
            ownerWallet: s.ownerWallet,
            fromOwnerBaseUnits: s.fromOwnerBaseUnits,
            coStakerWallet: s.coStakerWallet,
            fromCoStakerBaseUnits: s.fromCoStakerBaseUnits,
            atMs,
          },
        ];
      }
      return [{ type: 'SlashBurned', slashId: s.slashId, amountBaseUnits: s.fromOwnerBaseUnits + s.fromCoStakerBaseUnits, atMs }];
    }
    case 'BurnSlash': {
      const s = slashOf(state, command.slashId, atMs);
      if (s.status !== 'open') refuse('SLASH.NOT_OPEN', `slash ${s.slashId} is ${s.status}`);
      if (atMs < s.appealDeadlineMs) refuse('SLASH.APPEAL_WINDOW_OPEN', `slash ${s.slashId} can be appealed until ${s.appealDeadlineMs}`);
      return [{ type: 'SlashBurned', slashId: s.slashId, amountBaseUnits: s.fromOwnerBaseUnits + s.fromCoStakerBaseUnits, atMs }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled staking command ${JSON.stringify(unhandled)}`);
    }
  }
}

function withDevice(state: StakingState, d: StakedDevice): StakingState {
  return { ...state, devices: { ...state.devices, [d.deviceId]: d } };
}

function withOffer(state: StakingState, o: CoStakeOffer): StakingState {
  return { ...state, offers: { ...state.offers, [o.offerId]: o } };
}

/** Applies a fact; never refuses (facts happened), and never reads anything but the state and event. */
export function evolve(state: StakingState, event: StakingEvent): StakingState {
  switch (event.type) {
    case 'DeviceRegistered':
      return withDevice(state, {
        deviceId: event.deviceId,
        ownerWallet: event.ownerWallet,
        model: event.model,
        gpuCount: event.gpuCount,
        pool: event.pool ?? 'GPU',
        ownerStakeBaseUnits: 0n,
        leased: false,
        offerId: null,
      });
    case 'StakeDeposited': {
      const d = state.devices[event.deviceId];
      return withDevice(state, { ...d, ownerStakeBaseUnits: d.ownerStakeBaseUnits + event.amountBaseUnits });
    }
    case 'DeviceLeaseChanged':
      return withDevice(state, { ...state.devices[event.deviceId], leased: event.leased });
    case 'UnstakeRequested': {
      const d = state.devices[event.deviceId];
      const next = withDevice(state, { ...d, ownerStakeBaseUnits: d.ownerStakeBaseUnits - event.amountBaseUnits });
      return {
        ...next,
        unstakes: {
          ...next.unstakes,
          [event.unstakeId]: {
            unstakeId: event.unstakeId,
            deviceId: event.deviceId,
            wallet: event.wallet,
            amountBaseUnits: event.amountBaseUnits,
            releasesAtMs: event.releasesAtMs,
            withdrawn: false,
          },
        },
      };
    }
    case 'UnstakeWithdrawn':
      return { ...state, unstakes: { ...state.unstakes, [event.unstakeId]: { ...state.unstakes[event.unstakeId], withdrawn: true } } };
    case 'CoStakeOfferCreated': {
      const next = withOffer(state, {
        offerId: event.offerId,
        deviceId: event.deviceId,
        ownerWallet: event.ownerWallet,
        requestedBaseUnits: event.requestedBaseUnits,
        coStakerShareBps: event.coStakerShareBps,
        status: 'open',
        coStakerWallet: null,
        coStakeBaseUnits: 0n,
        waitEndsAtMs: null,
        releasesAtMs: null,
      });
      return withDevice(next, { ...next.devices[event.deviceId], offerId: event.offerId });
    }
    case 'CoStakeOfferCancelled': {
      const o = state.offers[event.offerId];
      const next = withOffer(state, { ...o, status: 'cancelled' });
      return withDevice(next, { ...next.devices[o.deviceId], offerId: null });
    }
    case 'CoStakeOfferClaimed':
      return withOffer(state, { ...state.offers[event.offerId], status: 'active', coStakerWallet: event.coStakerWallet, coStakeBaseUnits: event.amountBaseUnits });
    case 'CoStakeExitRequested':
      return withOffer(state, { ...state.offers[event.offerId], status: 'exiting', waitEndsAtMs: event.waitEndsAtMs, releasesAtMs: event.releasesAtMs });
    case 'CoStakeWithdrawn': {
      const o = state.offers[event.offerId];
      const next = withOffer(state, { ...o, status: 'withdrawn', coStakeBaseUnits: 0n });
      return withDevice(next, { ...next.devices[o.deviceId], offerId: null });
    }
    case 'StakeSlashed': {
      const d = state.devices[event.deviceId];
      const fromCooling = event.fromUnstakes.reduce((s, u) => s + u.amountBaseUnits, 0n);
      let next = withDevice(state, { ...d, ownerStakeBaseUnits: d.ownerStakeBaseUnits - (event.fromOwnerBaseUnits - fromCooling) });
      for (const taken of event.fromUnstakes) {
        const u = next.unstakes[taken.unstakeId];
        next = { ...next, unstakes: { ...next.unstakes, [u.unstakeId]: { ...u, amountBaseUnits: u.amountBaseUnits - taken.amountBaseUnits } } };
      }
      if (event.offerId) {
        const o = next.offers[event.offerId];
        next = withOffer(next, { ...o, coStakeBaseUnits: o.coStakeBaseUnits - event.fromCoStakerBaseUnits });
      }
      return {
        ...next,
        slashes: {
          ...next.slashes,
          [event.slashId]: {
            slashId: event.slashId,
            deviceId: event.deviceId,
            reason: event.reason,
            ownerWallet: event.ownerWallet,
            fromOwnerBaseUnits: event.fromOwnerBaseUnits,
            coStakerWallet: event.coStakerWallet,
            fromCoStakerBaseUnits: event.fromCoStakerBaseUnits,
            appealDeadlineMs: event.appealDeadlineMs,
            slashedAtMs: event.atMs,
            appealedAtMs: null,
            status: 'open',
          },
        },
      };
    }
    case 'SlashAppealed':
      return { ...state, slashes: { ...state.slashes, [event.slashId]: { ...state.slashes[event.slashId], status: 'appealed', appealedAtMs: event.atMs } } };
    case 'SlashRestored':
      return { ...state, slashes: { ...state.slashes, [event.slashId]: { ...state.slashes[event.slashId], status: 'restored' } } };
    case 'SlashBurned':
      return { ...state, slashes: { ...state.slashes, [event.slashId]: { ...state.slashes[event.slashId], status: 'burned' } } };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled staking event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** decide then evolve: the new state and the events, for callers that keep state in memory. */
export function handle(
  command: StakingCommand,
  state: StakingState,
  schedule: ParameterSchedule = DEFAULT_SCHEDULE,
): { readonly state: StakingState; readonly events: StakingEvent[] } {
  const events = decide(command, state, schedule);
  return { state: events.reduce(evolve, state), events };
}
