import { AccountNames as A, accountFlags, Ledger, NO_FLAGS, type Leg } from '@ionet/ledger';
import { LedgerPostingError } from './ledger-posting.errors';
import { EXTERNAL_IO_MARKET, EXTERNAL_USDC, POSTING_RULES, postingFor, type PostingEvents, type PostingEventType } from './ledger-postings';

const at = new Date('2026-12-01T10:00:00Z');
const usdc = (n: bigint) => ({ amountBaseUnits: n, asset: 'USDC' });
const io = (n: bigint) => ({ amountBaseUnits: n, asset: 'IO' });
const CUSTOMER = 'c0ffee00-0000-7000-8000-000000000001';
const SUPPLIER = 'c0ffee00-0000-7000-8000-000000000002';
const WALLET = 'So1anaWa11et1111111111111111111111111111111';

/** One event of every mapped type, as the consumer hands them over (domain shape). */
const SAMPLE_EVENTS: { [T in PostingEventType]: PostingEvents[T] } = {
  'ionet.billing.v1.DepositReceived': { depositId: 'd1', customerId: CUSTOMER, amount: usdc(10_000_000n), method: 'usdc', externalReference: 'tx', receivedAt: at },
  'ionet.billing.v1.EscrowLocked': {
    escrowId: 'e1', leaseId: 'l1', customerId: CUSTOMER, amount: usdc(2_045_000n), reservationFee: usdc(5_000n), paymentFee: usdc(40_000n), lockedAt: at,
    fundingId: 'l1', computeAmount: usdc(2_000_000n), sourceEventId: 'v0', ioPriceUsdMicros: 0n, slots: [], hours: 2,
  },
  'ionet.billing.v1.UsageCharged': {
    chargeId: 'ch1', leaseId: 'l1', customerId: CUSTOMER, supplierId: SUPPLIER, deviceId: 'dev1', hourIndex: 1,
    gross: usdc(1_000_000n), supplierEarnings: usdc(977_500n), platformFee: usdc(22_500n), sourceEventId: 'v1', chargedAt: at,
    computeAmount: usdc(988_750n), customerFee: usdc(11_250n), supplierFee: usdc(11_250n), gpuCount: 1, pricePerGpuHour: usdc(988_750n), hourStart: at, hourEnd: at,
  },
  'ionet.billing.v1.FeeRetained': { feeId: 'f1', leaseId: 'l1', customerId: CUSTOMER, amount: usdc(45_000n), reason: 'early_termination', sourceEventId: 'v4', retainedAt: at },
  'ionet.billing.v1.RefundIssued': { refundId: 'r1', leaseId: 'l1', customerId: CUSTOMER, amount: usdc(500_000n), reason: 'time_lock_violated', sourceEventId: 'v2', refundedAt: at, deviceId: 'dev1', hourIndex: 0, deviceHours: 1, gpuCount: 1, hourStart: at },
  'ionet.billing.v1.EscrowReleased': { escrowId: 'e1', leaseId: 'l1', customerId: CUSTOMER, amount: usdc(500_000n), releasedAt: at, sourceEventId: 'v5' },
  'ionet.billing.v1.PayoutSettled': { payoutId: 'p1', supplierId: SUPPLIER, wallet: WALLET, amount: usdc(977_500n), periodStart: at, periodEnd: at, chainTransactionSignature: 'sig', settledAt: at },
  'ionet.tokenomics.v1.EmissionMinted': { epochNumber: 1n, amount: io(456_621_004_566n), totalEmitted: io(456_621_004_566n), chainTransactionSignature: 'sig', mintedAt: at },
  'ionet.tokenomics.v1.RewardsAllocated': {
    epochNumber: 1n, pool: 'gpu', poolTotal: io(1_000n), remainder: io(1n), remainderAccount: '', allocatedAt: at,
    allocations: [
      { deviceId: 'dev1', supplierId: SUPPLIER, recipientWallet: WALLET, recipientKind: 'supplier', amount: io(600n), deviceHours: 1n, multiplierBasisPoints: 10_000 },
      { deviceId: 'dev1', supplierId: SUPPLIER, recipientWallet: WALLET, recipientKind: 'co_staker', amount: io(399n), deviceHours: 1n, multiplierBasisPoints: 10_000 },
    ],
  },
  'ionet.tokenomics.v1.StakeDeposited': { stakeId: 's1', deviceId: 'dev1', stakerWallet: WALLET, role: 'owner', amount: io(20_000n), depositedAt: at },
  'ionet.tokenomics.v1.UnstakeRequested': { stakeId: 's1', deviceId: 'dev1', stakerWallet: WALLET, amount: io(5_000n), cooldownEndsAt: at, requestedAt: at, unstakeId: 'u1' },
  'ionet.tokenomics.v1.StakeWithdrawn': { stakeId: 's1', deviceId: 'dev1', stakerWallet: WALLET, amount: io(5_000n), chainTransactionSignature: 'sig', withdrawnAt: at, unstakeId: 'u1' },
  'ionet.tokenomics.v1.StakeSlashed': { slashId: 'x1', stakeId: 's1', deviceId: 'dev1', stakerWallet: WALLET, amount: io(3_000n), reason: 'failed_service', evidenceEventId: 'v3', appealDeadlineAt: at, slashedAt: at, fromOwner: io(3_000n), fromUnstakes: [], coStakeOffer: '', coStakerWallet: '', fromCoStaker: io(0n) },
  'ionet.tokenomics.v1.SlashAppealResolved': { slashId: 'x1', upheld: false, resolvedAt: at, stakerWallet: WALLET, amount: io(1_000n), fromOwner: io(1_000n), coStakerWallet: '', fromCoStaker: io(0n) },
  'ionet.tokenomics.v1.BuybackExecuted': { buybackId: 'b1', spent: usdc(11_250n), bought: io(2_000n), chainTransactionSignature: 'sig', executedAt: at },
  'ionet.tokenomics.v1.TokensBurned': { burnId: 'u1', amount: io(2_000n), reason: 'buyback', sourceId: 'b1', totalBurned: io(2_000n), chainTransactionSignature: 'sig', burnedAt: at },
};

const legsOf = <T extends PostingEventType>(type: T, event: PostingEvents[T] = SAMPLE_EVENTS[type]): Leg[] => [...(postingFor(type, event)?.legs ?? [])];
const sorted = (legs: Leg[]) => legs.map((l) => `${l.side} ${l.account} ${l.amountBaseUnits} ${l.asset}`).sort();

describe('ledger postings: one entry per money event, balanced per asset', () => {
  it('maps every rule, and an independent @ionet/ledger accepts each posting, one after the other, as balanced', () => {
    const ledger = new Ledger();
    let atMs = 0;
    for (const type of Object.keys(POSTING_RULES) as PostingEventType[]) {
      const posting = postingFor(type, SAMPLE_EVENTS[type] as never);
      expect(posting).toBeDefined();
      for (const leg of posting!.legs) if (!ledger.hasAccount(leg.account)) ledger.openAccount(leg.account, NO_FLAGS);
      expect(ledger.submit({ type: 'entry', id: type, atMs: atMs++, legs: posting!.legs, memo: posting!.memo }).status).toBe('applied');
    }
    expect(ledger.checkInvariants({ full: true })).toEqual([]);
  });

  it('books a USDC deposit from the outside world, an IO one from the market, and credits against their USDC backing', () => {
    expect(sorted(legsOf('ionet.billing.v1.DepositReceived'))).toEqual(sorted([
      { account: EXTERNAL_USDC, asset: 'USDC', side: 'debit', amountBaseUnits: 10_000_000n },
      { account: A.customerAvailable(CUSTOMER), asset: 'USDC', side: 'credit', amountBaseUnits: 10_000_000n },
    ]));
    const ioDeposit = { ...SAMPLE_EVENTS['ionet.billing.v1.DepositReceived'], amount: io(7n), method: 'io' };
    expect(legsOf('ionet.billing.v1.DepositReceived', ioDeposit).find((l) => l.side === 'debit')).toMatchObject({ account: EXTERNAL_IO_MARKET, asset: 'IO' });
    const credits = { ...SAMPLE_EVENTS['ionet.billing.v1.DepositReceived'], amount: { amountBaseUnits: 5n, asset: 'CREDIT' }, method: 'credits' };
    expect(sorted(legsOf('ionet.billing.v1.DepositReceived', credits))).toEqual(sorted([
      { account: EXTERNAL_USDC, asset: 'USDC', side: 'debit', amountBaseUnits: 5n },
      { account: A.platformCreditBacking, asset: 'USDC', side: 'credit', amountBaseUnits: 5n },
      { account: A.platformCreditsIssued, asset: 'CREDIT', side: 'debit', amountBaseUnits: 5n },
      { account: A.customerAvailable(CUSTOMER), asset: 'CREDIT', side: 'credit', amountBaseUnits: 5n },
    ]));
  });

  it('locks the quote total (compute and customer fees) into escrow; fees kept on refunded hours go to the platform', () => {
    expect(sorted(legsOf('ionet.billing.v1.EscrowLocked'))).toEqual(sorted([
      { account: A.customerAvailable(CUSTOMER), asset: 'USDC', side: 'debit', amountBaseUnits: 2_045_000n },
      { account: A.customerEscrow(CUSTOMER), asset: 'USDC', side: 'credit', amountBaseUnits: 2_045_000n },
    ]));
    expect(sorted(legsOf('ionet.billing.v1.FeeRetained'))).toEqual(sorted([
      { account: A.customerEscrow(CUSTOMER), asset: 'USDC', side: 'debit', amountBaseUnits: 45_000n },
      { account: A.platformFees, asset: 'USDC', side: 'credit', amountBaseUnits: 45_000n },
    ]));
  });

  it('moves a charged hour from escrow to the supplier and the platform', () => {
    expect(sorted(legsOf('ionet.billing.v1.UsageCharged'))).toEqual(sorted([
      { account: A.customerEscrow(CUSTOMER), asset: 'USDC', side: 'debit', amountBaseUnits: 1_000_000n },
      { account: A.supplierEarnings(SUPPLIER), asset: 'USDC', side: 'credit', amountBaseUnits: 977_500n },
      { account: A.platformFees, asset: 'USDC', side: 'credit', amountBaseUnits: 22_500n },
    ]));
  });

  it('allocates rewards from the emission reserve to suppliers and co-stakers, the remainder staying in the reserve', () => {
    expect(sorted(legsOf('ionet.tokenomics.v1.RewardsAllocated'))).toEqual(sorted([
      { account: A.tokenEmissionReserve, asset: 'IO', side: 'debit', amountBaseUnits: 1_000n },
      { account: A.supplierRewards(SUPPLIER), asset: 'IO', side: 'credit', amountBaseUnits: 600n },
      { account: A.stakerRewards(WALLET), asset: 'IO', side: 'credit', amountBaseUnits: 399n },
      { account: A.tokenEmissionReserve, asset: 'IO', side: 'credit', amountBaseUnits: 1n },
    ]));
  });

  it('keeps an upheld slash in the slash escrow (the burn books it) and returns one whose appeal won', () => {
    expect(postingFor('ionet.tokenomics.v1.SlashAppealResolved', { ...SAMPLE_EVENTS['ionet.tokenomics.v1.SlashAppealResolved'], upheld: true })).toBeUndefined();
    expect(sorted(legsOf('ionet.tokenomics.v1.SlashAppealResolved'))).toEqual(sorted([
      { account: A.stakingSlashEscrow, asset: 'IO', side: 'debit', amountBaseUnits: 1_000n },
      { account: A.stakerStaked(WALLET), asset: 'IO', side: 'credit', amountBaseUnits: 1_000n },
    ]));
    const slashBurn = { ...SAMPLE_EVENTS['ionet.tokenomics.v1.TokensBurned'], reason: 'slash' };
    expect(legsOf('ionet.tokenomics.v1.TokensBurned', slashBurn).find((l) => l.side === 'debit')?.account).toBe(A.stakingSlashEscrow);
  });

  it('books nothing for a zero amount', () => {
    expect(postingFor('ionet.billing.v1.RefundIssued', { ...SAMPLE_EVENTS['ionet.billing.v1.RefundIssued'], amount: usdc(0n) })).toBeUndefined();
  });

  it.each([
    ['a charge whose parts do not add up', 'ionet.billing.v1.UsageCharged', { supplierEarnings: usdc(977_501n) }, 'LEDGER.POSTING_UNBALANCED'],
    ['a charge in two assets', 'ionet.billing.v1.UsageCharged', { platformFee: io(22_500n) }, 'LEDGER.POSTING_MIXED_ASSETS'],
    ['a lock without its amount', 'ionet.billing.v1.EscrowLocked', { amount: undefined }, 'LEDGER.POSTING_MISSING_FIELD'],
    ['a negative refund', 'ionet.billing.v1.RefundIssued', { amount: usdc(-1n) }, 'LEDGER.POSTING_NEGATIVE_AMOUNT'],
    ['a customer id that cannot name an account', 'ionet.billing.v1.RefundIssued', { customerId: 'a:b' }, 'LEDGER.POSTING_INVALID_ACCOUNT'],
    ['rewards that do not add up to the pool', 'ionet.tokenomics.v1.RewardsAllocated', { remainder: io(2n) }, 'LEDGER.POSTING_UNBALANCED'],
    ['a stake in USDC', 'ionet.tokenomics.v1.StakeDeposited', { amount: usdc(1n) }, 'LEDGER.POSTING_MIXED_ASSETS'],
    ['an appeal won without its amount', 'ionet.tokenomics.v1.SlashAppealResolved', { amount: undefined }, 'LEDGER.POSTING_MISSING_FIELD'],
  ] as const)('refuses %s with a stable code (the consumer dead-letters it)', (_name, type, change, code) => {
    let thrown: unknown;
    try {
      postingFor(type, { ...SAMPLE_EVENTS[type], ...change } as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(LedgerPostingError);
    expect(thrown).toMatchObject({ code, kind: 'invalid' });
  });

  it('keeps a holder whole through a lease: deposit, lock, charge, fees retained, refund and release leave escrow at zero', () => {
    const ledger = new Ledger();
    let atMs = 0;
    const book = (type: PostingEventType, event: unknown) => {
      const posting = postingFor(type, event as never)!;
      for (const leg of posting.legs) if (!ledger.hasAccount(leg.account)) ledger.openAccount(leg.account, leg.account.startsWith('external:') ? NO_FLAGS : accountFlags({ debitsMustNotExceedCredits: true }));
      ledger.submit({ type: 'entry', id: `${type}-${atMs}`, atMs: atMs++, legs: posting.legs });
    };
    book('ionet.billing.v1.DepositReceived', SAMPLE_EVENTS['ionet.billing.v1.DepositReceived']);
    book('ionet.billing.v1.EscrowLocked', SAMPLE_EVENTS['ionet.billing.v1.EscrowLocked']);
    book('ionet.billing.v1.UsageCharged', SAMPLE_EVENTS['ionet.billing.v1.UsageCharged']);
    book('ionet.billing.v1.FeeRetained', SAMPLE_EVENTS['ionet.billing.v1.FeeRetained']);
    book('ionet.billing.v1.RefundIssued', SAMPLE_EVENTS['ionet.billing.v1.RefundIssued']);
    book('ionet.billing.v1.EscrowReleased', SAMPLE_EVENTS['ionet.billing.v1.EscrowReleased']);
    const escrow = ledger.balance(A.customerEscrow(CUSTOMER), 'USDC');
    expect(escrow.creditsPostedBaseUnits - escrow.debitsPostedBaseUnits).toBe(0n);
    const available = ledger.balance(A.customerAvailable(CUSTOMER), 'USDC');
    expect(available.creditsPostedBaseUnits - available.debitsPostedBaseUnits).toBe(10_000_000n - 2_045_000n + 1_000_000n);
    expect(ledger.checkInvariants({ full: true })).toEqual([]);
  });
});
