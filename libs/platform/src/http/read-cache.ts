/** What an entry costs besides its body and key: the map entry, the Buffer and the string headers. */
const ENTRY_OVERHEAD_BYTES = 160;

/**
 * Serialised answers of one read, valid for one change epoch of the data behind it (ADR 0315). The
 * first lookup under a new epoch drops every entry; an answer is stored only when the epoch did not
 * move while it was computed, so an entry never holds data older than its epoch. Bounded by bytes,
 * keys and a per-entry overhead included (many distinct URLs with tiny answers cannot grow it): the
 * oldest entries go first.
 */
export class ReadCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  private epoch: number | undefined;

  constructor(
    readonly maxBytes: number,
    /** Larger answers are not kept (a page of 200 devices is about 180 KB). */
    readonly entryMaxBytes = Math.max(1, Math.floor(maxBytes / 16)),
  ) {
    if (!(maxBytes >= 0)) throw new RangeError('maxBytes must be >= 0');
  }

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The answer stored under `key` in this epoch, if any. */
  get(key: string, epoch: number): Buffer | undefined {
    if (epoch !== this.epoch) {
      this.entries.clear();
      this.bytes = 0;
      this.epoch = epoch;
      return undefined;
    }
    return this.entries.get(key);
  }

  /** Keeps an answer computed from data read after `epochBefore` was current, when the epoch is still that one. */
  set(key: string, body: Buffer, epochBefore: number, epochNow: number | undefined): void {
    const size = entrySize(key, body);
    if (epochNow !== epochBefore || this.epoch !== epochBefore || size > this.entryMaxBytes) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= entrySize(key, previous);
    }
    while (this.bytes + size > this.maxBytes && this.entries.size > 0) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Buffer];
      this.entries.delete(oldestKey);
      this.bytes -= entrySize(oldestKey, oldest);
    }
    if (this.bytes + size > this.maxBytes) return;
    this.entries.set(key, body);
    this.bytes += size;
  }
}

function entrySize(key: string, body: Buffer): number {
  return body.length + key.length * 2 + ENTRY_OVERHEAD_BYTES;
}
