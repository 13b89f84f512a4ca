/**
 * Serialised answers of one read, valid for one change epoch of the data behind it (ADR 0315). The
 * first lookup under a new epoch drops every entry; an answer is stored only when the epoch did not
 * move while it was computed, so an entry never holds data older than its epoch. Bounded by bytes:
 * the oldest entries go first.
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
    if (epochNow !== epochBefore || this.epoch !== epochBefore || body.length > this.entryMaxBytes) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.length;
    }
    while (this.bytes + body.length > this.maxBytes && this.entries.size > 0) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Buffer];
      this.entries.delete(oldestKey);
      this.bytes -= oldest.length;
    }
    if (this.bytes + body.length > this.maxBytes) return;
    this.entries.set(key, body);
    this.bytes += body.length;
  }
}
