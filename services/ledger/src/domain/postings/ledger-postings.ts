import type { billingV1, DomainMoney, DomainOf, tokenomicsV1 } from '@ionet/contracts';
import { AccountNames, isAsset, isValidAccountName, LedgerError, type Asset, type Leg } from '@ionet/ledger';
import { LedgerPostingError } from './ledger-posting.errors';

/** One journal entry of a money event: legs that balance per asset (ARCHITECTURE.md "Money and tokens"). */
export interface Posting {
  readonly legs: readonly Leg[];
  readonly memo: string;
}

type Domain<T> = DomainOf<T>;

/**
 * Billing's `FeeRetained` (the customer's fees kept on hours refunded at an early termination) is
 * being added to the contract by billing's money work; its shape is written here until the generated
 * type lands, and the projection handles it as soon as the catalogue knows it (ADR 0330).
 */
export interface FeeRetainedEvent {
  feeId: string;
  leaseId: string;
  customerId: string;
  amount?: DomainMoney;
  reason: string;
  sourceEventId: string;
  retainedAt?: Date;
}

/** Event types whose contract is not in the catalogue yet: handled once it is. */
export const FORTHCOMING_EVENT_TYPES: ReadonlySet<string> = new Set(['ionet.billing.v1.FeeRetained']);

export type PostingEvents = {
  'ionet.billing.v1.DepositReceived': Domain<billingV1.DepositReceived>;
  'ionet.billing.v1.EscrowLocked': Domain<billingV1.EscrowLocked>;
  'ionet.billing.v1.UsageCharged': Domain<billingV1.UsageCharged>;
  'ionet.billing.v1.FeeRetained': FeeRetainedEvent;
  'ionet.billing.v1.RefundIssued': Domain<billingV1.RefundIssued>;
  'ionet.billing.v1.EscrowReleased': Domain<billingV1.EscrowReleased>;
  'ionet.billing.v1.PayoutSettled': Domain<billingV1.PayoutSettled>;
  'ionet.tokenomics.v1.EmissionMinted': Domain<tokenomicsV1.EmissionMinted>;
  'ionet.tokenomics.v1.RewardsAllocated': Domain<tokenomicsV1.RewardsAllocated>;
  'ionet.tokenomics.v1.StakeDeposited': Domain<tokenomicsV1.StakeDeposited>;
  'ionet.tokenomics.v1.UnstakeRequested': Domain<tokenomicsV1.UnstakeRequested>;
  'ionet.tokenomics.v1.StakeWithdrawn': Domain<tokenomicsV1.StakeWithdrawn>;
  'ionet.tokenomics.v1.StakeSlashed': Domain<tokenomicsV1.StakeSlashed>;
  'ionet.tokenomics.v1.SlashAppealResolved': Domain<tokenomicsV1.SlashAppealResolved>;
  'ionet.tokenomics.v1.BuybackExecuted': Domain<tokenomicsV1.BuybackExecuted>;
  'ionet.tokenomics.v1.TokensBurned': Domain<tokenomicsV1.TokensBurned>;
};
export type PostingEventType = keyof PostingEvents;

/** Value outside the platform, by asset: where deposits come from and payouts go (ADR 0101). */
export const EXTERNAL_USDC = AccountNames.external('usdc');
export const EXTERNAL_IO_MARKET = AccountNames.external('io-market');

/**
 * The posting rules, one function per event type (ADR 0330): pure, so a replay books exactly what
 * the live run booked. `undefined` means the event moves no money (a zero amount).
 */
export const POSTING_RULES: { readonly [T in PostingEventType]: (event: PostingEvents[T]) => Posting | undefined } = {
  'ionet.billing.v1.DepositReceived': (e) => {
    const amount = nonNegative(e.amount, 'DepositReceived.amount');
    const customer = account(() => AccountNames.customerAvailable(e.customerId));
    const memo = `deposit ${e.depositId} (${e.method})`;
    switch (amount.asset) {
      case 'USDC':
        return posting(memo, transfer(EXTERNAL_USDC, customer, amount));
      case 'IO':
        return posting(memo, transfer(EXTERNAL_IO_MARKET, customer, amount));
      case 'CREDIT':
        // Credits are issued against USDC held 1:1 in platform:credit-backing (ADR 0104).
        return posting(memo, [
          ...transfer(EXTERNAL_USDC, AccountNames.platformCreditBacking, { amountBaseUnits: amount.amountBaseUnits, asset: 'USDC' }),
          ...transfer(AccountNames.platformCreditsIssued, customer, amount),
        ]);
    }
  },
  'ionet.billing.v1.EscrowLocked': (e) =>
    // The whole quote (compute and the customer's fees) waits in escrow; each charged hour takes its
    // compute and fees from there, and fees kept on refunded hours leave it as FeeRetained.
    posting(
      `escrow ${e.escrowId} locked for lease ${e.leaseId}`,
      transfer(account(() => AccountNames.customerAvailable(e.customerId)), account(() => AccountNames.customerEscrow(e.customerId)), nonNegative(e.amount, 'EscrowLocked.amount')),
    ),
  'ionet.billing.v1.UsageCharged': (e) => {
    const gross = nonNegative(e.gross, 'UsageCharged.gross');
    const earnings = sameAsset(e.supplierEarnings, gross.asset, 'UsageCharged.supplier_earnings');
    const fee = sameAsset(e.platformFee, gross.asset, 'UsageCharged.platform_fee');
    if (earnings + fee !== gross.amountBaseUnits) {
      throw new LedgerPostingError('LEDGER.POSTING_UNBALANCED', `charge ${e.chargeId}: earnings ${earnings} + fee ${fee} != gross ${gross.amountBaseUnits}`);
    }
    return posting(`charge ${e.chargeId}: lease ${e.leaseId} hour ${e.hourIndex}`, [
      leg(account(() => AccountNames.customerEscrow(e.customerId)), 'debit', gross),
      leg(account(() => AccountNames.supplierEarnings(e.supplierId)), 'credit', { amountBaseUnits: earnings, asset: gross.asset }),
      leg(AccountNames.platformFees, 'credit', { amountBaseUnits: fee, asset: gross.asset }),
    ]);
  },
  'ionet.billing.v1.FeeRetained': (e) =>
    posting(
      `fees ${e.feeId} retained for lease ${e.leaseId} (${e.reason})`,
      transfer(account(() => AccountNames.customerEscrow(e.customerId)), AccountNames.platformFees, nonNegative(e.amount, 'FeeRetained.amount')),
    ),
  'ionet.billing.v1.RefundIssued': (e) =>
    posting(
      `refund ${e.refundId} (${e.reason}) for lease ${e.leaseId}`,
      transfer(account(() => AccountNames.customerEscrow(e.customerId)), account(() => AccountNames.customerAvailable(e.customerId)), nonNegative(e.amount, 'RefundIssued.amount')),
    ),
  'ionet.billing.v1.EscrowReleased': (e) =>
    posting(
      `escrow ${e.escrowId} released for lease ${e.leaseId}`,
      transfer(account(() => AccountNames.customerEscrow(e.customerId)), account(() => AccountNames.customerAvailable(e.customerId)), nonNegative(e.amount, 'EscrowReleased.amount')),
    ),
  'ionet.billing.v1.PayoutSettled': (e) => {
    const amount = nonNegative(e.amount, 'PayoutSettled.amount');
    const earnings = account(() => AccountNames.supplierEarnings(e.supplierId));
    const memo = `payout ${e.payoutId} to ${e.wallet}`;
    switch (amount.asset) {
      case 'USDC':
        return posting(memo, transfer(earnings, EXTERNAL_USDC, amount));
      case 'IO':
        return posting(memo, transfer(earnings, EXTERNAL_IO_MARKET, amount));
      case 'CREDIT':
        // Credits are redeemed for their USDC backing, which leaves the platform.
        return posting(memo, [
          ...transfer(earnings, AccountNames.platformCreditsIssued, amount),
          ...transfer(AccountNames.platformCreditBacking, EXTERNAL_USDC, { amountBaseUnits: amount.amountBaseUnits, asset: 'USDC' }),
        ]);
    }
  },
  'ionet.tokenomics.v1.EmissionMinted': (e) =>
    posting(`epoch ${e.epochNumber} emission minted`, transfer(AccountNames.tokenMinted, AccountNames.tokenEmissionReserve, io(e.amount, 'EmissionMinted.amount'))),
  'ionet.tokenomics.v1.RewardsAllocated': (e) => {
    const total = io(e.poolTotal, 'RewardsAllocated.pool_total');
    const legs: Leg[] = [leg(AccountNames.tokenEmissionReserve, 'debit', total)];
    let allocated = 0n;
    for (const [i, a] of e.allocations.entries()) {
      const amount = io(a.amount, `RewardsAllocated.allocations[${i}].amount`);
      allocated += amount.amountBaseUnits;
      const to = a.recipientKind === 'supplier' ? account(() => AccountNames.supplierRewards(a.supplierId)) : account(() => AccountNames.stakerRewards(a.recipientWallet));
      legs.push(leg(to, 'credit', amount));
    }
    const remainder = io(e.remainder, 'RewardsAllocated.remainder');
    if (allocated + remainder.amountBaseUnits !== total.amountBaseUnits) {
      throw new LedgerPostingError('LEDGER.POSTING_UNBALANCED', `epoch ${e.epochNumber} ${e.pool}: allocations ${allocated} + remainder ${remainder.amountBaseUnits} != pool ${total.amountBaseUnits}`);
    }
    // The remainder stays in the reserve unless the event names another account for it.
    const remainderAccount = e.remainderAccount === '' ? AccountNames.tokenEmissionReserve : e.remainderAccount;
    if (!isValidAccountName(remainderAccount)) throw new LedgerPostingError('LEDGER.POSTING_INVALID_ACCOUNT', `remainder account "${remainderAccount}" is not an account name`);
    legs.push(leg(remainderAccount, 'credit', remainder));
    return posting(`epoch ${e.epochNumber} ${e.pool} rewards allocated`, legs);
  },
  'ionet.tokenomics.v1.StakeDeposited': (e) =>
    posting(`stake ${e.stakeId} deposited (${e.role}) on device ${e.deviceId}`, transfer(EXTERNAL_IO_MARKET, account(() => AccountNames.stakerStaked(e.stakerWallet)), io(e.amount, 'StakeDeposited.amount'))),
  'ionet.tokenomics.v1.UnstakeRequested': (e) =>
    posting(
      `stake ${e.stakeId} unbonding`,
      transfer(account(() => AccountNames.stakerStaked(e.stakerWallet)), account(() => AccountNames.stakerUnbonding(e.stakerWallet)), io(e.amount, 'UnstakeRequested.amount')),
    ),
  'ionet.tokenomics.v1.StakeWithdrawn': (e) =>
    posting(`stake ${e.stakeId} withdrawn`, transfer(account(() => AccountNames.stakerUnbonding(e.stakerWallet)), EXTERNAL_IO_MARKET, io(e.amount, 'StakeWithdrawn.amount'))),
  'ionet.tokenomics.v1.StakeSlashed': (e) =>
    posting(`slash ${e.slashId} (${e.reason}) of stake ${e.stakeId}`, transfer(account(() => AccountNames.stakerStaked(e.stakerWallet)), AccountNames.stakingSlashEscrow, io(e.amount, 'StakeSlashed.amount'))),
  'ionet.tokenomics.v1.SlashAppealResolved': (e) => {
    // Upheld: the IO stays in the slash escrow until TokensBurned (reason slash) burns it.
    if (e.upheld) return undefined;
    if (!e.amount || e.stakerWallet === '') throw new LedgerPostingError('LEDGER.POSTING_MISSING_FIELD', `slash ${e.slashId}: an appeal that won needs staker_wallet and amount to return the stake`);
    return posting(`slash ${e.slashId} appeal won: stake returned`, transfer(AccountNames.stakingSlashEscrow, account(() => AccountNames.stakerStaked(e.stakerWallet)), io(e.amount, 'SlashAppealResolved.amount')));
  },
  'ionet.tokenomics.v1.BuybackExecuted': (e) => {
    const spent = nonNegative(e.spent, 'BuybackExecuted.spent');
    if (spent.asset === 'IO') throw new LedgerPostingError('LEDGER.POSTING_MIXED_ASSETS', `buyback ${e.buybackId} spent IO to buy IO`);
    // Fee revenue pays the market; the IO bought waits in treasury:buyback for its burn.
    return posting(`buyback ${e.buybackId}`, [...transfer(AccountNames.platformFees, externalOf(spent.asset), spent), ...transfer(EXTERNAL_IO_MARKET, AccountNames.treasuryBuyback, io(e.bought, 'BuybackExecuted.bought'))]);
  },
  'ionet.tokenomics.v1.TokensBurned': (e) => {
    const from = e.reason === 'slash' ? AccountNames.stakingSlashEscrow : AccountNames.treasuryBuyback;
    return posting(`burn ${e.burnId} (${e.reason} ${e.sourceId})`, transfer(from, AccountNames.tokenBurned, io(e.amount, 'TokensBurned.amount')));
  },
};

/** The posting of one event, or undefined when it moves no money. */
export function postingFor<T extends PostingEventType>(type: T, event: PostingEvents[T]): Posting | undefined {
  return POSTING_RULES[type](event);
}

export function isPostingEventType(type: string): type is PostingEventType {
  return Object.prototype.hasOwnProperty.call(POSTING_RULES, type);
}

function posting(memo: string, legs: Leg[]): Posting | undefined {
  const kept = legs.filter((l) => l.amountBaseUnits !== 0n);
  if (kept.length < 2) return undefined;
  // The usual entry has one asset: its net is a sum, no map (this runs per event, rebuilds included).
  if (kept.every((l) => l.asset === kept[0]!.asset)) {
    let sum = 0n;
    for (const l of kept) sum += l.side === 'debit' ? l.amountBaseUnits : -l.amountBaseUnits;
    if (sum !== 0n) throw new Error(`posting "${memo}" does not balance in ${kept[0]!.asset} (${sum})`);
    return { legs: kept, memo };
  }
  const net = new Map<Asset, bigint>();
  for (const l of kept) net.set(l.asset, (net.get(l.asset) ?? 0n) + (l.side === 'debit' ? l.amountBaseUnits : -l.amountBaseUnits));
  for (const [asset, n] of net) {
    // A bug of ours, not the event's: every rule builds balanced legs.
    if (n !== 0n) throw new Error(`posting "${memo}" does not balance in ${asset} (${n})`);
  }
  return { legs: kept, memo };
}

function leg(accountName: string, side: 'debit' | 'credit', m: { amountBaseUnits: bigint; asset: string }): Leg {
  return { account: accountName, asset: m.asset as Asset, side, amountBaseUnits: m.amountBaseUnits };
}

function transfer(from: string, to: string, m: { amountBaseUnits: bigint; asset: string }): Leg[] {
  return [leg(from, 'debit', m), leg(to, 'credit', m)];
}

function externalOf(asset: Asset): string {
  return asset === 'IO' ? EXTERNAL_IO_MARKET : EXTERNAL_USDC;
}

/** An account name built from an event's id; an id that cannot be part of a name breaks the contract. */
function account(build: () => string): string {
  try {
    return build();
  } catch (err) {
    if (err instanceof LedgerError) throw new LedgerPostingError('LEDGER.POSTING_INVALID_ACCOUNT', err.message);
    throw err;
  }
}

function nonNegative(m: DomainMoney | undefined, field: string): { amountBaseUnits: bigint; asset: Asset } {
  if (!m) throw new LedgerPostingError('LEDGER.POSTING_MISSING_FIELD', `${field} is missing`);
  if (!isAsset(m.asset)) throw new LedgerPostingError('LEDGER.POSTING_MIXED_ASSETS', `${field} has unknown asset ${m.asset}`);
  if (m.amountBaseUnits < 0n) throw new LedgerPostingError('LEDGER.POSTING_NEGATIVE_AMOUNT', `${field} is negative (${m.amountBaseUnits})`);
  return { amountBaseUnits: m.amountBaseUnits, asset: m.asset };
}

function io(m: DomainMoney | undefined, field: string): { amountBaseUnits: bigint; asset: Asset } {
  const checked = nonNegative(m, field);
  if (checked.asset !== 'IO') throw new LedgerPostingError('LEDGER.POSTING_MIXED_ASSETS', `${field} must be IO, not ${checked.asset}`);
  return checked;
}

function sameAsset(m: DomainMoney | undefined, asset: Asset, field: string): bigint {
  const checked = nonNegative(m, field);
  if (checked.asset !== asset) throw new LedgerPostingError('LEDGER.POSTING_MIXED_ASSETS', `${field} is in ${checked.asset}, the charge in ${asset}`);
  return checked.amountBaseUnits;
}
