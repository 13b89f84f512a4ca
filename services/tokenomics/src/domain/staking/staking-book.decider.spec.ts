import { deciderSpec } from '@ionet/testing';
import { countedStakeBaseUnits } from '@ionet/tokenomics';
import { decideStakingBook, evolveStakingBook, initialStakingBookState, type StakingBookEvent } from './staking-book.decider';

const spec = deciderSpec({ decide: decideStakingBook, evolve: evolveStakingBook, initialState: initialStakingBookState });
const IO = 100_000_000n;
const DAY_MS = 86_400_000;
const atMs = Date.UTC(2026, 11, 1, 12);
const stake = { type: 'Stake' as const, deviceId: 'd1', ownerWallet: 'owner', model: 'H100', gpuCount: 8, pool: 'GPU' as const, amountBaseUnits: 16_000n * IO, atMs };
const registered: StakingBookEvent = { type: 'DeviceRegistered', deviceId: 'd1', ownerWallet: 'owner', model: 'H100', gpuCount: 8, pool: 'GPU', atMs };
const deposited: StakingBookEvent = { type: 'StakeDeposited', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, atMs };

describe('staking book', () => {
  it('a first stake registers the device and deposits, in one decision', () => {
    spec.given([]).when(stake).then([registered, deposited]);
  });

  it('a first stake below the minimum (200 IO x 10 x 8 GPUs for 8x H100) is refused', () => {
    spec.given([]).when({ ...stake, amountBaseUnits: 15_999n * IO }).thenRefused('STAKE.BELOW_MINIMUM');
  });

  it('a later stake only deposits', () => {
    spec.given([registered, deposited]).when({ ...stake, amountBaseUnits: IO }).then([{ ...deposited, amountBaseUnits: IO }]);
  });

  it('an unstake records the lease first and is refused while the device is leased', () => {
    spec.given([registered, deposited]).when({ type: 'Unstake', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, leased: true, atMs }).thenRefused('STAKE.LEASED');
  });

  it('an unstake of an idle device starts the 14-day cooldown', () => {
    spec
      .given([registered, deposited])
      .when({ type: 'Unstake', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, leased: false, atMs })
      .then([{ type: 'UnstakeRequested', unstakeId: 'u1', deviceId: 'd1', wallet: 'owner', amountBaseUnits: 16_000n * IO, releasesAtMs: atMs + 14 * DAY_MS, atMs }]);
  });

  it('a co-stake above half of the device stake is refused; within it, a claimed offer counts toward the stake', () => {
    spec.given([registered, deposited]).when({ type: 'CreateCoStakeOffer', offerId: 'o1', deviceId: 'd1', supplierId: 's1', wallet: 'owner', requestedBaseUnits: 16_001n * IO, coStakerShareBps: 2_000, atMs }).thenRefused('COSTAKE.OVER_HALF');
    const offered = decideStakingBook({ type: 'CreateCoStakeOffer', offerId: 'o1', deviceId: 'd1', supplierId: 's1', wallet: 'owner', requestedBaseUnits: 8_000n * IO, coStakerShareBps: 2_000, atMs }, [registered, deposited].reduce(evolveStakingBook, initialStakingBookState));
    const claimed = decideStakingBook({ type: 'ClaimCoStakeOffer', offerId: 'o1', coStakerWallet: 'co', atMs }, [registered, deposited, ...offered].reduce(evolveStakingBook, initialStakingBookState));
    const state = [registered, deposited, ...offered, ...claimed].reduce(evolveStakingBook, initialStakingBookState);
    expect(countedStakeBaseUnits(state, 'd1', atMs)).toBe(24_000n * IO);
    spec.given([registered, deposited, ...offered, ...claimed]).when({ type: 'ClaimCoStakeOffer', offerId: 'o1', coStakerWallet: 'co2', atMs }).thenRefused('COSTAKE.OFFER_TAKEN');
  });
});

describe('staking book: slashing', () => {
  const slash = { type: 'SlashStake' as const, slashId: 's1', deviceId: 'd1', reason: 'FAILED_SERVICE' as const, amountBaseUnits: 1_000n * IO, evidenceEventId: 'evidence-1', atMs };
  const slashed = decideStakingBook(slash, [registered, deposited].reduce(evolveStakingBook, initialStakingBookState));
  const appealed: StakingBookEvent = { type: 'SlashAppealed', slashId: 's1', atMs: atMs + DAY_MS };

  it('slashes the owner with the evidence named, appealable for 30 days', () => {
    expect(slashed).toEqual([
      expect.objectContaining({ type: 'StakeSlashed', slashId: 's1', fromOwnerBaseUnits: 1_000n * IO, fromCoStakerBaseUnits: 0n, evidenceEventId: 'evidence-1', appealDeadlineMs: atMs + 30 * DAY_MS }),
    ]);
  });

  it('a won appeal is one resolution that restores the stake at risk', () => {
    const events = decideStakingBook({ type: 'ResolveSlashAppeal', slashId: 's1', appealWon: true, atMs: atMs + 2 * DAY_MS }, [registered, deposited, ...slashed, appealed].reduce(evolveStakingBook, initialStakingBookState));
    expect(events).toEqual([{ type: 'SlashAppealResolved', slashId: 's1', appealWon: true, ownerWallet: 'owner', fromOwnerBaseUnits: 1_000n * IO, coStakerWallet: null, fromCoStakerBaseUnits: 0n, atMs: atMs + 2 * DAY_MS }]);
    const state = [registered, deposited, ...slashed, appealed, ...events].reduce(evolveStakingBook, initialStakingBookState);
    expect(state.slashes.s1!.status).toBe('restored');
  });

  it('a lost appeal burns', () => {
    const events = decideStakingBook({ type: 'ResolveSlashAppeal', slashId: 's1', appealWon: false, atMs: atMs + 2 * DAY_MS }, [registered, deposited, ...slashed, appealed].reduce(evolveStakingBook, initialStakingBookState));
    const state = [registered, deposited, ...slashed, appealed, ...events].reduce(evolveStakingBook, initialStakingBookState);
    expect(state.slashes.s1!.status).toBe('burned');
  });

  it('an unappealed slash closes its window only when the month is over', () => {
    spec.given([registered, deposited, ...slashed]).when({ type: 'BurnSlash', slashId: 's1', atMs: atMs + 29 * DAY_MS }).thenRefused('SLASH.APPEAL_WINDOW_OPEN');
    spec.given([registered, deposited, ...slashed]).when({ type: 'BurnSlash', slashId: 's1', atMs: atMs + 30 * DAY_MS }).then([{ type: 'SlashAppealWindowClosed', slashId: 's1', amountBaseUnits: 1_000n * IO, atMs: atMs + 30 * DAY_MS }]);
    spec.given([registered, deposited, ...slashed, appealed]).when({ type: 'AppealSlash', slashId: 's1', atMs: atMs + 2 * DAY_MS }).thenRefused('SLASH.NOT_OPEN');
  });
});
