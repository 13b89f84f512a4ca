import { assertBps, BPS_DENOMINATOR } from '../math/exact';
import { ParameterSchedule } from '../parameters/parameter-schedule';
import { minimumStakeBaseUnits, TokenomicsParameters } from '../parameters/tokenomics-parameters';
import { TokenomicsError, TokenomicsErrorCode } from '../tokenomics.errors';
import { StakingCommand } from './staking.commands';
import { StakingEvent } from './staking.events';
import {
  coolingUnstakes,
  coStakeCountsAt,
  CoStakeOffer,
  countedStakeBaseUnits,
  currentOffer,
  slashableStakeBaseUnits,
  StakedDevice,
  StakingState,
} from './staking.state';

const DEFAULT_SCHEDULE = ParameterSchedule.of();

function refuse(code: TokenomicsErrorCode, message: string): never {
  throw new TokenomicsError(code, message);
}

function device(state: StakingState, deviceId: string): StakedDevice {
  return state.devices[deviceId] ?? refuse('STAKE.DEVICE_NOT_FOUND', `no device ${deviceId}`);
}

function offer(state: StakingState, offerId: string): CoStakeOffer {
  return state.offers[offerId] ?? refuse('COSTAKE.OFFER_NOT_FOUND', `no co-staking offer ${offerId}`);
}

function positive(amount: bigint, code: TokenomicsErrorCode): void {
  if (typeof amount !== 'bigint' || amount <= 0n) refuse(code, 'the amount must be positive');
}

/** co <= maxShare * (owner + co): a co-staker provides at most half (by default) of the total stake. */
function withinCoStakeShare(ownerBaseUnits: bigint, coBaseUnits: bigint, p: TokenomicsParameters): boolean {
  return coBaseUnits * BPS_DENOMINATOR <= BigInt(p.coStakeMaxShareBps) * (ownerBaseUnits + coBaseUnits);
}

function minimumFor(d: StakedDevice, p: TokenomicsParameters): bigint {
  return minimumStakeBaseUnits(d.model, d.gpuCount, p);
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
      if (state.devices[command.deviceId]) refuse('STAKE.DEVICE_EXISTS', `device ${command.deviceId} is already registered`);
      if (!Number.isSafeInteger(command.gpuCount) || command.gpuCount < 1) refuse('STAKE.INVALID_DEVICE', 'a device has at least one GPU');
      return [{ type: 'DeviceRegistered', deviceId: command.deviceId, ownerWallet: command.ownerWallet, model: command.model, gpuCount: command.gpuCount, atMs }];
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
      if (state.unstakes[command.unstakeId]) refuse('STAKE.UNSTAKE_EXISTS', `unstake ${command.unstakeId} exists`);
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
      const u = state.unstakes[command.unstakeId] ?? refuse('STAKE.UNSTAKE_NOT_FOUND', `no unstake ${command.unstakeId}`);
      if (u.wallet !== command.wallet) refuse('STAKE.NOT_OWNER', `unstake ${u.unstakeId} belongs to another wallet`);
      if (u.withdrawn) refuse('STAKE.ALREADY_WITHDRAWN', `unstake ${u.unstakeId} was withdrawn`);
      if (atMs < u.releasesAtMs) refuse('STAKE.COOLDOWN_ACTIVE', `unstake ${u.unstakeId} is cooling down until ${u.releasesAtMs}`);
      return [{ type: 'UnstakeWithdrawn', unstakeId: u.unstakeId, wallet: u.wallet, amountBaseUnits: u.amountBaseUnits, atMs }];
    }
    case 'CreateCoStakeOffer': {
      const d = device(state, command.deviceId);
      if (state.offers[command.offerId]) refuse('COSTAKE.OFFER_EXISTS', `offer ${command.offerId} exists`);
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
      const waitEndsAtMs = atMs + p.coStakeExitWaitMs;
      return [{ type: 'CoStakeExitRequested', offerId: o.offerId, coStakerWallet: command.coStakerWallet, waitEndsAtMs, releasesAtMs: waitEndsAtMs + p.unstakeCooldownMs, atMs }];
    }
    case 'WithdrawCoStake': {
      const o = offer(state, command.offerId);
      if (o.coStakerWallet !== command.coStakerWallet) refuse('COSTAKE.NOT_CO_STAKER', `${command.coStakerWallet} is not the co-staker of ${o.offerId}`);
      if (o.status !== 'exiting') refuse('COSTAKE.NOT_EXITING', `offer ${o.offerId} is ${o.status}; request an exit first`);
      if (atMs < o.releasesAtMs!) refuse('COSTAKE.COOLDOWN_ACTIVE', `co-stake of ${o.offerId} is locked until ${o.releasesAtMs}`);
      return [{ type: 'CoStakeWithdrawn', offerId: o.offerId, coStakerWallet: command.coStakerWallet, amountBaseUnits: o.coStakeBaseUnits, atMs }];
    }
    case 'SlashStake': {
      const d = device(state, command.deviceId);
      if (state.slashes[command.slashId]) refuse('SLASH.EXISTS', `slash ${command.slashId} exists`);
      positive(command.amountBaseUnits, 'SLASH.AMOUNT_NOT_POSITIVE');
      const o = currentOffer(state, d.deviceId);
      // Stake in a cooldown (the owner's unstakes, a leaving co-staker's) stays slashable until released:
      // otherwise unstaking right after misbehaving would escape the slash.
      const { ownerBaseUnits, coStakeBaseUnits: co } = slashableStakeBaseUnits(state, d.deviceId, atMs);
      const total = ownerBaseUnits + co;
      if (command.amountBaseUnits > total) refuse('SLASH.EXCEEDS_STAKE', `device ${d.deviceId} has ${total} at stake`);
      // Our rule: owner and co-staker lose in proportion to their stake; the owner takes the rounding.
      const fromCoStakerBaseUnits = (command.amountBaseUnits * co) / total;
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
      const s = state.slashes[command.slashId] ?? refuse('SLASH.NOT_FOUND', `no slash ${command.slashId}`);
      if (s.status !== 'open') refuse('SLASH.NOT_OPEN', `slash ${s.slashId} is ${s.status}`);
      if (atMs >= s.appealDeadlineMs) refuse('SLASH.APPEAL_WINDOW_CLOSED', `the appeal window of ${s.slashId} closed at ${s.appealDeadlineMs}`);
      return [{ type: 'SlashAppealed', slashId: s.slashId, atMs }];
    }
    case 'ResolveSlashAppeal': {
      const s = state.slashes[command.slashId] ?? refuse('SLASH.NOT_FOUND', `no slash ${command.slashId}`);
      if (s.status !== 'appealed') refuse('SLASH.NOT_APPEALED', `slash ${s.slashId} is ${s.status}`);
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
      const s = state.slashes[command.slashId] ?? refuse('SLASH.NOT_FOUND', `no slash ${command.slashId}`);
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
            status: 'open',
          },
        },
      };
    }
    case 'SlashAppealed':
      return { ...state, slashes: { ...state.slashes, [event.slashId]: { ...state.slashes[event.slashId], status: 'appealed' } } };
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
