import { createHash, hash as hashOnce } from 'node:crypto';

/** A UUID (RFC 9562 version 8, name-based on SHA-256) derived from its parts: the same parts give
 *  the same id in every process and on every retry, which makes a replayed cause append nothing
 *  new (ADR 0209). Parts are length-prefixed so ('ab', 'c') and ('a', 'bc') differ. */
export function derivedId(...parts: string[]): string {
  let input = '';
  for (const part of parts) input += `${Buffer.byteLength(part)}:${part}\n`;
  // One-shot hash of the concatenation (the same digest as an update per part), without a Hash
  // object per id: derived ids are computed per event in projections and their rebuilds (ADR 0331).
  const bytes = hashOnce ? Buffer.from(hashOnce('sha256', input, 'buffer') as unknown as Uint8Array) : createHash('sha256').update(input).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
