import { LedgerError } from './ledger.errors';

export interface AccountFlags {
  /** Debits (posted and pending) may never exceed posted credits: a balance that cannot go negative. */
  readonly debitsMustNotExceedCredits: boolean;
  /** The mirror rule, for accounts whose natural balance is a debit (issuance). */
  readonly creditsMustNotExceedDebits: boolean;
  /** The account may only be debited, e.g. the source that genesis supply comes from. */
  readonly debitsOnly: boolean;
  /** The account may only be credited, e.g. burned tokens, which never come back. */
  readonly creditsOnly: boolean;
}

export const NO_FLAGS: AccountFlags = Object.freeze({
  debitsMustNotExceedCredits: false,
  creditsMustNotExceedDebits: false,
  debitsOnly: false,
  creditsOnly: false,
});

export function accountFlags(flags: Partial<AccountFlags>): AccountFlags {
  return { ...NO_FLAGS, ...flags };
}

// A segment becomes part of a colon-separated name, so it may not contain a colon; whitespace and
// control characters are refused so that names print and sort unambiguously.
const SEGMENT = /^[A-Za-z0-9._@+-]{1,128}$/;

function segment(kind: string, value: string): string {
  if (!SEGMENT.test(value)) {
    throw new LedgerError('LEDGER.INVALID_ACCOUNT_NAME', `invalid ${kind} "${value}" in an account name`, { value });
  }
  return value;
}

/** The account names of ARCHITECTURE.md ("Money and tokens"), built in one place. */
export const AccountNames = {
  customerAvailable: (customerId: string) => `customer:${segment('customer id', customerId)}:available`,
  customerEscrow: (customerId: string) => `customer:${segment('customer id', customerId)}:escrow`,
  supplierEarnings: (supplierId: string) => `supplier:${segment('supplier id', supplierId)}:earnings`,
  supplierRewards: (supplierId: string) => `supplier:${segment('supplier id', supplierId)}:rewards`,
  stakerRewards: (wallet: string) => `staker:${segment('wallet', wallet)}:rewards`,
  stakerStaked: (wallet: string) => `staker:${segment('wallet', wallet)}:staked`,
  stakerUnbonding: (wallet: string) => `staker:${segment('wallet', wallet)}:unbonding`,
  platformFees: 'platform:fees',
  /** Prepaid credits in circulation are a liability of the platform, backed by the USDC paid for them. */
  platformCreditsIssued: 'platform:credits-issued',
  /** The USDC paid for credits, held 1:1 against `platform:credits-issued` until they are redeemed. */
  platformCreditBacking: 'platform:credit-backing',
  treasuryBuyback: 'treasury:buyback',
  treasuryOperations: 'treasury:operations',
  stakingSlashEscrow: 'staking:slash-escrow',
  tokenGenesis: 'token:genesis',
  tokenMinted: 'token:minted',
  tokenEmissionReserve: 'token:emission-reserve',
  tokenBurned: 'token:burned',
  /** Value outside the platform: deposits come from and withdrawals go to an external account. */
  external: (name: string) => `external:${segment('external name', name)}`,
} as const;

const NAME = /^[a-z-]+(:[A-Za-z0-9._@+-]{1,128})+$/;

export function isValidAccountName(name: string): boolean {
  return NAME.test(name);
}

/**
 * The flags an account gets by its name. Holders' balances may not go negative; issuance accounts only
 * give and burned tokens only receive; external accounts stand for the outside world and are free,
 * except `external:io-market`, the IO held outside the platform, which can never hand out more IO than
 * genesis and emissions put there.
 */
export function standardAccountFlags(name: string): AccountFlags {
  if (name === AccountNames.tokenGenesis || name === AccountNames.tokenMinted) {
    return accountFlags({ debitsOnly: true, creditsMustNotExceedDebits: true });
  }
  if (name === AccountNames.tokenBurned) return accountFlags({ creditsOnly: true, debitsMustNotExceedCredits: true });
  if (name === AccountNames.platformCreditsIssued) return accountFlags({ creditsMustNotExceedDebits: true });
  if (name.startsWith('external:')) {
    return name === 'external:io-market' ? accountFlags({ debitsMustNotExceedCredits: true }) : NO_FLAGS;
  }
  return accountFlags({ debitsMustNotExceedCredits: true });
}
