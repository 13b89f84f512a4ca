/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded through splitmix32 so that
 * neighbouring seeds give unrelated streams. 32-bit integer arithmetic only: the same seed gives the
 * same sequence on every platform, which is what makes a failing seed replayable.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    let s = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    // The first outputs of a freshly seeded sfc32 are weakly mixed; discard them.
    for (let i = 0; i < 12; i += 1) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform integer in [0, bound), without modulo bias; bound at most 2^32. */
  int(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > 2 ** 32) throw new RangeError(`bound must be 1..2^32, got ${bound}`);
    const limit = 2 ** 32 - (2 ** 32 % bound);
    // Rejection sampling: each try succeeds with probability > 1/2, so 64 tries failing is impossible in practice.
    for (let tries = 0; tries < 64; tries += 1) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
    throw new Error('prng rejection sampling did not converge');
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** Uniform bigint in [min, max]. */
  bigintBetween(min: bigint, max: bigint): bigint {
    if (max < min) throw new RangeError('empty range');
    const span = max - min + 1n;
    const bits = span.toString(2).length;
    const words = Math.ceil((bits + 32) / 32);
    let x = 0n;
    for (let i = 0; i < words; i += 1) x = (x << 32n) | BigInt(this.nextUint32());
    // 32 spare bits keep the modulo bias below 2^-32.
    return min + (x % span);
  }

  /** True with probability numerator / denominator. */
  chance(numerator: number, denominator: number): boolean {
    return this.int(denominator) < numerator;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.int(items.length)];
  }

  /** Index chosen with the given integer weights. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((s, w) => s + w, 0);
    let x = this.int(total);
    for (let i = 0; i < weights.length; i += 1) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    throw new Error('unreachable: weights are positive');
  }
}
