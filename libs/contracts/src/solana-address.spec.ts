import { decodeSolanaAddress, encodeSolanaAddress, isSolanaAddress } from './solana-address';

const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const SYSTEM_PROGRAM = '11111111111111111111111111111111';

describe('Solana addresses', () => {
  it('accepts 32-byte base58 keys, including the all-zero system program', () => {
    expect(isSolanaAddress(TOKEN_PROGRAM)).toBe(true);
    expect(decodeSolanaAddress(SYSTEM_PROGRAM)).toEqual(new Uint8Array(32));
  });

  it('round-trips bytes', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256);
    const text = encodeSolanaAddress(bytes);
    expect(decodeSolanaAddress(text)).toEqual(bytes);
    expect(() => encodeSolanaAddress(new Uint8Array(31))).toThrow(RangeError);
  });

  it('refuses characters outside the alphabet, wrong lengths and keys that decode to another size', () => {
    for (const bad of [
      TOKEN_PROGRAM.replace('k', '0'),
      TOKEN_PROGRAM.replace('k', 'l'),
      TOKEN_PROGRAM.slice(0, 31),
      `${TOKEN_PROGRAM}1111111`,
      'z'.repeat(44),
      '1'.repeat(33),
      '',
    ]) {
      expect({ bad, ok: isSolanaAddress(bad) }).toEqual({ bad, ok: false });
    }
  });
});
