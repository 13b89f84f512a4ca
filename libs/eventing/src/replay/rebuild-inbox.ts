import type { EventingLogger } from '../support/eventing-logger';
import { errorMessage } from '../support/eventing-errors';
import type { TransactionRunner } from '../support/sql-executor';

/** The ids of one batch that it may apply, reserved until its transaction ends. */
export interface InboxClaim {
  /** First occurrence of every id not applied before; the batch applies only these. */
  fresh: Set<string>;
  /** The batch dead-lettered this event after all: not applied, so not remembered. */
  release(eventId: string): void;
  /** The batch's transaction ended: committed ids are remembered, others freed. */
  settle(committed: boolean): void;
}

/** A processed-event inbox held in memory instead of the table (ADR 0207). */
export interface EventIdInbox {
  /** undefined: use the table (consumer_processed_events) for this batch. */
  claim(eventIds: string[]): Promise<InboxClaim | undefined>;
}

export interface RebuildInboxOptions {
  transactions: TransactionRunner;
  /** The generation's scope (`projection:<name>:g<N>`): the group id of its inbox rows. */
  scope: string;
  /** Ids held in memory at most (default 2,000,000, about 200 MB); past it, the inbox copies what
   *  it holds to the table and the rest of the rebuild claims through the table, as live does. */
  idsMax?: number;
  /** Ids copied to the table per statement (default 50,000). */
  copyChunkSize?: number;
  logger: EventingLogger;
}

/** The exact processed-event inbox of one rebuild, in memory. A rebuild is one process consuming a
 *  fresh generation from offset 0 to the swap, and nothing else writes that generation's inbox, so
 *  a set of the ids it applied is exact: it drops a duplicate (the relay is at-least-once) without
 *  a table round trip per batch. Ids of committed batches are copied to the generation's
 *  `consumer_processed_events` rows in the background, in large chunks, and `flush()` copies the
 *  rest before the swap, so the live consumer of the new generation still finds every id and drops
 *  a late duplicate. Concurrent batches (partitions) reserve their ids: a batch that meets an id
 *  reserved by another waits for that one's outcome. */
export class RebuildInbox implements EventIdInbox {
  private readonly applied = new Set<string>();
  /** Ids of the batches in flight (at most one per partition consumed concurrently), with the
   *  outcome of each: checked per id, cheaper than one shared map churned by every id. */
  private readonly inFlight = new Set<{ ids: Set<string>; outcome: Promise<void> }>();
  private reservedCount = 0;
  private unflushed: string[] = [];
  private copying: Promise<void> | undefined;
  private mode: 'memory' | 'switching' | 'table' = 'memory';
  private switched: Promise<void> | undefined;
  private readonly idsMax: number;
  private readonly copyChunkSize: number;
  copiedCount = 0;

  constructor(private readonly options: RebuildInboxOptions) {
    this.idsMax = options.idsMax ?? 2_000_000;
    this.copyChunkSize = options.copyChunkSize ?? 50_000;
    if (this.idsMax < 0) throw new RangeError('idsMax must be >= 0');
    if (this.copyChunkSize < 1 || this.copyChunkSize > 1_000_000) throw new RangeError('copyChunkSize must be within 1..1000000');
  }

  get heldCount(): number {
    return this.applied.size;
  }

  async claim(eventIds: string[]): Promise<InboxClaim | undefined> {
    if (this.mode !== 'memory' || this.applied.size + this.reservedCount + eventIds.length > this.idsMax) {
      await this.switchToTable();
      return undefined;
    }
    // Waits for the batches holding some of these ids; bounded by the batches in flight (one per
    // partition being consumed).
    for (;;) {
      const busy = [...this.inFlight].filter((other) => eventIds.some((id) => other.ids.has(id))).map((other) => other.outcome);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    if (this.mode !== 'memory') {
      await this.switchToTable();
      return undefined;
    }
    let settled!: () => void;
    const entry = { ids: new Set<string>(), outcome: new Promise<void>((resolve) => (settled = resolve)) };
    const fresh = entry.ids;
    for (const id of eventIds) if (!this.applied.has(id)) fresh.add(id);
    this.inFlight.add(entry);
    this.reservedCount += fresh.size;
    let released: Set<string> | undefined;
    return {
      fresh,
      release: (eventId) => void (released ??= new Set()).add(eventId),
      settle: (committed) => {
        if (!this.inFlight.delete(entry)) return;
        this.reservedCount -= fresh.size;
        if (committed) {
          for (const id of fresh) {
            if (released?.has(id)) continue;
            this.applied.add(id);
            this.unflushed.push(id);
          }
        }
        settled();
        if (this.unflushed.length >= this.copyChunkSize && !this.copying) this.startCopy();
      },
    };
  }

  /** Copies every id of a committed batch to the table; call with no batch in flight, before the
   *  swap. Throws if a copy failed (the swap must not go live with an incomplete inbox). */
  async flush(): Promise<void> {
    await this.copying;
    // A background copy that failed put its ids back: they are copied here, or this throws.
    const ids = this.unflushed;
    this.unflushed = [];
    try {
      await this.copy(ids);
    } catch (err) {
      this.unflushed.push(...ids);
      throw err;
    }
  }

  private startCopy(): void {
    const ids = this.unflushed;
    this.unflushed = [];
    this.copying = this.copy(ids)
      .catch((err: unknown) => {
        // The ids go back to the queue: the next copy or flush() retries them.
        this.unflushed.push(...ids);
        this.options.logger.warn(`rebuild inbox copy of ${ids.length} ids failed: ${errorMessage(err)}`);
      })
      .finally(() => {
        this.copying = undefined;
      });
  }

  private async copy(ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += this.copyChunkSize) {
      const chunk = ids.slice(start, start + this.copyChunkSize);
      // One text parameter split by the server: far cheaper to build than a uuid[] literal.
      await this.options.transactions.transaction((tx) =>
        tx.query(
          `insert into consumer_processed_events (group_id, event_id)
           select $1, id::uuid from unnest(string_to_array($2, ',')) as id on conflict do nothing`,
          [this.options.scope, chunk.join(',')],
        ),
      );
      this.copiedCount += chunk.length;
    }
  }

  private async switchToTable(): Promise<void> {
    if (this.mode === 'table') return;
    if (!this.switched) {
      this.mode = 'switching';
      this.switched = (async () => {
        this.options.logger.log(`rebuild inbox of ${this.options.scope} holds ${this.applied.size} ids (limit ${this.idsMax}): continuing with the table`);
        // Every batch that claimed in memory must end and be copied before a batch claims in the
        // table, or the table would miss an id that memory dropped.
        while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((other) => other.outcome));
        await this.flush();
        this.applied.clear();
        this.mode = 'table';
      })().finally(() => {
        if (this.mode !== 'table') this.switched = undefined;
      });
    }
    await this.switched;
  }
}
