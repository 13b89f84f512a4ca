import { Connection, PublicKey, SendTransactionError, type ConnectionConfig, type Finality } from '@solana/web3.js';
import type { ChainBackend, SendOutcome, SignatureStatus } from '../chain-backend';
import { ChainError } from '../chain.errors';

export interface RpcChainOptions {
  readonly url: string;
  readonly commitment: 'confirmed' | 'finalized';
  /** For tests and custom transports (web3.js's `fetch` option). */
  readonly fetch?: ConnectionConfig['fetch'];
}

/** A real cluster (devnet, mainnet) through @solana/web3.js v1's JSON-RPC client. Not exercised
 *  against a validator here (none can be reached from the build machines): its calls are the
 *  documented JSON-RPC methods, and everything above it is the gateway code the embedded chain runs. */
export class RpcChain implements ChainBackend {
  readonly adapter = 'rpc' as const;
  private readonly connection: Connection;
  private readonly commitment: Finality;

  constructor(options: RpcChainOptions) {
    this.commitment = options.commitment;
    this.connection = new Connection(options.url, { commitment: options.commitment, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  async latestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: bigint | null }> {
    const latest = await this.call(() => this.connection.getLatestBlockhash(this.commitment));
    return { blockhash: latest.blockhash, lastValidBlockHeight: BigInt(latest.lastValidBlockHeight) };
  }

  async blockHeight(): Promise<bigint | null> {
    return BigInt(await this.call(() => this.connection.getBlockHeight(this.commitment)));
  }

  async send(wire: Uint8Array): Promise<SendOutcome> {
    try {
      await this.connection.sendRawTransaction(wire, { preflightCommitment: this.commitment, maxRetries: 0 });
      return { kind: 'submitted' };
    } catch (error) {
      // A preflight refusal: the node did not forward the transaction, so it can never land.
      if (error instanceof SendTransactionError) return { kind: 'failed', error: error.message, logs: error.logs ?? [] };
      throw new ChainError('UNAVAILABLE', `the cluster did not take the transaction: ${(error as Error).message}`, { cause: error });
    }
  }

  async status(signature: string): Promise<SignatureStatus> {
    const { value } = await this.call(() => this.connection.getSignatureStatuses([signature], { searchTransactionHistory: true }));
    const status = value[0];
    if (!status) return { kind: 'unknown' };
    if (status.err) {
      const tx = await this.call(() => this.connection.getTransaction(signature, { commitment: this.commitment, maxSupportedTransactionVersion: 0 }));
      return { kind: 'failed', error: JSON.stringify(status.err), logs: tx?.meta?.logMessages ?? [] };
    }
    const reached = status.confirmationStatus === 'finalized' || (this.commitment === 'confirmed' && status.confirmationStatus === 'confirmed');
    return reached ? { kind: 'confirmed' } : { kind: 'pending' };
  }

  async getAccount(address: string): Promise<{ data: Uint8Array; owner: string } | null> {
    const info = await this.call(() => this.connection.getAccountInfo(new PublicKey(address), this.commitment));
    return info ? { data: new Uint8Array(info.data), owner: info.owner.toBase58() } : null;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new ChainError('UNAVAILABLE', `the cluster did not answer: ${(error as Error).message}`, { cause: error });
    }
  }
}
