export const BPS_DENOMINATOR = 10_000n;

export function assertBps(value: number, name: string, max = 10_000): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) throw new RangeError(`${name} must be an integer 0..${max} bps, got ${value}`);
}

/** floor(a * numerator / denominator) for non-negative integers. */
export function mulDivFloor(a: bigint, numerator: bigint, denominator: bigint): bigint {
  if (a < 0n || numerator < 0n || denominator <= 0n) throw new RangeError('mulDivFloor takes non-negative operands and a positive denominator');
  return (a * numerator) / denominator;
}

/** ceil(a * numerator / denominator) for non-negative integers. */
export function mulDivCeil(a: bigint, numerator: bigint, denominator: bigint): bigint {
  if (a < 0n || numerator < 0n || denominator <= 0n) throw new RangeError('mulDivCeil takes non-negative operands and a positive denominator');
  return (a * numerator + denominator - 1n) / denominator;
}

/** floor(amount * bps / 10,000). */
export function bpsOfFloor(amountBaseUnits: bigint, bps: number): bigint {
  assertBps(bps, 'rate');
  return mulDivFloor(amountBaseUnits, BigInt(bps), BPS_DENOMINATOR);
}

export interface Weighted<K extends string = string> {
  readonly key: K;
  readonly weight: bigint;
}

/**
 * Splits `total` in proportion to the weights so the parts sum to exactly `total` (Hamilton's
 * largest-remainder method): each part is floor(total * w / W), then the base units left over go one
 * each to the largest remainders, ties broken by key in ascending code-unit order so the result never
 * depends on input order. Zero weights get nothing. Throws when every weight is zero.
 */
export function apportion<K extends string>(total: bigint, weights: readonly Weighted<K>[]): Map<K, bigint> {
  if (total < 0n) throw new RangeError('cannot apportion a negative total');
  const sum = weights.reduce((s, w) => {
    if (w.weight < 0n) throw new RangeError(`negative weight for ${w.key}`);
    return s + w.weight;
  }, 0n);
  if (sum === 0n) throw new RangeError('cannot apportion over zero total weight');
  const parts = new Map<K, bigint>();
  const remainders: { key: K; remainder: bigint }[] = [];
  let given = 0n;
  for (const { key, weight } of weights) {
    if (parts.has(key)) throw new RangeError(`duplicate key ${key}`);
    const part = (total * weight) / sum;
    parts.set(key, part);
    given += part;
    if (weight > 0n) remainders.push({ key, remainder: (total * weight) % sum });
  }
  remainders.sort((a, b) => (a.remainder !== b.remainder ? (a.remainder > b.remainder ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // At most one base unit per positive weight is left over, since each floor loses less than one.
  let left = total - given;
  for (let i = 0; left > 0n; i += 1, left -= 1n) {
    const { key } = remainders[i];
    parts.set(key, parts.get(key)! + 1n);
  }
  return parts;
}
