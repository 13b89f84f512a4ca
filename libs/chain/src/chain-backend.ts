/** What the gateway needs from a chain: the low-level calls, the same for the embedded LiteSVM
 *  chain and an RPC cluster. Everything above it (building, signing, recording, retrying) is shared. */
export interface ChainBackend {
  readonly adapter: 'embedded' | 'rpc';
  /** `lastValidBlockHeight` null: the blockhash never expires (the embedded chain's stays fixed). */
  latestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: bigint | null }>;
  /** null where heights do not apply (embedded). */
  blockHeight(): Promise<bigint | null>;
  /** Sends a signed transaction (its wire bytes). The embedded chain executes it at once and
   *  answers its outcome; a cluster answers `submitted` (or the preflight's refusal). */
  send(wire: Uint8Array, signature: string): Promise<SendOutcome>;
  status(signature: string): Promise<SignatureStatus>;
  getAccount(address: string): Promise<{ readonly data: Uint8Array; readonly owner: string } | null>;
  close(): Promise<void>;
}

export type SendOutcome = { readonly kind: 'submitted' } | SignatureStatus;

export type SignatureStatus =
  | { readonly kind: 'confirmed' }
  | { readonly kind: 'failed'; readonly error: string; readonly logs: readonly string[] }
  /** Seen but not yet at the commitment asked for. */
  | { readonly kind: 'pending' }
  | { readonly kind: 'unknown' };
