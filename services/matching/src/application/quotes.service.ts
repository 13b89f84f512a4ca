import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CONFIG, PG_POOL, ProblemError, type Clock } from '@ionet/platform';
import { CommandHandlers, EventStoreConcurrencyError, PgTransactionRunner, derivedId, type CommandCause, type EventingTransaction, type LoadedStream, type SqlExecutor } from '@ionet/eventing';
import type { Pool } from 'pg';
import { connectivityRank, explain, place, securityRank, type Candidate, type ConnectivityTier, type Explain, type Placed, type PlacementRequest, type SecurityTier } from '../domain/placement';
import { MatchingError, type HeldDevice, type PaymentAsset, type QuoteCommand, type QuoteEvent, type QuotePrice, type QuoteRequest, type QuoteState } from '../domain/quote.decider';
import type { MatchingConfig } from '../matching.config';
import { CANDIDATES_MAX, candidateWindow, loadCandidates } from './candidates';
import { quoteAggregate } from './matching-aggregates';
import { capInUsdMicros, pricedDevice, quotePrice } from './pricing';

export interface QuoteInput {
  quoteId: string;
  requestId: string;
  customerId: string;
  request: QuoteRequest;
  cause: CommandCause;
}

interface PendingQuote {
  input: QuoteInput;
  placement: PlacementRequest;
  resolve: (result: QuoteResult) => void;
  reject: (error: unknown) => void;
}

type HeldOutcome = { kind: 'held'; result: QuoteResult; created: boolean };
type BatchOutcome = HeldOutcome | { kind: 'refused' | 'failed'; error: unknown };

/** The ranked free candidates of one filter set, read once per batch; `next` skips what the batch
 *  took from its front. */
interface CandidateWindow {
  placement: PlacementRequest;
  limit: number;
  candidates: Candidate[];
  next: number;
  /** Every free candidate under the filters is in `candidates`. */
  complete: boolean;
}

export interface QuoteResult {
  quoteId: string;
  requestId: string;
  customerId: string;
  expiresAt: Date;
  devices: HeldDevice[];
  price: QuotePrice;
  asset: PaymentAsset;
  request: QuoteRequest;
}

/** Something another writer changed under us (a device held first): decide again. */
class Retry extends Error {}

/** Lets the expiry scheduler be bound after construction (the queue module provides it). */
export interface ExpiryScheduler {
  scheduleExpiries(quotes: Array<{ quoteId: string; expiresAt: Date }>): Promise<void>;
  bind?(runner: (quoteId: string, tx: EventingTransaction) => Promise<unknown>): void;
}

export const EXPIRY_SCHEDULER = Symbol('matching.expiry-scheduler');

/**
 * Quotes: place, hold (the reservation rows and the quote's events in one transaction), price.
 * Requests of one GPU family are serialised by a transaction-scoped advisory lock on every instance
 * (the family's partition owner while the transaction lives); the primary key of `reservations`
 * is the invariant itself: whatever slips past the lock (a class pattern, a replacement) conflicts
 * there and is decided again (ADR 0500).
 */
@Injectable()
export class QuotesService {
  private readonly transactions: PgTransactionRunner;
  private readonly admission: Semaphore;
  /** Requests waiting for their family's next batch (at most QUOTE_QUEUE_MAX per family). */
  private readonly queued = new Map<string, PendingQuote[]>();
  private readonly draining = new Set<string>();
  /** Committed batches and the requests they answered (the bench reads the mean batch). */
  readonly batchStats = { batches: 0, requests: 0 };

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly handlers: CommandHandlers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: MatchingConfig,
    @Inject(EXPIRY_SCHEDULER) private readonly expiry: ExpiryScheduler,
  ) {
    this.transactions = new PgTransactionRunner(pool);
    this.admission = new Semaphore(config.QUOTE_CONCURRENCY ?? 4);
    expiry.bind?.((quoteId, tx) => this.expire(quoteId, tx));
  }

  /** Places, holds and prices one request; answered once its quote is committed. Requests of one
   *  GPU family queue here and are decided in batches, one transaction per batch (group commit). */
  quote(input: QuoteInput): Promise<QuoteResult> {
    return new Promise<QuoteResult>((resolve, reject) => {
      const family = gpuFamily(input.request.gpuModel);
      const queue = this.queued.get(family) ?? [];
      if (queue.length >= this.config.QUOTE_QUEUE_MAX) {
        reject(ProblemError.of('unavailable', 'MATCHING.BUSY', `${queue.length} quote requests for ${family} GPUs are waiting; retry shortly`));
        return;
      }
      let placement: PlacementRequest;
      try {
        placement = this.placementRequest(input.request);
      } catch (err) {
        reject(err);
        return;
      }
      queue.push({ input, placement, resolve, reject });
      this.queued.set(family, queue);
      if (!this.draining.has(family)) void this.drain(family);
    });
  }

  /** One batch of a family at a time on this instance (the family's advisory lock serialises them
   *  across instances anyway); what arrives meanwhile makes up the next batch. */
  private async drain(family: string): Promise<void> {
    this.draining.add(family);
    try {
      for (;;) {
        await this.admission.acquire();
        const queue = this.queued.get(family) ?? [];
        const batch = queue.splice(0, this.config.QUOTE_BATCH_MAX);
        try {
          if (batch.length === 0) return;
          await this.decideBatch(family, batch);
        } finally {
          this.admission.release();
        }
      }
    } finally {
      if (!this.queued.get(family)?.length) this.queued.delete(family);
      this.draining.delete(family);
    }
  }

  /** Decides and commits a batch, then schedules the expiries and answers every request in it.
   *  Never throws: each request is settled. */
  private async decideBatch(family: string, batch: PendingQuote[]): Promise<void> {
    for (let attempt = 0; attempt < this.config.QUOTE_ATTEMPTS_MAX; attempt++) {
      let outcomes: BatchOutcome[];
      try {
        outcomes = await this.transactions.transaction((tx) => this.decideInTransaction(tx, family, batch, attempt > 0));
      } catch (err) {
        if (err instanceof Retry || isRetryable(err)) continue;
        if (batch.length > 1) {
          // One bad request must not fail the others: decide each alone.
          for (const p of batch) await this.decideBatch(family, [p]);
          return;
        }
        batch[0]!.reject(err);
        return;
      }
      this.batchStats.batches++;
      this.batchStats.requests += batch.length;
      // The quotes are committed; the scheduler logs a failed add and its sweep releases them.
      const held = outcomes.flatMap((o) => (o.kind === 'held' && o.created ? [{ quoteId: o.result.quoteId, expiresAt: o.result.expiresAt }] : []));
      // Answered once the expiry job is added, while the family's next batch is already deciding.
      void this.answer(batch, outcomes, held);
      return;
    }
    // Every attempt lost a device to a concurrent writer: explain what is left now.
    for (const p of batch) {
      p.reject(await this.unmatchable(this.pool, p.placement, 'every placement attempt lost its devices to concurrent quotes').catch((err: unknown) => err));
    }
  }

  private async answer(batch: PendingQuote[], outcomes: BatchOutcome[], held: Array<{ quoteId: string; expiresAt: Date }>): Promise<void> {
    if (held.length) await this.expiry.scheduleExpiries(held);
    outcomes.forEach((o, i) => (o.kind === 'held' ? batch[i]!.resolve(o.result) : batch[i]!.reject(o.error)));
  }

  /**
   * Under the family's lock: the batch's quotes that exist already are answered as they stand;
   * the others are placed in arrival order on one ranked read of free candidates per distinct
   * filter set (each placement skips what the batch took before it), held in one multi-row insert
   * and appended in one statement. A device another writer holds refuses the whole batch: Retry.
   */
  private async decideInTransaction(tx: EventingTransaction, family: string, batch: PendingQuote[], retried: boolean): Promise<BatchOutcome[]> {
    await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`matching:${family}`]);
    const handler = this.handlers.for(quoteAggregate);
    // Only a quote id derived from an idempotency key can exist already; a fresh one (UUIDv7) is
    // new, and the append's expected version proves it. After a conflict every stream is read.
    const maybeExisting = [...new Set(batch.filter((p) => retried || p.input.cause.deterministic).map((p) => p.input.quoteId))];
    const loaded = maybeExisting.length ? await handler.loadMany(maybeExisting, tx) : new Map<string, LoadedStream<QuoteState, QuoteEvent>>();
    const outcomes: Array<BatchOutcome | undefined> = new Array(batch.length);
    const firstOf = new Map<string, number>();
    const toPlace: number[] = [];
    batch.forEach((p, i) => {
      if (firstOf.has(p.input.quoteId)) return;
      firstOf.set(p.input.quoteId, i);
      const state = loaded.get(p.input.quoteId)?.state;
      if (state && state.status !== 'none') outcomes[i] = { kind: 'held', result: this.resultOf(state), created: false };
      else toPlace.push(i);
    });

    const windows = new Map<string, CandidateWindow>();
    for (const i of toPlace) {
      const placement = batch[i]!.placement;
      const key = filterKey(placement);
      const w = windows.get(key) ?? { placement, limit: 0, candidates: [], next: 0, complete: false };
      // One request's window, and about what each further request takes (the window grows when
      // that guess runs short): never every free device of the family per batch.
      w.limit = Math.min(CANDIDATES_MAX, Math.max(w.limit, candidateWindow(placement)) + Math.ceil(placement.gpuCount / 4));
      windows.set(key, w);
    }
    for (const w of windows.values()) await this.readWindow(tx, w, w.limit);

    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.QUOTE_HOLD_SECONDS * 1000);
    const taken = new Set<string>();
    const refused: number[] = [];
    const commands: Array<{ index: number; streamId: string; command: QuoteCommand; cause: CommandCause }> = [];
    for (const i of toPlace) {
      const { input, placement } = batch[i]!;
      const w = windows.get(filterKey(placement))!;
      const decision = await this.placeInWindow(tx, w, placement, taken);
      if (!decision.placed) {
        refused.push(i);
        continue;
      }
      const devices = decision.devices.map((d) => this.priced(d, input.request.paymentAsset));
      for (const d of devices) taken.add(d.deviceId);
      const command: QuoteCommand = {
        type: 'HoldQuote',
        quoteId: input.quoteId,
        requestId: input.requestId,
        customerId: input.customerId,
        request: input.request,
        devices,
        price: this.price(devices, input.request),
        expiresAt,
        at: now,
      };
      commands.push({ index: i, streamId: input.quoteId, command, cause: input.cause });
    }

    if (commands.length) {
      let results: Awaited<ReturnType<typeof handler.handleMany>>;
      try {
        results = await handler.handleMany(commands, { tx, loaded });
      } catch (err) {
        // Another writer appended to one of these streams first (the same idempotency key on
        // another instance): decide the batch again, which answers it as it stands.
        if (err instanceof EventStoreConcurrencyError || isRetryable(err)) throw new Retry(String(err));
        throw err;
      }
      const holds: { deviceIds: string[]; quoteIds: string[] } = { deviceIds: [], quoteIds: [] };
      results.forEach((r, k) => {
        const i = commands[k]!.index;
        if ('error' in r) {
          outcomes[i] = { kind: 'failed', error: r.error };
          return;
        }
        outcomes[i] = { kind: 'held', result: this.resultOf(r.state), created: !r.duplicate };
        if (r.duplicate) return;
        for (const d of r.state.devices) {
          holds.deviceIds.push(d.deviceId);
          holds.quoteIds.push(r.streamId);
        }
      });
      if (holds.deviceIds.length) {
        const inserted = await tx.query(
          `insert into reservations (device_id, quote_id, lease_id, held_at) select d, q, null, $3 from unnest($1::uuid[], $2::uuid[]) as h(d, q) on conflict (device_id) do nothing`,
          [holds.deviceIds, holds.quoteIds, now],
        );
        if ((inserted.rowCount ?? 0) !== holds.deviceIds.length) throw new Retry('a device of this batch is held by another writer');
      }
    }

    if (refused.length) {
      // One read of every cluster-ready device (this batch's holds included) explains each refusal.
      const all = await loadCandidates(tx);
      for (const i of refused) {
        const why = explain(all, batch[i]!.placement);
        outcomes[i] = { kind: 'refused', error: ProblemError.of('refused', 'MATCHING.UNMATCHABLE', describe(why), { explain: explainView(why) }) };
      }
    }
    // A repeated quote id in one batch gets its first request's answer.
    batch.forEach((p, i) => {
      outcomes[i] ??= outcomes[firstOf.get(p.input.quoteId)!]!;
      if (outcomes[i]!.kind === 'held' && firstOf.get(p.input.quoteId) !== i) outcomes[i] = { ...(outcomes[i] as HeldOutcome), created: false };
    });
    return outcomes as BatchOutcome[];
  }

  /** The window's first free candidates past what the batch took, as many as one request reads on
   *  its own (`candidateWindow`; the window is read further when it runs short); a request they
   *  cannot place looks at every free candidate (up to CANDIDATES_MAX) before the answer is no. */
  private async placeInWindow(tx: SqlExecutor, w: CandidateWindow, placement: PlacementRequest, taken: Set<string>): Promise<ReturnType<typeof place>> {
    const size = candidateWindow(placement);
    let free = freeSlice(w, size, taken);
    while (free.length < size && !w.complete) {
      await this.readWindow(tx, w, Math.min(CANDIDATES_MAX, w.limit * 2));
      free = freeSlice(w, size, taken);
    }
    const decision = place(free, placement, { ranked: true });
    if (decision.placed || free.length < size) return decision;
    if (!w.complete) await this.readWindow(tx, w, CANDIDATES_MAX);
    return place(freeSlice(w, Infinity, taken), placement, { ranked: true });
  }

  private async readWindow(tx: SqlExecutor, w: CandidateWindow, limit: number): Promise<void> {
    w.candidates = await loadCandidates(tx, w.placement, limit);
    w.limit = limit;
    w.next = 0;
    // Mega-Ray reads without a limit; a read shorter than its limit is every free candidate.
    w.complete = w.placement.clusterType === 'mega_ray' || w.candidates.length < limit || limit >= CANDIDATES_MAX;
  }

  /** Places on the best ranked window of free candidates; a full window that cannot place it is
   *  widened to every free candidate before the answer is no. */
  private async placeFrom(tx: SqlExecutor, placement: PlacementRequest, exclude?: Set<string>): Promise<ReturnType<typeof place>> {
    const window = candidateWindow(placement);
    const read = async (limit: number) => (await loadCandidates(tx, placement, limit)).filter((c) => !exclude?.has(c.deviceId));
    const first = await read(window);
    const decision = place(first, placement, { ranked: true });
    if (decision.placed || first.length < window) return decision;
    return place(await read(CANDIDATES_MAX), placement, { ranked: true });
  }

  private async unmatchable(db: SqlExecutor, placement: PlacementRequest, note?: string): Promise<ProblemError> {
    const why = explain(await loadCandidates(db), placement);
    return ProblemError.of('refused', 'MATCHING.UNMATCHABLE', note ?? describe(why), { explain: explainView(why) });
  }

  placementRequest(r: QuoteRequest): PlacementRequest {
    let cap: bigint | undefined;
    if (r.maxPricePerGpuHour !== undefined) {
      cap = capInUsdMicros(r.maxPricePerGpuHour, r.maxPriceAsset ?? r.paymentAsset, this.config.IO_PRICE_USD_MICROS);
    }
    return {
      clusterType: r.clusterType,
      gpuModel: r.gpuModel,
      gpuCount: r.gpuCount,
      countryCodes: r.countryCodes,
      connectivityMin: connectivityRank(r.connectivityTier as ConnectivityTier),
      securityMin: securityRank(r.securityTier as SecurityTier),
      sources: r.sources,
      ...(cap === undefined ? {} : { maxPriceUsdMicros: cap }),
    };
  }

  priced(d: Placed, asset: PaymentAsset): HeldDevice {
    return pricedDevice(d, asset, this.config.IO_PRICE_USD_MICROS);
  }

  price(devices: HeldDevice[], r: QuoteRequest): QuotePrice {
    return quotePrice(devices, r);
  }

  private resultOf(s: QuoteState): QuoteResult {
    const held = s as Required<QuoteState>;
    const devices = s.devices;
    return {
      quoteId: s.quoteId,
      requestId: s.requestId,
      customerId: s.customerId,
      expiresAt: s.expiresAt,
      devices,
      price: this.price(devices, held.request),
      asset: held.request.paymentAsset,
      request: held.request,
    };
  }

  /** Releases an unpaid quote that is due (the expiry job), in the job's transaction. */
  async expire(quoteId: string, tx: EventingTransaction): Promise<QuoteEvent[]> {
    const cause = { correlationId: quoteId, causationId: derivedId('quote-expiry', quoteId), deterministic: true };
    const res = await this.handlers.for(quoteAggregate).handle(quoteId, { type: 'ExpireQuote', at: this.clock.now() }, cause, { tx });
    await this.afterEvents(tx, quoteId, res.events);
    return res.events;
  }

  /** Applies what the quote's new events mean for the reservation rows. */
  async afterEvents(tx: SqlExecutor, quoteId: string, events: QuoteEvent[]): Promise<void> {
    for (const e of events) {
      if (e.type === 'ReservationReleased') await tx.query(`delete from reservations where quote_id = $1`, [quoteId]);
      if (e.type === 'QuoteAccepted') {
        await tx.query(`update reservations set lease_id = $2 where quote_id = $1`, [quoteId, e.leaseId]);
      }
      if (e.type === 'ReplacementMatched') await tx.query(`delete from reservations where device_id = $1 and quote_id = $2`, [e.failedDeviceId, quoteId]);
    }
  }

  /** The best replacement for a failed device of a live lease under the quote's original constraints. */
  async replace(tx: EventingTransaction, quoteId: string, leaseId: string, failedDeviceId: string, cause: CommandCause): Promise<QuoteEvent[]> {
    const handler = this.handlers.for(quoteAggregate);
    const loaded = await handler.load(quoteId, tx);
    const s = loaded.state;
    const failed = s.devices.find((d) => d.deviceId === failedDeviceId);
    if (s.status !== 'leased' || s.leaseId !== leaseId || !failed || !s.request) return [];
    const at = this.clock.now();
    await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`matching:${gpuFamily(s.request.gpuModel)}`]);
    const placement = { ...this.placementRequest(s.request), clusterType: 'container' as const, gpuCount: failed.gpuCount };
    const inQuote = new Set(s.devices.map((d) => d.deviceId));
    for (let attempt = 0; attempt < this.config.QUOTE_ATTEMPTS_MAX; attempt++) {
      const decision = await this.placeFrom(tx, placement, inQuote);
      let outcome: { replacement: HeldDevice } | { explain: Explain };
      if (decision.placed) {
        const chosen = decision.devices[0]!;
        const inserted = await tx.query(`insert into reservations (device_id, quote_id, lease_id, held_at) values ($1, $2, $3, $4) on conflict (device_id) do nothing returning device_id`, [
          chosen.deviceId,
          quoteId,
          leaseId,
          at,
        ]);
        if (!inserted.rowCount) continue;
        outcome = { replacement: { ...this.priced(chosen, s.request.paymentAsset), role: failed.role } };
      } else {
        outcome = { explain: explain((await loadCandidates(tx)).filter((c) => !inQuote.has(c.deviceId)), placement) };
      }
      const res = await handler.handle(quoteId, { type: 'RecordReplacement', leaseId, failedDeviceId, outcome, at }, cause, { tx });
      await this.afterEvents(tx, quoteId, res.events);
      return res.events;
    }
    return [];
  }
}

/** At most `limit` holders; the others wait in arrival order. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/** The first `size` candidates of the window the batch has not taken (Mega-Ray: all of them). */
function freeSlice(w: CandidateWindow, size: number, taken: Set<string>): Candidate[] {
  while (w.next < w.candidates.length && taken.has(w.candidates[w.next]!.deviceId)) w.next++;
  const all = w.placement.clusterType === 'mega_ray';
  const free: Candidate[] = [];
  for (let j = w.next; j < w.candidates.length && (all || free.length < size); j++) {
    if (!taken.has(w.candidates[j]!.deviceId)) free.push(w.candidates[j]!);
  }
  return free;
}

/** A duplicate event id (the same idempotent request appended by another instance first), a
 *  deadlock between two batches holding each other's devices, or a serialization failure: the
 *  transaction is decided again. */
function isRetryable(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown };
  return (e?.code === '23505' && e.constraint === 'events_event_id_key') || e?.code === '40P01' || e?.code === '40001';
}

/** The filters a candidate read depends on (not the count): requests alike share one read. */
function filterKey(p: PlacementRequest): string {
  return [p.clusterType, p.gpuModel, p.countryCodes.join(','), p.connectivityMin, p.securityMin, p.sources.join(','), p.maxPriceUsdMicros ?? ''].join('|');
}

/** The lock key of a model or class: the part before the first '-' or '*' ("A100*", "A100-80GB" -> "A100"). */
export function gpuFamily(gpuModel: string): string {
  return gpuModel.trim().toUpperCase().split(/[-*]/)[0] ?? '';
}

export function explainView(e: Explain): Record<string, unknown> {
  return {
    steps: e.steps,
    gpusRequested: e.gpusRequested,
    alternatives: e.alternatives.map((a) => ({ ...a, value: a.change === 'maxPricePerGpuHour' ? { amountBaseUnits: a.value, asset: 'USDC' } : a.value })),
  };
}

function describe(e: Explain): string {
  const last = e.steps[e.steps.length - 1]!;
  const narrowest = e.steps.reduce((worst, step, i) => (i > 0 && step.gpusLeft < e.steps[i - 1]!.gpusLeft && (!worst || e.steps[i - 1]!.gpusLeft - step.gpusLeft > worst.drop) ? { step, drop: e.steps[i - 1]!.gpusLeft - step.gpusLeft } : worst), undefined as { step: (typeof e.steps)[number]; drop: number } | undefined);
  return `${e.gpusRequested} GPUs requested, ${last.gpusLeft} available under every filter${narrowest ? `; ${narrowest.step.filter} removed the most (${narrowest.drop} GPUs)` : ''}`;
}

export { MatchingError };
