import { ParameterSchedule } from '../parameters/parameter-schedule';
import { TokenomicsError, TokenomicsErrorCode } from '../tokenomics.errors';
import { StakingCommand } from './staking.commands';
import { decide, evolve } from './staking.decider';
import { StakingEvent } from './staking.events';
import { countedStakeBaseUnits, INITIAL_STAKING_STATE, StakingState } from './staking.state';

const IO = 100_000_000n;
const DAY = 24 * 3_600_000;
const T0 = 1_714_262_400_000;

function given(events: StakingEvent[], schedule = ParameterSchedule.of()) {
  const state: StakingState = events.reduce(evolve, INITIAL_STAKING_STATE);
  return {
    state,
    when(command: StakingCommand) {
      return {
        then: (expected: Partial<StakingEvent>[]) => expect(decide(command, state, schedule)).toEqual(expected.map((e) => expect.objectContaining(e))),
        thenRefuses: (code: TokenomicsErrorCode) => {
          let caught: unknown;
          try {
            decide(command, state, schedule);
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(TokenomicsError);
          expect((caught as TokenomicsError).code).toBe(code);
        },
      };
    },
  };
}

const registered: StakingEvent = { type: 'DeviceRegistered', deviceId: 'd1', ownerWallet: 'owner', model: 'H100', gpuCount: 8, atMs: T0 };
const staked = (amountBaseUnits: bigint): StakingEvent => ({ type: 'StakeDeposited', deviceId: 'd1', wallet: 'owner', amountBaseUnits, atMs: T0 });
const offered = (offerId: string, requestedBaseUnits: bigint, deviceId = 'd1', ownerWallet = 'owner'): StakingEvent => ({
  type: 'CoStakeOfferCreated',
  offerId,
  deviceId,
  ownerWallet,
  requestedBaseUnits,
  coStakerShareBps: 4_000,
  atMs: T0,
});
const claimed = (offerId: string, coStakerWallet: string, amountBaseUnits: bigint, deviceId = 'd1'): StakingEvent => ({
  type: 'CoStakeOfferClaimed',
  offerId,
  deviceId,
  coStakerWallet,
  amountBaseUnits,
  atMs: T0,
});

describe('staking decider', () => {
  describe('minimum stake', () => {
    it('given 8x H100, when the owner stakes 15,999 IO, then it is refused below the 16,000 IO minimum', () => {
      given([registered]).when({ type: 'DepositStake', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 15_999n * IO, atMs: T0 }).thenRefuses('STAKE.BELOW_MINIMUM');
    });

    it('given 8x H100, when the owner stakes 16,000 IO, then the stake is deposited', () => {
      given([registered])
        .when({ type: 'DepositStake', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, atMs: T0 })
        .then([{ type: 'StakeDeposited', amountBaseUnits: 16_000n * IO }]);
    });

    it('given a governed minimum raised later, when the owner stakes after the change, then the new minimum applies', () => {
      const schedule = ParameterSchedule.of().apply({ changeId: 'm', decidedAtMs: T0, effectiveFromMs: T0 + DAY, changes: { minimumStakePerGpuBaseUnits: 300n * IO } });
      const command = { type: 'DepositStake', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO } as const;
      given([registered], schedule).when({ ...command, atMs: T0 + DAY - 1 }).then([{ type: 'StakeDeposited' }]);
      given([registered], schedule).when({ ...command, atMs: T0 + DAY }).thenRefuses('STAKE.BELOW_MINIMUM');
    });

    it('given a device, when someone else stakes on it directly, then it is refused', () => {
      given([registered]).when({ type: 'DepositStake', deviceId: 'd1', wallet: 'other', amountBaseUnits: 20_000n * IO, atMs: T0 }).thenRefuses('STAKE.NOT_OWNER');
    });
  });

  describe('unstaking', () => {
    const request = { type: 'RequestUnstake', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', atMs: T0 } as const;

    it('given a leased device, when the owner unstakes, then it is refused', () => {
      given([registered, staked(16_000n * IO), { type: 'DeviceLeaseChanged', deviceId: 'd1', leased: true, atMs: T0 }])
        .when({ ...request, amountBaseUnits: 16_000n * IO })
        .thenRefuses('STAKE.LEASED');
    });

    it('given an idle staked device, when the owner unstakes everything, then a 14-day cooldown starts', () => {
      given([registered, staked(16_000n * IO)])
        .when({ ...request, amountBaseUnits: 16_000n * IO })
        .then([{ type: 'UnstakeRequested', amountBaseUnits: 16_000n * IO, releasesAtMs: T0 + 14 * DAY }]);
    });

    it('given stake above the minimum, when a partial unstake would leave less than the minimum, then it is refused', () => {
      given([registered, staked(20_000n * IO)]).when({ ...request, amountBaseUnits: 4_001n * IO }).thenRefuses('STAKE.BELOW_MINIMUM');
      given([registered, staked(20_000n * IO)]).when({ ...request, amountBaseUnits: 4_000n * IO }).then([{ type: 'UnstakeRequested' }]);
      given([registered, staked(20_000n * IO)]).when({ ...request, amountBaseUnits: 20_001n * IO }).thenRefuses('STAKE.INSUFFICIENT_STAKE');
    });

    it('given a requested unstake, when it is withdrawn before, at and after the cooldown, then only the first withdrawal after it succeeds', () => {
      const history: StakingEvent[] = [
        registered,
        staked(16_000n * IO),
        { type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, releasesAtMs: T0 + 14 * DAY, atMs: T0 },
      ];
      const withdraw = { type: 'WithdrawUnstake', unstakeId: 'u1', wallet: 'owner' } as const;
      given(history).when({ ...withdraw, atMs: T0 + 14 * DAY - 1 }).thenRefuses('STAKE.COOLDOWN_ACTIVE');
      given(history).when({ ...withdraw, atMs: T0 + 14 * DAY }).then([{ type: 'UnstakeWithdrawn', amountBaseUnits: 16_000n * IO }]);
      given([...history, { type: 'UnstakeWithdrawn', unstakeId: 'u1', wallet: 'owner', amountBaseUnits: 16_000n * IO, atMs: T0 + 14 * DAY }])
        .when({ ...withdraw, atMs: T0 + 15 * DAY })
        .thenRefuses('STAKE.ALREADY_WITHDRAWN');
    });

    it('given a requested unstake, when a command carries a time that is not an integer millisecond, then it is refused instead of skipping the cooldown', () => {
      const history: StakingEvent[] = [
        registered,
        staked(16_000n * IO),
        { type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, releasesAtMs: T0 + 14 * DAY, atMs: T0 },
      ];
      given(history).when({ type: 'WithdrawUnstake', unstakeId: 'u1', wallet: 'owner', atMs: Number.NaN }).thenRefuses('STAKE.INVALID_TIME');
      given(history).when({ type: 'WithdrawUnstake', unstakeId: 'u1', wallet: 'owner', atMs: T0 + 0.5 }).thenRefuses('STAKE.INVALID_TIME');
    });

    it('given an active co-stake, when the owner unstakes so the co-stake would exceed half, then it is refused', () => {
      given([registered, staked(20_000n * IO), offered('o1', 10_000n * IO), claimed('o1', 'co', 10_000n * IO)])
        .when({ ...request, amountBaseUnits: 20_000n * IO })
        .thenRefuses('COSTAKE.OVER_HALF');
    });
  });

  describe('co-staking', () => {
    const base = [registered, staked(16_000n * IO)];
    const create = { type: 'CreateCoStakeOffer', offerId: 'o1', deviceId: 'd1', wallet: 'owner', coStakerShareBps: 4_000, atMs: T0 } as const;

    it('given a staked device, when an offer asks for more than half of the total stake, then it is refused', () => {
      given(base).when({ ...create, requestedBaseUnits: 16_000n * IO + 1n }).thenRefuses('COSTAKE.OVER_HALF');
      given(base).when({ ...create, requestedBaseUnits: 16_000n * IO }).then([{ type: 'CoStakeOfferCreated', requestedBaseUnits: 16_000n * IO }]);
    });

    it('given an unstaked device, when the owner creates an offer, then the owner must meet the minimum first', () => {
      given([registered]).when({ ...create, requestedBaseUnits: 1n * IO }).thenRefuses('STAKE.BELOW_MINIMUM');
    });

    it('given an offer, when its owner claims it, then it is refused', () => {
      given([...base, offered('o1', 1_000n * IO)]).when({ type: 'ClaimCoStakeOffer', offerId: 'o1', coStakerWallet: 'owner', atMs: T0 }).thenRefuses('COSTAKE.OWN_DEVICE');
    });

    it('given a claimed offer, when a second co-staker claims it, then it is refused: one co-staker per offer', () => {
      given([...base, offered('o1', 1_000n * IO), claimed('o1', 'co', 1_000n * IO)])
        .when({ type: 'ClaimCoStakeOffer', offerId: 'o1', coStakerWallet: 'co2', atMs: T0 })
        .thenRefuses('COSTAKE.OFFER_TAKEN');
    });

    it('given an account holding two offers, when it claims a third, then it is refused', () => {
      const devices = ['d1', 'd2', 'd3'].flatMap((deviceId, i): StakingEvent[] => [
        { type: 'DeviceRegistered', deviceId, ownerWallet: `owner${i}`, model: 'RTX 3090', gpuCount: 1, atMs: T0 },
        { type: 'StakeDeposited', deviceId, wallet: `owner${i}`, amountBaseUnits: 200n * IO, atMs: T0 },
        offered(`o-${deviceId}`, 100n * IO, deviceId, `owner${i}`),
      ]);
      const two = [...devices, claimed('o-d1', 'co', 100n * IO, 'd1'), claimed('o-d2', 'co', 100n * IO, 'd2')];
      given(two).when({ type: 'ClaimCoStakeOffer', offerId: 'o-d3', coStakerWallet: 'co', atMs: T0 }).thenRefuses('COSTAKE.CLAIM_LIMIT');
      given(two).when({ type: 'ClaimCoStakeOffer', offerId: 'o-d3', coStakerWallet: 'co2', atMs: T0 }).then([{ type: 'CoStakeOfferClaimed' }]);
    });

    it('given a leaving co-staker, then the stake counts for 7 days, is locked 14 more and can be withdrawn after 21', () => {
      const history: StakingEvent[] = [...base, offered('o1', 8_000n * IO), claimed('o1', 'co', 8_000n * IO)];
      const exit = { type: 'RequestCoStakeExit', offerId: 'o1', coStakerWallet: 'co', atMs: T0 } as const;
      given(history).when(exit).then([{ type: 'CoStakeExitRequested', waitEndsAtMs: T0 + 7 * DAY, releasesAtMs: T0 + 21 * DAY }]);
      const exiting = given([...history, ...decide(exit, given(history).state)]);
      expect(countedStakeBaseUnits(exiting.state, 'd1', T0 + 7 * DAY - 1)).toBe(24_000n * IO);
      expect(countedStakeBaseUnits(exiting.state, 'd1', T0 + 7 * DAY)).toBe(16_000n * IO);
      const withdraw = { type: 'WithdrawCoStake', offerId: 'o1', coStakerWallet: 'co' } as const;
      exiting.when({ ...withdraw, atMs: T0 + 21 * DAY - 1 }).thenRefuses('COSTAKE.COOLDOWN_ACTIVE');
      exiting.when({ ...withdraw, atMs: T0 + 21 * DAY }).then([{ type: 'CoStakeWithdrawn', amountBaseUnits: 8_000n * IO }]);
      given(history).when({ ...withdraw, atMs: T0 + 30 * DAY }).thenRefuses('COSTAKE.NOT_EXITING');
    });
  });

  describe('slashing', () => {
    const history: StakingEvent[] = [registered, staked(16_000n * IO), offered('o1', 8_000n * IO), claimed('o1', 'co', 8_000n * IO)];
    const slash = { type: 'SlashStake', slashId: 's1', deviceId: 'd1', reason: 'SPOOFED_HARDWARE', atMs: T0 } as const;
    const slashed = [...history, ...decide({ ...slash, amountBaseUnits: 3_000n * IO + 1n }, given(history).state)];

    it('given a co-staked device, when it is slashed, then owner and co-staker lose in proportion, the co-staker taking the rounding', () => {
      given(history)
        .when({ ...slash, amountBaseUnits: 3_000n * IO + 1n })
        .then([{ type: 'StakeSlashed', fromOwnerBaseUnits: 2_000n * IO, fromCoStakerBaseUnits: 1_000n * IO + 1n, appealDeadlineMs: T0 + 30 * DAY }]);
      given(history).when({ ...slash, amountBaseUnits: 24_000n * IO + 1n }).thenRefuses('SLASH.EXCEEDS_STAKE');
      expect(countedStakeBaseUnits(given(slashed).state, 'd1', T0)).toBe(21_000n * IO - 1n);
    });

    it('given an owner stake in its 14-day cooldown, when the device is slashed, then the cooling-down stake is slashed too', () => {
      const cooling: StakingEvent[] = [
        registered,
        staked(16_000n * IO),
        { type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, releasesAtMs: T0 + 14 * DAY, atMs: T0 },
      ];
      const during = { ...slash, amountBaseUnits: 1_000n * IO, atMs: T0 + DAY };
      given(cooling)
        .when(during)
        .then([{ type: 'StakeSlashed', fromOwnerBaseUnits: 1_000n * IO, fromUnstakes: [{ unstakeId: 'u1', amountBaseUnits: 1_000n * IO }], fromCoStakerBaseUnits: 0n }]);
      const after = given([...cooling, ...decide(during, given(cooling).state)]);
      after.when({ type: 'WithdrawUnstake', unstakeId: 'u1', wallet: 'owner', atMs: T0 + 14 * DAY }).then([{ type: 'UnstakeWithdrawn', amountBaseUnits: 15_000n * IO }]);
      // Once released, the stake is the owner's to withdraw and no longer at stake.
      given(cooling).when({ ...slash, amountBaseUnits: 1n, atMs: T0 + 14 * DAY }).thenRefuses('SLASH.EXCEEDS_STAKE');
    });

    it('given bonded and cooling-down owner stake, when slashed, then the bonded stake goes first and the rest comes from the cooldown', () => {
      const partly: StakingEvent[] = [
        registered,
        staked(20_000n * IO),
        { type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 4_000n * IO, releasesAtMs: T0 + 14 * DAY, atMs: T0 },
      ];
      given(partly)
        .when({ ...slash, amountBaseUnits: 17_000n * IO, atMs: T0 + DAY })
        .then([{ type: 'StakeSlashed', fromOwnerBaseUnits: 17_000n * IO, fromUnstakes: [{ unstakeId: 'u1', amountBaseUnits: 1_000n * IO }] }]);
      given(partly).when({ ...slash, amountBaseUnits: 20_000n * IO + 1n, atMs: T0 + DAY }).thenRefuses('SLASH.EXCEEDS_STAKE');
    });

    it('given a co-staker past the 7-day wait, in its cooldown, when the device is slashed, then the co-stake still loses its share', () => {
      const exiting: StakingEvent[] = [
        ...history,
        { type: 'CoStakeExitRequested', offerId: 'o1', coStakerWallet: 'co', waitEndsAtMs: T0 + 7 * DAY, releasesAtMs: T0 + 21 * DAY, atMs: T0 },
      ];
      given(exiting)
        .when({ ...slash, amountBaseUnits: 2_400n * IO, atMs: T0 + 10 * DAY })
        .then([{ type: 'StakeSlashed', fromOwnerBaseUnits: 1_600n * IO, fromCoStakerBaseUnits: 800n * IO, offerId: 'o1', coStakerWallet: 'co' }]);
      given(exiting).when({ ...slash, amountBaseUnits: 16_000n * IO + 1n, atMs: T0 + 21 * DAY }).thenRefuses('SLASH.EXCEEDS_STAKE');
    });

    it('given a slash, when it is appealed within the month, then the appeal is recorded; after it, refused', () => {
      given(slashed).when({ type: 'AppealSlash', slashId: 's1', atMs: T0 + 30 * DAY - 1 }).then([{ type: 'SlashAppealed' }]);
      given(slashed).when({ type: 'AppealSlash', slashId: 's1', atMs: T0 + 30 * DAY }).thenRefuses('SLASH.APPEAL_WINDOW_CLOSED');
    });

    it('given an unappealed slash, when the window has passed, then it is burned, and not before', () => {
      given(slashed).when({ type: 'BurnSlash', slashId: 's1', atMs: T0 + 30 * DAY - 1 }).thenRefuses('SLASH.APPEAL_WINDOW_OPEN');
      given(slashed).when({ type: 'BurnSlash', slashId: 's1', atMs: T0 + 30 * DAY }).then([{ type: 'SlashBurned', amountBaseUnits: 3_000n * IO + 1n }]);
    });

    it('given an appealed slash, when the appeal wins the IO is restored, when it loses it is burned', () => {
      const appealed = [...slashed, { type: 'SlashAppealed', slashId: 's1', atMs: T0 + DAY } as const];
      given(appealed)
        .when({ type: 'ResolveSlashAppeal', slashId: 's1', appealWon: true, atMs: T0 + 40 * DAY })
        .then([{ type: 'SlashRestored', fromOwnerBaseUnits: 2_000n * IO, fromCoStakerBaseUnits: 1_000n * IO + 1n, coStakerWallet: 'co' }]);
      given(appealed).when({ type: 'ResolveSlashAppeal', slashId: 's1', appealWon: false, atMs: T0 + 40 * DAY }).then([{ type: 'SlashBurned' }]);
      given(appealed).when({ type: 'BurnSlash', slashId: 's1', atMs: T0 + 40 * DAY }).thenRefuses('SLASH.NOT_OPEN');
      given(slashed).when({ type: 'ResolveSlashAppeal', slashId: 's1', appealWon: true, atMs: T0 + DAY }).thenRefuses('SLASH.NOT_APPEALED');
    });
  });

  describe('issue 16 defects', () => {
    const leased: StakingEvent = { type: 'DeviceLeaseChanged', deviceId: 'd1', leased: true, atMs: T0 };
    const coStaked: StakingEvent[] = [registered, staked(16_000n * IO), offered('o1', 8_000n * IO), claimed('o1', 'co', 8_000n * IO)];
    const exitRequested: StakingEvent = { type: 'CoStakeExitRequested', offerId: 'o1', coStakerWallet: 'co', waitEndsAtMs: T0 + 7 * DAY, releasesAtMs: T0 + 21 * DAY, atMs: T0 };

    it('given a leased device, when its co-staker asks to leave or withdraws, then both are refused until the lease ends', () => {
      given([...coStaked, leased]).when({ type: 'RequestCoStakeExit', offerId: 'o1', coStakerWallet: 'co', atMs: T0 + DAY }).thenRefuses('COSTAKE.LEASED');
      given([...coStaked, exitRequested, leased]).when({ type: 'WithdrawCoStake', offerId: 'o1', coStakerWallet: 'co', atMs: T0 + 21 * DAY }).thenRefuses('COSTAKE.LEASED');
      const released: StakingEvent = { type: 'DeviceLeaseChanged', deviceId: 'd1', leased: false, atMs: T0 + 22 * DAY };
      given([...coStaked, exitRequested, leased, released])
        .when({ type: 'WithdrawCoStake', offerId: 'o1', coStakerWallet: 'co', atMs: T0 + 22 * DAY })
        .then([{ type: 'CoStakeWithdrawn', amountBaseUnits: 8_000n * IO }]);
    });

    it('given a leased device, when the owner withdraws an unstake that has cooled down, then it is refused until the lease ends', () => {
      const history: StakingEvent[] = [
        registered,
        staked(20_000n * IO),
        { type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 4_000n * IO, releasesAtMs: T0 + 14 * DAY, atMs: T0 },
        leased,
      ];
      given(history).when({ type: 'WithdrawUnstake', unstakeId: 'u1', wallet: 'owner', atMs: T0 + 15 * DAY }).thenRefuses('STAKE.LEASED');
    });

    it('given a co-stake of exactly half, when a slash leaves a rounding remainder, then the co-stake is still at most half', () => {
      const half: StakingEvent[] = [registered, staked(16_000n * IO), offered('o1', 16_000n * IO), claimed('o1', 'co', 16_000n * IO)];
      for (const amount of [1n, 3n, 7n, 999_999_999n]) {
        const after = given([...half, ...decide({ type: 'SlashStake', slashId: 's', deviceId: 'd1', reason: 'FAILED_SERVICE', amountBaseUnits: amount, atMs: T0 }, given(half).state)]).state;
        const owner = after.devices.d1.ownerStakeBaseUnits;
        const co = after.offers.o1.coStakeBaseUnits;
        expect([amount, co * 2n <= owner + co]).toEqual([amount, true]);
        expect(owner + co).toBe(32_000n * IO - amount);
      }
    });

    it('given an owner stake partly cooling down, when a slash takes the bonded stake first, then the co-staker gives enough to stay at most half', () => {
      const history: StakingEvent[] = [
        { type: 'DeviceRegistered', deviceId: 'd1', ownerWallet: 'owner', model: 'RTX 3090', gpuCount: 1, atMs: T0 },
        { type: 'StakeDeposited', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 400n * IO, atMs: T0 },
        offered('o1', 200n * IO),
        claimed('o1', 'co', 200n * IO),
        { type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 200n * IO, releasesAtMs: T0 + 14 * DAY, atMs: T0 },
      ];
      const events = decide({ type: 'SlashStake', slashId: 's', deviceId: 'd1', reason: 'FAILED_SERVICE', amountBaseUnits: 300n * IO, atMs: T0 + DAY }, given(history).state);
      const after = given([...history, ...events]).state;
      const owner = after.devices.d1.ownerStakeBaseUnits;
      const co = after.offers.o1.coStakeBaseUnits;
      expect(co * 2n <= owner + co).toBe(true);
      expect(events[0]).toMatchObject({ fromOwnerBaseUnits: 150n * IO, fromCoStakerBaseUnits: 150n * IO, fromUnstakes: [] });
    });

    it('given a slash, when an appeal, a burn or a resolution is timed before it, then it is refused', () => {
      const slashedLater = [...coStaked, ...decide({ type: 'SlashStake', slashId: 's1', deviceId: 'd1', reason: 'TAMPERED_DATA', amountBaseUnits: IO, atMs: T0 + DAY }, given(coStaked).state)];
      given(slashedLater).when({ type: 'AppealSlash', slashId: 's1', atMs: T0 }).thenRefuses('SLASH.BEFORE_SLASH');
      given(slashedLater).when({ type: 'AppealSlash', slashId: 's1', atMs: T0 + DAY }).then([{ type: 'SlashAppealed' }]);
      const appealed: StakingEvent[] = [...slashedLater, { type: 'SlashAppealed', slashId: 's1', atMs: T0 + 2 * DAY }];
      given(appealed).when({ type: 'ResolveSlashAppeal', slashId: 's1', appealWon: true, atMs: T0 + DAY }).thenRefuses('SLASH.BEFORE_APPEAL');
    });

    it('given prototype names as ids, when commands name them, then they are ordinary ids: new ones register, missing ones are not found', () => {
      for (const id of ['constructor', 'toString', '__proto__']) {
        given([]).when({ type: 'RegisterDevice', deviceId: id, ownerWallet: 'owner', model: 'H100', gpuCount: 1, atMs: T0 }).then([{ type: 'DeviceRegistered', deviceId: id }]);
        given([registered]).when({ type: 'DepositStake', deviceId: id, wallet: 'owner', amountBaseUnits: IO, atMs: T0 }).thenRefuses('STAKE.DEVICE_NOT_FOUND');
        given([registered]).when({ type: 'ClaimCoStakeOffer', offerId: id, coStakerWallet: 'co', atMs: T0 }).thenRefuses('COSTAKE.OFFER_NOT_FOUND');
        given([registered]).when({ type: 'WithdrawUnstake', unstakeId: id, wallet: 'owner', atMs: T0 }).thenRefuses('STAKE.UNSTAKE_NOT_FOUND');
        given([registered]).when({ type: 'AppealSlash', slashId: id, atMs: T0 }).thenRefuses('SLASH.NOT_FOUND');
      }
    });

    it('given an unknown GPU model, when a device registers, then it is refused; a CPU device registers with any CPU model', () => {
      given([]).when({ type: 'RegisterDevice', deviceId: 'x', ownerWallet: 'owner', model: 'Quantum QPU 9000', gpuCount: 1, atMs: T0 }).thenRefuses('GPU.UNKNOWN_MODEL');
      given([]).when({ type: 'RegisterDevice', deviceId: 'c', ownerWallet: 'owner', model: 'EPYC 7763', gpuCount: 1, pool: 'CPU', atMs: T0 }).then([{ type: 'DeviceRegistered', pool: 'CPU' }]);
      given([]).when({ type: 'RegisterDevice', deviceId: 'h', ownerWallet: 'owner', model: 'NVIDIA H100 80GB HBM3', gpuCount: 8, atMs: T0 }).then([{ type: 'DeviceRegistered' }]);
      const h: StakingEvent = { type: 'DeviceRegistered', deviceId: 'h', ownerWallet: 'owner', model: 'NVIDIA H100 80GB HBM3', gpuCount: 8, atMs: T0 };
      given([h]).when({ type: 'DepositStake', deviceId: 'h', wallet: 'owner', amountBaseUnits: 15_999n * IO, atMs: T0 }).thenRefuses('STAKE.BELOW_MINIMUM');
    });
  });
});
