import bs58 from 'bs58';

/** A Solana address (an ed25519 public key, a wallet, a mint) is 32 bytes written in base58, 32
 *  to 44 characters. The one check of that format, for domain code and edges alike: pure, on the
 *  maintained `bs58` codec. */
export const SOLANA_ADDRESS_BYTES = 32;
export const SOLANA_ADDRESS_LENGTH_MIN = 32;
export const SOLANA_ADDRESS_LENGTH_MAX = 44;

/** The 32 bytes of an address, or undefined when the text is not one. */
export function decodeSolanaAddress(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length < SOLANA_ADDRESS_LENGTH_MIN || text.length > SOLANA_ADDRESS_LENGTH_MAX) return undefined;
  const bytes = bs58.decodeUnsafe(text);
  return bytes && bytes.length === SOLANA_ADDRESS_BYTES ? bytes : undefined;
}

export function isSolanaAddress(text: string): boolean {
  return decodeSolanaAddress(text) !== undefined;
}

export function encodeSolanaAddress(bytes: Uint8Array): string {
  if (bytes.length !== SOLANA_ADDRESS_BYTES) throw new RangeError(`a Solana address is ${SOLANA_ADDRESS_BYTES} bytes, not ${bytes.length}`);
  return bs58.encode(bytes);
}
