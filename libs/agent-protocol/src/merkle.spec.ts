import { createHash } from 'node:crypto';
import { EMPTY_MERKLE_ROOT, merkleLeaves, merkleProof, merkleRoot, verifyMerkleProof } from './merkle';

const h = (n: number) => createHash('sha256').update(`hb-${n}`).digest('hex');
const node = (prefix: number, ...parts: string[]) => {
  const hash = createHash('sha256').update(Buffer.of(prefix));
  for (const p of parts) hash.update(Buffer.from(p, 'hex'));
  return hash.digest('hex');
};

describe('heartbeat Merkle tree (sha256-sorted-leaves-v1)', () => {
  it('builds the documented root by hand for three leaves (odd node carried up)', () => {
    const leaves = merkleLeaves([h(1), h(2), h(3)]);
    const [a, b, c] = leaves.map((l) => node(0, l));
    expect(merkleRoot(leaves)).toBe(node(1, node(1, a!, b!), c!));
  });

  it('sorts and de-duplicates leaves, so the order of arrival does not change the root', () => {
    expect(merkleRoot(merkleLeaves([h(3), h(1), h(2), h(1)]))).toBe(merkleRoot(merkleLeaves([h(1), h(2), h(3)])));
    expect(merkleRoot([])).toBe(EMPTY_MERKLE_ROOT);
  });

  it('proves every leaf of trees of 1 to 33 leaves, and a proof fails for another leaf or root', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = merkleLeaves(Array.from({ length: n }, (_, i) => h(i)));
      const root = merkleRoot(leaves);
      for (const leaf of leaves) {
        const proof = merkleProof(leaves, leaf)!;
        expect(verifyMerkleProof(leaf, proof, root)).toBe(true);
        expect(verifyMerkleProof(h(1000), proof, root)).toBe(false);
      }
      if (n > 1) expect(verifyMerkleProof(leaves[0]!, merkleProof(leaves, leaves[0]!)!, merkleRoot(leaves.slice(1)))).toBe(false);
    }
    expect(merkleProof(merkleLeaves([h(1)]), h(2))).toBeUndefined();
  });

  it('refuses a tampered step', () => {
    const leaves = merkleLeaves([h(1), h(2), h(3), h(4)]);
    const proof = merkleProof(leaves, leaves[2]!)!;
    const flipped = proof.map((s, i) => (i === 0 ? { ...s, side: s.side === 'left' ? ('right' as const) : ('left' as const) } : s));
    expect(verifyMerkleProof(leaves[2]!, flipped, merkleRoot(leaves))).toBe(false);
  });
});
