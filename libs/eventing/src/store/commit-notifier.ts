import type { Pool } from 'pg';
import { EVENTS_NOTIFY_CHANNEL } from './eventing-schema';
import { errorMessage } from '../support/eventing-errors';
import type { EventingLogger } from '../support/eventing-logger';

/** The payload is the schema of the connection (its search_path), as the dropped trigger sent it:
 *  relays of other schemas in the same database ignore it. */
const NOTIFY_SQL = `select pg_notify('${EVENTS_NOTIFY_CHANNEL}', current_schema())`;

export interface CommitNotifierOptions {
  /** Least time between two NOTIFY statements of this process (default 5 ms): bounds them to
   *  200/s per event store however many commits, at the price of waking another process's relay
   *  up to this much later. One is in flight at a time. */
  intervalMsMin?: number;
}

/** Wakes outbox relays after events committed, without a NOTIFY in the appending transaction (it
 *  took PostgreSQL's cluster-wide notify lock until the commit was flushed and serialised every
 *  appending commit: ADR 0206). Relays in this process are signalled directly; relays elsewhere
 *  get a NOTIFY sent in its own transaction. That transaction writes no WAL, so its commit does not
 *  wait for a flush and holds the notify lock only for a moment (ADR 0207). Coalesced: commits
 *  that happen while one NOTIFY is in flight, or within intervalMsMin of the last, share the next
 *  one. Fire and forget: a lost NOTIFY costs at most one relay poll interval. */
export class CommitNotifier {
  private readonly listeners = new Set<() => void>();
  private readonly intervalMsMin: number;
  private inFlight = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAtMs = Number.NEGATIVE_INFINITY;
  private failing = false;
  sentCount = 0;

  constructor(
    private readonly pool: Pool | undefined,
    private readonly logger: EventingLogger,
    options: CommitNotifierOptions = {},
  ) {
    this.intervalMsMin = options.intervalMsMin ?? 5;
    if (this.intervalMsMin < 0 || this.intervalMsMin > 10_000) throw new RangeError('intervalMsMin must be within 0..10000');
  }

  /** Registers an in-process listener (a relay of this process); returns its removal. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events committed: wake the relays. Never throws, never waits. */
  committed(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.logger.warn(`commit listener failed: ${errorMessage(err)}`);
      }
    }
    if (!this.pool) return;
    if (this.inFlight || this.timer) {
      this.again = true;
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    const waitMs = this.lastSentAtMs + this.intervalMsMin - performance.now();
    if (waitMs <= 0) {
      void this.send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send();
    }, waitMs);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    const pool = this.pool!;
    if (pool.ending || pool.ended) return;
    this.inFlight = true;
    this.again = false;
    this.lastSentAtMs = performance.now();
    try {
      await pool.query(NOTIFY_SQL);
      this.sentCount++;
      if (this.failing) this.logger.log('commit notifications are sent again');
      this.failing = false;
    } catch (err) {
      // Logged once per streak of failures: relays still poll, and the append itself surfaces a
      // database that is down.
      if (!this.failing && !pool.ending) this.logger.warn(`commit notification failed (relays fall back to polling): ${errorMessage(err)}`);
      this.failing = true;
    } finally {
      this.inFlight = false;
      if (this.again) this.schedule();
    }
  }
}
