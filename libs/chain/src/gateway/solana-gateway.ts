import { isSolanaAddress } from '@ionet/contracts';
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createBurnCheckedInstruction,
  createMintToCheckedInstruction,
  createTransferCheckedInstruction,
  getAssociatedTokenAddressSync,
  MINT_SIZE,
  unpackAccount,
  unpackMint,
  TOKEN_PROGRAM_ID,
} from '@solana/spl-token';
import { PublicKey, Transaction, TransactionInstruction, type Keypair } from '@solana/web3.js';
import bs58 from 'bs58';
import {
  CHAIN_ASSETS,
  type AtomicTransferRequest,
  type BurnRequest,
  type ChainAsset,
  type ChainGateway,
  type ChainOperation,
  type ChainOperationKind,
  type ChainParty,
  type MemoRequest,
  type MintInfo,
  type MintRequest,
  type TransferLeg,
  type TransferRequest,
} from '../chain-gateway';
import type { ChainBackend, SignatureStatus } from '../chain-backend';
import { ChainError } from '../chain.errors';
import { requestHash, type ChainOperationStore, type OperationRecord, type OperationSession } from '../store/chain-operation-store';
import type { KeyStore } from './key-store';

export const MEMO_PROGRAM_ID = new PublicKey('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr');
export const MINT_AUTHORITY_KEY = 'mint-authority';
export const FEE_PAYER_KEY = 'fee-payer';
const OPERATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CUSTODY_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const MEMO_BYTES_MAX = 400;
const LEGS_MAX = 4;
const PENDING_RECOVERED_MAX = 10_000;

/** Test seams: called around the send, so a test can kill the process at the worst moment. */
export interface GatewayHooks {
  beforeSubmit?(operationId: string): void | Promise<void>;
  afterSubmit?(operationId: string): void | Promise<void>;
}

export interface SolanaGatewayOptions {
  readonly backend: ChainBackend;
  readonly store: ChainOperationStore;
  readonly keys: KeyStore;
  readonly mints: Readonly<Record<ChainAsset, string>>;
  readonly ioMaxSupplyBaseUnits: bigint;
  readonly hooks?: GatewayHooks;
  /** Polling of a cluster's confirmation (the embedded chain answers at once). */
  readonly confirmPollMs?: number;
  readonly confirmPollsMax?: number;
}

interface Built {
  readonly instructions: TransactionInstruction[];
  readonly signers: Keypair[];
  readonly asset?: ChainAsset;
  readonly amountBaseUnits?: bigint;
  /** What the sources must hold: a refused transaction whose source holds less (or has no token
   *  account at all) is `CHAIN.INSUFFICIENT_FUNDS`, whatever error the program chose. */
  readonly debits?: readonly { readonly asset: ChainAsset; readonly owner: PublicKey; readonly amount: bigint }[];
}

/** The gateway over any backend: validates, builds and signs with web3.js v1, records each attempt
 *  before sending it and settles it after (ADR 0600). */
export class SolanaGateway implements ChainGateway {
  readonly adapter: 'embedded' | 'rpc';
  private readonly mints: Record<ChainAsset, PublicKey>;
  private readonly decimalsCache = new Map<ChainAsset, number>();

  constructor(private readonly options: SolanaGatewayOptions) {
    this.adapter = options.backend.adapter;
    this.mints = { IO: new PublicKey(options.mints.IO), USDC: new PublicKey(options.mints.USDC) };
  }

  /** Checks each mint exists, is an SPL mint and that the gateway holds its mint authority. */
  async verifyMints(): Promise<void> {
    const authority = this.options.keys.keypair(MINT_AUTHORITY_KEY).publicKey;
    for (const asset of CHAIN_ASSETS) {
      const account = await this.options.backend.getAccount(this.mints[asset].toBase58());
      if (!account || account.owner !== TOKEN_PROGRAM_ID.toBase58() || account.data.length !== MINT_SIZE) {
        throw new ChainError('MISCONFIGURED', `the ${asset} mint ${this.mints[asset].toBase58()} is not an SPL token mint on this chain`);
      }
      const mint = unpackMint(this.mints[asset], toAccountInfo(account));
      if (!mint.mintAuthority?.equals(authority)) {
        throw new ChainError('MISCONFIGURED', `the gateway's mint authority ${authority.toBase58()} does not hold the ${asset} mint`);
      }
      this.decimalsCache.set(asset, mint.decimals);
    }
  }

  mintAddress(asset: ChainAsset): string {
    return this.mints[assetOf(asset)].toBase58();
  }

  custodyAddress(name: string): string {
    return this.custody(name).publicKey.toBase58();
  }

  tokenAccountAddress(asset: ChainAsset, party: ChainParty): string {
    return this.tokenAccount(assetOf(asset), this.ownerOf(party)).toBase58();
  }

  async mint(request: MintRequest): Promise<ChainOperation> {
    const asset = assetOf(request.asset);
    const amount = amountOf(request.amountBaseUnits);
    const owner = this.ownerOf(request.to);
    return this.execute('mint', request, [`mint:${asset}`], async () => {
      const info = await this.mintInfo(asset);
      if (asset === 'IO' && info.supplyBaseUnits + amount > this.options.ioMaxSupplyBaseUnits) {
        throw new ChainError('SUPPLY_CAP_EXCEEDED', `minting ${amount} would take IO's supply to ${info.supplyBaseUnits + amount}, past ${this.options.ioMaxSupplyBaseUnits}`);
      }
      const authority = this.options.keys.keypair(MINT_AUTHORITY_KEY);
      const account = this.tokenAccount(asset, owner);
      return {
        instructions: [
          createAssociatedTokenAccountIdempotentInstruction(this.payer().publicKey, account, owner, this.mints[asset]),
          createMintToCheckedInstruction(this.mints[asset], account, authority.publicKey, amount, info.decimals),
        ],
        signers: [authority],
        asset,
        amountBaseUnits: amount,
      };
    });
  }

  async transfer(request: TransferRequest): Promise<ChainOperation> {
    const { operationId, ...leg } = request;
    return this.transferAtomically({ operationId, legs: [leg] });
  }

  async transferAtomically(request: AtomicTransferRequest): Promise<ChainOperation> {
    if (!Array.isArray(request.legs) || request.legs.length < 1 || request.legs.length > LEGS_MAX) {
      throw new ChainError('INVALID_REQUEST', `a transfer has 1 to ${LEGS_MAX} legs`);
    }
    const legs = request.legs.map((leg: TransferLeg) => ({
      asset: assetOf(leg.asset),
      source: this.custody(custodyNameOf(leg.from)),
      destination: this.ownerOf(leg.to),
      amount: amountOf(leg.amountBaseUnits),
    }));
    const canonical = request.legs.length === 1 ? { operationId: request.operationId, ...request.legs[0] } : request;
    return this.execute('transfer', canonical, [], async () => {
      const instructions: TransactionInstruction[] = [];
      for (const leg of legs) {
        const mint = this.mints[leg.asset];
        const target = this.tokenAccount(leg.asset, leg.destination);
        instructions.push(
          createAssociatedTokenAccountIdempotentInstruction(this.payer().publicKey, target, leg.destination, mint),
          createTransferCheckedInstruction(this.tokenAccount(leg.asset, leg.source.publicKey), mint, target, leg.source.publicKey, leg.amount, await this.decimals(leg.asset)),
        );
      }
      const single = legs.length === 1 ? legs[0] : undefined;
      return {
        instructions,
        signers: uniqueSigners(legs.map((l) => l.source)),
        ...(single ? { asset: single.asset, amountBaseUnits: single.amount } : {}),
        debits: legs.map((l) => ({ asset: l.asset, owner: l.source.publicKey, amount: l.amount })),
      };
    });
  }

  async burn(request: BurnRequest): Promise<ChainOperation> {
    const asset = assetOf(request.asset);
    const amount = amountOf(request.amountBaseUnits);
    const source = this.custody(custodyNameOf(request.from));
    return this.execute('burn', request, [], async () => ({
      instructions: [createBurnCheckedInstruction(this.tokenAccount(asset, source.publicKey), this.mints[asset], source.publicKey, amount, await this.decimals(asset))],
      signers: [source],
      asset,
      amountBaseUnits: amount,
      debits: [{ asset, owner: source.publicKey, amount }],
    }));
  }

  async memo(request: MemoRequest): Promise<ChainOperation> {
    if (typeof request.text !== 'string' || request.text.length === 0 || Buffer.byteLength(request.text) > MEMO_BYTES_MAX) {
      throw new ChainError('INVALID_REQUEST', `a memo is 1 to ${MEMO_BYTES_MAX} bytes of UTF-8`);
    }
    return this.execute('memo', request, [], () => Promise.resolve({ instructions: [memoInstruction(request.text)], signers: [] }));
  }

  async balance(asset: ChainAsset, party: ChainParty): Promise<bigint> {
    const address = this.tokenAccount(assetOf(asset), this.ownerOf(party));
    const account = await this.options.backend.getAccount(address.toBase58());
    return account ? unpackAccount(address, toAccountInfo(account)).amount : 0n;
  }

  async mintInfo(asset: ChainAsset): Promise<MintInfo> {
    const address = this.mints[assetOf(asset)];
    const account = await this.options.backend.getAccount(address.toBase58());
    if (!account) throw new ChainError('MISCONFIGURED', `the ${asset} mint ${address.toBase58()} does not exist on this chain`);
    const mint = unpackMint(address, toAccountInfo(account));
    this.decimalsCache.set(asset, mint.decimals);
    return { asset, address: address.toBase58(), decimals: mint.decimals, supplyBaseUnits: mint.supply };
  }

  async operation(operationId: string): Promise<ChainOperation | undefined> {
    const record = await this.options.store.find(operationIdOf(operationId));
    return record ? publicView(record) : undefined;
  }

  async recoverPending(): Promise<number> {
    const ids = await this.options.store.pendingIds(PENDING_RECOVERED_MAX);
    for (const id of ids) {
      await this.options.store.withLock(id, [], async (session) => {
        const record = await session.get();
        if (record?.status === 'signed') await this.resolve(session, record);
      });
    }
    return ids.length;
  }

  close(): Promise<void> {
    return this.options.backend.close();
  }

  private async execute(kind: ChainOperationKind, request: { operationId: string }, extraLocks: string[], build: () => Promise<Built>): Promise<ChainOperation> {
    const operationId = operationIdOf(request.operationId);
    const hash = requestHash({ kind, ...request });
    const record = await this.options.store.withLock(operationId, extraLocks, async (session) => {
      let current = await session.get();
      if (current && current.requestHash !== hash) {
        throw new ChainError('OPERATION_CONFLICT', `operation ${operationId} was recorded with other parameters`);
      }
      if (current?.status === 'signed') current = await this.resolve(session, current);
      if (current?.status === 'confirmed') return current;
      return this.attempt(session, kind, request, hash, (current?.attempt ?? 0) + 1, await build());
    });
    if (record.status === 'failed') throw failure(record);
    return publicView(record);
  }

  private async attempt(session: OperationSession, kind: ChainOperationKind, request: { operationId: string }, hash: string, attempt: number, built: Built): Promise<OperationRecord> {
    const { backend } = this.options;
    const { blockhash, lastValidBlockHeight } = await backend.latestBlockhash();
    const tx = new Transaction({ feePayer: this.payer().publicKey, recentBlockhash: blockhash });
    // The operation id rides in the transaction: the chain itself names what each transaction did,
    // and two attempts of one operation are never the same bytes.
    tx.add(...built.instructions, memoInstruction(`ionet:op:${request.operationId}:${attempt}`));
    tx.sign(this.payer(), ...built.signers);
    const wire = tx.serialize();
    const signature = bs58.encode(tx.signature!);
    const recorded = await session.recordSigned({
      operationId: request.operationId,
      kind,
      request,
      requestHash: hash,
      attempt,
      signature,
      transaction: wire,
      lastValidBlockHeight,
      ...(built.asset ? { asset: built.asset } : {}),
      ...(built.amountBaseUnits !== undefined ? { amountBaseUnits: built.amountBaseUnits } : {}),
    });
    await this.options.hooks?.beforeSubmit?.(request.operationId);
    const sent = await backend.send(wire, signature);
    await this.options.hooks?.afterSubmit?.(request.operationId);
    const outcome = sent.kind === 'submitted' ? await this.awaitOutcome(signature, lastValidBlockHeight) : sent;
    if (outcome !== 'expired' && outcome.kind === 'failed' && built.debits && (await this.shortOf(built.debits))) {
      return session.settle('failed', { code: 'CHAIN.INSUFFICIENT_FUNDS', message: `${outcome.error}: a source holds less than it sends` });
    }
    return this.settle(session, recorded, outcome);
  }

  private async shortOf(debits: NonNullable<Built['debits']>): Promise<boolean> {
    const needed = new Map<string, { asset: ChainAsset; owner: PublicKey; amount: bigint }>();
    for (const debit of debits) {
      const key = `${debit.asset}:${debit.owner.toBase58()}`;
      needed.set(key, { ...debit, amount: (needed.get(key)?.amount ?? 0n) + debit.amount });
    }
    for (const { asset, owner, amount } of needed.values()) {
      if ((await this.balance(asset, { wallet: owner.toBase58() })) < amount) return true;
    }
    return false;
  }

  /** A `signed` record: did its transaction land? Looked up by signature; never seen and still
   *  valid -> the same bytes are sent again (the chain refuses a signature twice); never seen and
   *  expired -> it can never land, the attempt fails and the next one is built. */
  private async resolve(session: OperationSession, record: OperationRecord): Promise<OperationRecord> {
    const { backend } = this.options;
    const status = await backend.status(record.signature);
    if (status.kind === 'confirmed' || status.kind === 'failed') return this.settle(session, record, status);
    if (status.kind === 'pending') return this.settle(session, record, await this.awaitOutcome(record.signature, record.lastValidBlockHeight));
    if (record.lastValidBlockHeight !== null) {
      const height = await backend.blockHeight();
      if (height !== null && height > record.lastValidBlockHeight) return this.settle(session, record, 'expired');
    }
    const sent = await backend.send(record.transaction, record.signature);
    const outcome = sent.kind === 'submitted' ? await this.awaitOutcome(record.signature, record.lastValidBlockHeight) : sent;
    return this.settle(session, record, outcome);
  }

  private async awaitOutcome(signature: string, lastValidBlockHeight: bigint | null): Promise<SignatureStatus | 'expired'> {
    const { backend } = this.options;
    const pollsMax = this.options.confirmPollsMax ?? 240;
    for (let poll = 0; poll < pollsMax; poll += 1) {
      const status = await backend.status(signature);
      if (status.kind === 'confirmed' || status.kind === 'failed') return status;
      if (lastValidBlockHeight !== null) {
        const height = await backend.blockHeight();
        if (height !== null && height > lastValidBlockHeight) {
          const last = await backend.status(signature);
          return last.kind === 'confirmed' || last.kind === 'failed' ? last : 'expired';
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.confirmPollMs ?? 500));
    }
    // Left `signed`: the next call (or recoverPending) looks the signature up again.
    throw new ChainError('UNAVAILABLE', `transaction ${signature} was neither confirmed nor expired after ${pollsMax} polls`);
  }

  private settle(session: OperationSession, record: OperationRecord, outcome: SignatureStatus | 'expired'): Promise<OperationRecord> {
    if (outcome === 'expired') return session.settle('failed', { code: 'CHAIN.TRANSACTION_EXPIRED', message: `transaction ${record.signature} expired unconfirmed` });
    switch (outcome.kind) {
      case 'confirmed':
        return session.settle('confirmed');
      case 'failed':
        // The chain refuses a signature it has seen: these exact signed bytes landed before (a record
        // lost or made elsewhere, the same operation built again from the same blockhash). That is
        // this attempt's landing, never a failure: a new attempt would do the operation twice.
        if (alreadyProcessed(outcome)) return session.settle('confirmed');
        return session.settle('failed', classify(outcome));
      case 'pending':
      case 'unknown':
        throw new Error(`settle called with an unsettled outcome (${outcome.kind})`);
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${String(never)}`);
      }
    }
  }

  private async decimals(asset: ChainAsset): Promise<number> {
    return this.decimalsCache.get(asset) ?? (await this.mintInfo(asset)).decimals;
  }

  private payer(): Keypair {
    return this.options.keys.keypair(FEE_PAYER_KEY);
  }

  private custody(name: string): Keypair {
    if (typeof name !== 'string' || !CUSTODY_NAME.test(name)) throw new ChainError('INVALID_REQUEST', `not a custody account name: ${JSON.stringify(name)}`);
    return this.options.keys.keypair(`custody-${name}`);
  }

  private ownerOf(party: ChainParty): PublicKey {
    if (party && typeof party === 'object' && 'custody' in party) return this.custody(party.custody).publicKey;
    if (party && typeof party === 'object' && 'wallet' in party && typeof party.wallet === 'string' && isSolanaAddress(party.wallet)) return new PublicKey(party.wallet);
    throw new ChainError('INVALID_REQUEST', `not a party: ${JSON.stringify(party)} (a custody name or a base58 wallet address)`);
  }

  private tokenAccount(asset: ChainAsset, owner: PublicKey): PublicKey {
    return getAssociatedTokenAddressSync(this.mints[asset], owner, true);
  }
}

export function memoInstruction(text: string): TransactionInstruction {
  return new TransactionInstruction({ keys: [], programId: MEMO_PROGRAM_ID, data: Buffer.from(text, 'utf8') });
}

export function toAccountInfo(account: { data: Uint8Array; owner: string }): { data: Buffer; owner: PublicKey; lamports: number; executable: boolean } {
  return { data: Buffer.from(account.data), owner: new PublicKey(account.owner), lamports: 0, executable: false };
}

/** LiteSVM reports Solana's TransactionError::AlreadyProcessed as its index, 6; RPC nodes in words. */
function alreadyProcessed(outcome: { error: string }): boolean {
  return outcome.error.trim() === '6' || /AlreadyProcessed|already been processed/i.test(outcome.error);
}

function classify(outcome: { error: string; logs: readonly string[] }): { code: string; message: string } {
  const text = `${outcome.error}\n${outcome.logs.join('\n')}`;
  const code = /insufficient (funds|lamports)|InsufficientFunds/i.test(text) ? 'CHAIN.INSUFFICIENT_FUNDS' : 'CHAIN.TRANSACTION_FAILED';
  const programError = outcome.logs.find((line) => /Error:/.test(line));
  return { code, message: programError ? `${outcome.error}: ${programError}` : outcome.error };
}

function failure(record: OperationRecord): ChainError {
  const reason = (record.errorCode ?? 'CHAIN.TRANSACTION_FAILED').replace(/^CHAIN\./, '') as ConstructorParameters<typeof ChainError>[0];
  return new ChainError(reason, `operation ${record.operationId} (attempt ${record.attempt}, ${record.signature}) failed: ${record.errorMessage ?? 'refused by the chain'}`);
}

function publicView(record: OperationRecord): ChainOperation {
  const { requestHash: _hash, transaction: _tx, lastValidBlockHeight: _valid, ...view } = record;
  return view;
}

function uniqueSigners(keys: Keypair[]): Keypair[] {
  const seen = new Map<string, Keypair>();
  for (const key of keys) seen.set(key.publicKey.toBase58(), key);
  return [...seen.values()];
}

function operationIdOf(id: unknown): string {
  if (typeof id !== 'string' || !OPERATION_ID.test(id)) throw new ChainError('INVALID_REQUEST', `not an operation id: ${JSON.stringify(id)} (1-128 of A-Z a-z 0-9 . _ : -)`);
  return id;
}

function assetOf(asset: unknown): ChainAsset {
  if (!(CHAIN_ASSETS as readonly unknown[]).includes(asset)) throw new ChainError('INVALID_REQUEST', `not an asset: ${JSON.stringify(asset)} (${CHAIN_ASSETS.join(', ')})`);
  return asset as ChainAsset;
}

function amountOf(amount: unknown): bigint {
  if (typeof amount !== 'bigint' || amount <= 0n || amount >= 1n << 64n) throw new ChainError('INVALID_REQUEST', `an amount is a bigint of base units, 1 to 2^64-1 (got ${String(amount)})`);
  return amount;
}

function custodyNameOf(from: unknown): string {
  if (from && typeof from === 'object' && 'custody' in from && typeof from.custody === 'string') return from.custody;
  throw new ChainError('INVALID_REQUEST', `a source is a custody account ({ custody: name }), got ${JSON.stringify(from)}`);
}
