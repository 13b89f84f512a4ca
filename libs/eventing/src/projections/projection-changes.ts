import type { Pool } from 'pg';
import { errorMessage } from '../support/eventing-errors';
import type { EventingLogger } from '../support/eventing-logger';

/**
 * What a projection's state can have changed by, read in one statement: its live generation (a
 * blue/green swap or rebuild moves it), the sum of that generation's stored Kafka offsets (every
 * live batch advances its partition's row in the batch's own transaction) and the number of its
 * dead letters re-driven (a redrive applies an event without moving an offset). Each part only
 * grows, so an unchanged tuple means no change committed in between (ADR 0315).
 */
const VERSIONS_SQL = `
  select w.name,
         p.generation::text || ':' ||
         coalesce((select sum(o.next_offset) from consumer_offsets o where o.group_id = 'projection:' || w.name || ':g' || p.generation), 0)::text || ':' ||
         (select count(*) from dead_letters d where d.consumer_group = w.group_id and d.redriven_at is not null)::text as version
    from unnest($1::text[], $2::text[]) as w(name, group_id)
    join projections p on p.name = w.name`;

export interface ProjectionChangesOptions {
  /** How often the versions are read (default 100 ms): another process's change is seen within this. */
  pollIntervalMs?: number;
  /** An epoch is only given while the last successful read started at most this long ago (default
   *  1,000 ms): the bound on how old a cached answer can be when reads fail or stall. */
  maxStalenessMs?: number;
}

interface Watched {
  groupId: string;
  epoch: number;
  /** The last version read from the database ('' before the first read). */
  version: string;
}

/**
 * Change epochs of projections, for caches of their reads (ADR 0315). `epoch(name)` is a number
 * that moves whenever the projection may have changed, or undefined while that is not known within
 * `maxStalenessMs` (nothing may be served from a cache then). It moves at once for a change this
 * process applied (`changed`, called by the live consumer after its commit and after a swap) and
 * within `pollIntervalMs` (plus one query) for a change made by another replica. Polling starts with
 * the first `watch`; a process that watches nothing reads nothing.
 */
export class ProjectionChanges {
  private readonly watched = new Map<string, Watched>();
  private readonly pollIntervalMs: number;
  private readonly maxStalenessMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastReadStartedAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: EventingLogger,
    options: ProjectionChangesOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.maxStalenessMs = options.maxStalenessMs ?? 1_000;
    if (this.pollIntervalMs < 1 || this.maxStalenessMs < this.pollIntervalMs) throw new RangeError('pollIntervalMs must be >= 1 and maxStalenessMs >= pollIntervalMs');
  }

  /** Starts following a projection (its consumer group names its dead letters); idempotent. */
  watch(name: string, groupId: string): void {
    if (this.watched.has(name)) return;
    this.watched.set(name, { groupId, epoch: 0, version: '' });
    if (!this.timer && !this.stopped) this.schedule(0);
  }

  /** The projection's change epoch, or undefined while it is not known fresh enough. */
  epoch(name: string): number | undefined {
    const watched = this.watched.get(name);
    if (!watched || watched.version === '' || performance.now() - this.lastReadStartedAt > this.maxStalenessMs) return undefined;
    return watched.epoch;
  }

  /** A change this process committed (a live batch, a swap): the epoch moves now. */
  changed(name: string): void {
    const watched = this.watched.get(name);
    if (watched) watched.epoch++;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One read of every watched projection's version (exposed for tests). */
  async poll(): Promise<void> {
    const names = [...this.watched.keys()];
    if (names.length === 0) return;
    const startedAt = performance.now();
    try {
      const { rows } = await this.pool.query<{ name: string; version: string }>(VERSIONS_SQL, [names, names.map((n) => this.watched.get(n)!.groupId)]);
      for (const row of rows) {
        const watched = this.watched.get(row.name)!;
        if (watched.version !== row.version) {
          watched.version = row.version;
          watched.epoch++;
        }
      }
      this.lastReadStartedAt = startedAt;
      if (this.failing) this.logger.log('projection versions readable again; cached reads resume');
      this.failing = false;
    } catch (err) {
      // Not installed yet, or the database is away: epochs turn unknown once maxStalenessMs passes.
      if (!this.failing) this.logger.warn(`projection versions could not be read (cached reads pause): ${errorMessage(err)}`);
      this.failing = true;
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        if (!this.stopped) this.schedule(this.pollIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
