import { createHash } from 'node:crypto';

/**
 * The hourly heartbeat Merkle tree (verification's `EpochProofRootCommitted`, ADR 0413), written
 * here so anyone holding a proof (the agent CLI, a customer, an auditor) checks it with the same code:
 * - leaves: the epoch's heartbeat hashes (32 bytes each), distinct, sorted ascending;
 * - leaf node = sha256(0x00 || leaf); inner node = sha256(0x01 || left || right) (the prefixes keep
 *   a leaf from posing as an inner node);
 * - a level with an odd count carries its last node up unchanged;
 * - the root of no leaves is 64 zeros.
 * A proof is the sibling of each level from the leaf up, with the side it sits on.
 */
export const MERKLE_ALGORITHM = 'sha256-sorted-leaves-v1';
export const EMPTY_MERKLE_ROOT = '0'.repeat(64);
const HASH_HEX = /^[0-9a-f]{64}$/;

export interface MerkleProofStep {
  side: 'left' | 'right';
  hash: string;
}

function leafNode(leaf: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(leaf).digest();
}

function innerNode(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

/** The leaves in tree order: distinct, lower-case hex, sorted. */
export function merkleLeaves(hashes: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const h of hashes) {
    const hex = h.toLowerCase();
    if (!HASH_HEX.test(hex)) throw new RangeError(`a Merkle leaf is a 64-hex sha256, not ${h}`);
    set.add(hex);
  }
  return [...set].sort();
}

/** The root over `leaves` (already in tree order, see merkleLeaves). */
export function merkleRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) return EMPTY_MERKLE_ROOT;
  let level = leaves.map((l) => leafNode(Buffer.from(l, 'hex')));
  while (level.length > 1) level = nextLevel(level);
  return level[0]!.toString('hex');
}

/** The proof of `leaf` (in tree order `leaves`), or undefined when it is not a leaf. */
export function merkleProof(leaves: readonly string[], leaf: string): MerkleProofStep[] | undefined {
  let index = leaves.indexOf(leaf.toLowerCase());
  if (index < 0) return undefined;
  const proof: MerkleProofStep[] = [];
  let level = leaves.map((l) => leafNode(Buffer.from(l, 'hex')));
  while (level.length > 1) {
    const sibling = index % 2 === 0 ? index + 1 : index - 1;
    if (sibling < level.length) proof.push({ side: index % 2 === 0 ? 'right' : 'left', hash: level[sibling]!.toString('hex') });
    level = nextLevel(level);
    index = Math.floor(index / 2);
  }
  return proof;
}

/** Whether `proof` leads from `leaf` to `root`. */
export function verifyMerkleProof(leaf: string, proof: readonly MerkleProofStep[], root: string): boolean {
  if (!HASH_HEX.test(leaf) || !HASH_HEX.test(root)) return false;
  let node = leafNode(Buffer.from(leaf, 'hex'));
  for (const step of proof) {
    if (!HASH_HEX.test(step.hash)) return false;
    const sibling = Buffer.from(step.hash, 'hex');
    node = step.side === 'left' ? innerNode(sibling, node) : innerNode(node, sibling);
  }
  return node.toString('hex') === root;
}

function nextLevel(level: Buffer[]): Buffer[] {
  const next: Buffer[] = [];
  for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? innerNode(level[i]!, level[i + 1]!) : level[i]!);
  return next;
}
