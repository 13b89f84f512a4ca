import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { FailedTransactionMetadata, LiteSVM, TransactionMetadata } from 'litesvm';
import type { Address, Transaction as KitTransaction } from '@solana/kit';
import bs58 from 'bs58';
import type { ChainBackend, SendOutcome, SignatureStatus } from '../chain-backend';
import { ChainError } from '../chain.errors';

export interface LiteSvmChainOptions {
  /** Where the chain lives: `chain.snapshot` (LiteSVM's full state) and `chain.journal` (every
   *  transaction sent since, replayed on open). */
  readonly dataDir: string;
  /** Transactions between snapshots; the journal replays at most this many on open. */
  readonly snapshotEveryTransactions?: number;
  /** Signatures the chain remembers (AlreadyProcessed and status look-ups). Must exceed
   *  snapshotEveryTransactions so a journal replayed over its own snapshot is refused, not re-run. */
  readonly transactionHistory?: number;
}

const SNAPSHOT = 'chain.snapshot';
const JOURNAL = 'chain.journal';
const LOCK = 'chain.lock';
const FEE_PAYER_FLOOR_LAMPORTS = 1_000_000_000_000n;

/** The embedded chain: LiteSVM (the real SPL Token, Associated Token and Memo programs) in this
 *  process, persisted so a restart (or a kill) keeps every account and balance. Every transaction
 *  is appended to a journal right after it runs; every N transactions the whole state is written
 *  as a snapshot (atomically: a temporary file renamed) and the journal emptied. On open, the
 *  snapshot is loaded and the journal replayed: the same transactions against the same state and
 *  the same (fixed) blockhash give the same result. One process owns a directory (a lock file). */
export class LiteSvmChain implements ChainBackend {
  readonly adapter = 'embedded' as const;
  private readonly journalFd: number;
  private sinceSnapshot = 0;
  private closed = false;

  private constructor(
    private readonly svm: LiteSVM,
    private readonly dir: string,
    private readonly snapshotEvery: number,
  ) {
    this.journalFd = openSync(join(dir, JOURNAL), 'a');
  }

  static open(options: LiteSvmChainOptions): LiteSvmChain {
    const snapshotEvery = options.snapshotEveryTransactions ?? 500;
    const history = options.transactionHistory ?? 100_000;
    if (history <= snapshotEvery) throw new ChainError('MISCONFIGURED', 'the embedded chain must remember more transactions than it journals between snapshots');
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    takeLock(options.dataDir);
    try {
      const snapshotPath = join(options.dataDir, SNAPSHOT);
      const svm = existsSync(snapshotPath) ? LiteSVM.loadFromFile(snapshotPath) : new LiteSVM();
      svm.withTransactionHistory(BigInt(history));
      const replayed = replayJournal(svm, join(options.dataDir, JOURNAL));
      const chain = new LiteSvmChain(svm, options.dataDir, snapshotEvery);
      chain.sinceSnapshot = replayed;
      return chain;
    } catch (error) {
      releaseLock(options.dataDir);
      throw error instanceof ChainError ? error : new ChainError('UNAVAILABLE', `the embedded chain in ${options.dataDir} cannot be opened`, { cause: error });
    }
  }

  /** Gives the fee payer SOL (the embedded chain's faucet) when it runs low; written at once. */
  fundFeePayer(address: string): void {
    const balance = this.svm.getBalance(address as Address) ?? 0n;
    if (balance >= FEE_PAYER_FLOOR_LAMPORTS) return;
    const result = this.svm.airdrop(address as Address, (FEE_PAYER_FLOOR_LAMPORTS * 10n) as never);
    if (!(result instanceof TransactionMetadata)) throw new ChainError('UNAVAILABLE', `the embedded faucet refused: ${String(result)}`);
    this.snapshot();
  }

  rentExemptLamports(bytes: number): bigint {
    return this.svm.minimumBalanceForRentExemption(BigInt(bytes));
  }

  latestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: bigint | null }> {
    return Promise.resolve({ blockhash: this.svm.latestBlockhash(), lastValidBlockHeight: null });
  }

  blockHeight(): Promise<bigint | null> {
    return Promise.resolve(null);
  }

  send(wire: Uint8Array): Promise<SendOutcome> {
    this.assertOpen();
    const outcome = execute(this.svm, wire);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(wire.length);
    writeSync(this.journalFd, Buffer.concat([header, wire]));
    this.sinceSnapshot += 1;
    if (this.sinceSnapshot >= this.snapshotEvery) this.snapshot();
    return Promise.resolve(outcome);
  }

  status(signature: string): Promise<SignatureStatus> {
    const found = this.svm.getTransaction(signature as never);
    if (found === null) return Promise.resolve({ kind: 'unknown' });
    return Promise.resolve(toStatus(found));
  }

  getAccount(address: string): Promise<{ data: Uint8Array; owner: string } | null> {
    const account = this.svm.getAccount(address as Address);
    if (!account.exists) return Promise.resolve(null);
    return Promise.resolve({ data: account.data, owner: account.programAddress });
  }

  /** Writes the whole state and empties the journal. A kill between the rename and the truncation
   *  replays journaled transactions over a state that has them: refused as already processed. */
  snapshot(): void {
    const target = join(this.dir, SNAPSHOT);
    const temporary = `${target}.tmp`;
    this.svm.saveToFile(temporary);
    const fd = openSync(temporary, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
    ftruncateSync(this.journalFd, 0);
    this.sinceSnapshot = 0;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.snapshot();
    this.closed = true;
    closeSync(this.journalFd);
    releaseLock(this.dir);
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new ChainError('UNAVAILABLE', 'the embedded chain is closed');
  }
}

/** Legacy wire bytes -> the kit transaction LiteSVM takes, by slicing, without kit's (slow)
 *  decoder or a web3.js parse: `shortvec(n) || n signatures || message`, and the message's first n
 *  account keys are the signers, in order (its header is 3 bytes, then `shortvec(keys)`). */
function execute(svm: LiteSVM, wire: Uint8Array): SignatureStatus {
  return toStatus(svm.sendTransaction(kitTransactionOf(wire)));
}

export function kitTransactionOf(wire: Uint8Array): KitTransaction {
  const [signatureCount, signaturesAt] = shortVec(wire, 0);
  const messageAt = signaturesAt + 64 * signatureCount;
  const messageBytes = wire.subarray(messageAt);
  if (messageBytes.length < 4 || (messageBytes[0]! & 0x80) !== 0) throw new ChainError('INVALID_REQUEST', 'the embedded chain takes legacy transactions only');
  const [keyCount, keysAt] = shortVec(messageBytes, 3);
  if (keyCount < signatureCount || keysAt + 32 * keyCount > messageBytes.length) throw new ChainError('INVALID_REQUEST', 'a transaction whose signers are not in its message');
  const signatures: Record<string, Uint8Array> = {};
  for (let i = 0; i < signatureCount; i += 1) {
    const key = bs58.encode(messageBytes.subarray(keysAt + 32 * i, keysAt + 32 * (i + 1)));
    signatures[key] = wire.subarray(signaturesAt + 64 * i, signaturesAt + 64 * (i + 1));
  }
  return { messageBytes, signatures } as unknown as KitTransaction;
}

/** Solana's compact-u16: 7 bits a byte, high bit = more. Returns the value and the next offset. */
function shortVec(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 3; i += 1) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new ChainError('INVALID_REQUEST', 'a truncated transaction');
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  throw new ChainError('INVALID_REQUEST', 'a malformed length in a transaction');
}

function toStatus(result: TransactionMetadata | FailedTransactionMetadata): SignatureStatus {
  if (result instanceof FailedTransactionMetadata) {
    return { kind: 'failed', error: String(result.err()), logs: result.meta().logs() };
  }
  return { kind: 'confirmed' };
}

function replayJournal(svm: LiteSVM, path: string): number {
  if (!existsSync(path)) return 0;
  const bytes = readFileSync(path);
  let offset = 0;
  let replayed = 0;
  while (offset + 4 <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    // A record cut short by a kill mid-write never ran to completion in anyone's eyes: the sender
    // died before it learnt the outcome, and its record still says `signed`. Drop it.
    if (offset + 4 + length > bytes.length) break;
    execute(svm, bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
    replayed += 1;
  }
  if (offset < bytes.length) writeFileSync(path, bytes.subarray(0, offset));
  return replayed;
}

function takeLock(dir: string): void {
  const path = join(dir, LOCK);
  for (let tries = 0; tries < 2; tries += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new ChainError('UNAVAILABLE', `the embedded chain in ${dir} is open in process ${owner}`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new ChainError('UNAVAILABLE', `the embedded chain's lock in ${dir} cannot be taken`);
}

function releaseLock(dir: string): void {
  rmSync(join(dir, LOCK), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
