/** The two tokens the platform moves on chain. Their decimals are read from each mint, never assumed
 *  (IO has 8 on Solana, USDC 6; the gateway refuses a mint whose decimals disagree with nothing: it
 *  reports what the mint says). */
export const CHAIN_ASSETS = ['IO', 'USDC'] as const;
export type ChainAsset = (typeof CHAIN_ASSETS)[number];

/** A token holder. `custody` names an account whose key the gateway holds (the emission reserve,
 *  the payout float, the buyback treasury, the stake vault...); `wallet` is anyone's Solana address
 *  (a supplier's wallet). Tokens sit in the owner's associated token account, created as needed. */
export type ChainParty = { readonly custody: string } | { readonly wallet: string };

/** Custody accounts every deployment has. Others may be named freely (`[a-z][a-z0-9-]{0,39}`). */
export const CUSTODY = {
  /** Holds genesis supply on the embedded chain (on a real cluster, whatever the treasury holds). */
  genesis: 'genesis',
  /** Minted emissions, until allocated rewards are claimed or paid. */
  emissionReserve: 'emission-reserve',
  /** The float that pays suppliers' payouts. */
  payouts: 'payouts',
  /** Revenue converted by the buyback, and the IO it bought until burned. */
  buyback: 'buyback',
  /** Staked IO. */
  stakeVault: 'stake-vault',
} as const;

/** Every operation carries the caller's deterministic id (derived from the decision it executes):
 *  the same id never reaches the chain twice, across retries, replays and crashes (ADR 0600).
 *  1-128 characters of `[A-Za-z0-9._:-]`. */
export interface OperationRequestBase {
  readonly operationId: string;
}

export interface MintRequest extends OperationRequestBase {
  readonly asset: ChainAsset;
  readonly to: ChainParty;
  readonly amountBaseUnits: bigint;
}

export interface TransferLeg {
  readonly asset: ChainAsset;
  readonly from: { readonly custody: string };
  readonly to: ChainParty;
  readonly amountBaseUnits: bigint;
}

export interface TransferRequest extends OperationRequestBase, TransferLeg {}

/** Several transfers in one transaction: all land or none (a swap's two legs). At most 4 legs. */
export interface AtomicTransferRequest extends OperationRequestBase {
  readonly legs: readonly TransferLeg[];
}

export interface BurnRequest extends OperationRequestBase {
  readonly asset: ChainAsset;
  readonly from: { readonly custody: string };
  readonly amountBaseUnits: bigint;
}

/** A memo (a proof root, for instance): UTF-8, at most 400 bytes. */
export interface MemoRequest extends OperationRequestBase {
  readonly text: string;
}

export type ChainOperationKind = 'mint' | 'transfer' | 'burn' | 'memo';

/** `signed`: the transaction was signed and recorded, and may or may not have reached the chain
 *  (resolved by looking its signature up before anything is sent again). `confirmed`: on chain and
 *  succeeded. `failed`: on chain or refused, and final for that attempt; the same id may be retried
 *  and a new attempt is built (a failed transaction can never land later). */
export type ChainOperationStatus = 'signed' | 'confirmed' | 'failed';

export interface ChainOperation {
  readonly operationId: string;
  readonly kind: ChainOperationKind;
  readonly status: ChainOperationStatus;
  /** Base58 signature of the current attempt: the transaction's id on chain. */
  readonly signature: string;
  /** 1 for the first transaction; a new attempt only after the previous one is known failed or
   *  expired. */
  readonly attempt: number;
  readonly asset?: ChainAsset;
  readonly amountBaseUnits?: bigint;
  /** The chain's error of a failed attempt (`CHAIN.INSUFFICIENT_FUNDS`, ...). */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface MintInfo {
  readonly asset: ChainAsset;
  readonly address: string;
  readonly decimals: number;
  readonly supplyBaseUnits: bigint;
}

/** One gateway for every on-chain operation. The write operations return the confirmed operation;
 *  calling one again with the same id returns the recorded result without sending anything (with
 *  different parameters it throws `CHAIN.OPERATION_CONFLICT`). A refusal by the chain throws a
 *  `ChainError` (`CHAIN.INSUFFICIENT_FUNDS`, ...) and leaves the operation `failed`: a later call with
 *  the same id tries again. */
export interface ChainGateway {
  readonly adapter: 'embedded' | 'rpc';
  mintAddress(asset: ChainAsset): string;
  /** The owner address of a custody account (its key is created on first use on the embedded chain). */
  custodyAddress(name: string): string;
  /** Where a party's tokens of an asset sit (its associated token account). */
  tokenAccountAddress(asset: ChainAsset, party: ChainParty): string;

  mint(request: MintRequest): Promise<ChainOperation>;
  transfer(request: TransferRequest): Promise<ChainOperation>;
  transferAtomically(request: AtomicTransferRequest): Promise<ChainOperation>;
  burn(request: BurnRequest): Promise<ChainOperation>;
  memo(request: MemoRequest): Promise<ChainOperation>;

  /** 0 when the party has no token account yet. */
  balance(asset: ChainAsset, party: ChainParty): Promise<bigint>;
  mintInfo(asset: ChainAsset): Promise<MintInfo>;
  /** The recorded operation, or undefined when the id was never used. */
  operation(operationId: string): Promise<ChainOperation | undefined>;
  /** Settles operations left `signed` by a crash (looks each signature up on chain). Run at open. */
  recoverPending(): Promise<number>;
  close(): Promise<void>;
}
