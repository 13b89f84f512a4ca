import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CONFIG, PG_POOL, ProblemError, type Clock } from '@ionet/platform';
import { CommandHandlers, PgTransactionRunner, derivedId, type CommandCause, type EventingTransaction, type SqlExecutor } from '@ionet/eventing';
import type { Pool } from 'pg';
import { connectivityRank, explain, place, securityRank, type ConnectivityTier, type Explain, type Placed, type PlacementRequest, type SecurityTier } from '../domain/placement';
import { MatchingError, type HeldDevice, type PaymentAsset, type QuoteEvent, type QuotePrice, type QuoteRequest, type QuoteState } from '../domain/quote.decider';
import type { MatchingConfig } from '../matching.config';
import { CANDIDATES_MAX, candidateWindow, loadCandidates } from './candidates';
import { quoteAggregate } from './matching-aggregates';
import { capInUsdMicros, pricedDevice, quotePrice } from './pricing';

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
  scheduleExpiry(quoteId: string, expiresAt: Date): Promise<void>;
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

  async quote(input: { quoteId: string; requestId: string; customerId: string; request: QuoteRequest; cause: CommandCause }): Promise<QuoteResult> {
    await this.admission.acquire();
    try {
      return await this.decide(input);
    } finally {
      this.admission.release();
    }
  }

  private async decide(input: { quoteId: string; requestId: string; customerId: string; request: QuoteRequest; cause: CommandCause }): Promise<QuoteResult> {
    const { request } = input;
    const placement = this.placementRequest(request);
    for (let attempt = 0; attempt < this.config.QUOTE_ATTEMPTS_MAX; attempt++) {
      try {
        const result = await this.transactions.transaction(async (tx) => {
          const existing = await this.handlers.for(quoteAggregate).load(input.quoteId, tx);
          if (existing.state.status !== 'none') return this.resultOf(existing.state);
          await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`matching:${gpuFamily(request.gpuModel)}`]);
          const decision = await this.placeFrom(tx, placement);
          if (!decision.placed) throw await this.unmatchable(tx, placement);
          const now = this.clock.now();
          const devices = decision.devices.map((d) => this.priced(d, request.paymentAsset));
          await this.hold(tx, input.quoteId, devices.map((d) => d.deviceId), now);
          const res = await this.handlers.for(quoteAggregate).handle(
            input.quoteId,
            {
              type: 'HoldQuote',
              quoteId: input.quoteId,
              requestId: input.requestId,
              customerId: input.customerId,
              request,
              devices,
              price: this.price(devices, request),
              expiresAt: new Date(now.getTime() + this.config.QUOTE_HOLD_SECONDS * 1000),
              at: now,
            },
            input.cause,
            { tx },
          );
          return this.resultOf(res.state);
        });
        // The quote is committed; the scheduler logs a failed add and its sweep releases the quote.
        await this.expiry.scheduleExpiry(result.quoteId, result.expiresAt);
        return result;
      } catch (err) {
        if (!(err instanceof Retry)) throw err;
      }
    }
    // Every attempt lost its devices to concurrent quotes: explain what is left now.
    throw await this.unmatchable(this.pool, placement, 'every placement attempt lost its devices to concurrent quotes');
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

  /** Inserts the holds; a device another quote holds refuses the whole placement (decide again). */
  private async hold(tx: SqlExecutor, quoteId: string, deviceIds: string[], at: Date, leaseId: string | null = null): Promise<void> {
    const inserted = await tx.query(
      `insert into reservations (device_id, quote_id, lease_id, held_at) select unnest($1::uuid[]), $2, $3, $4 on conflict (device_id) do nothing returning device_id`,
      [deviceIds, quoteId, leaseId, at],
    );
    if ((inserted.rowCount ?? 0) !== deviceIds.length) throw new Retry(`a device of quote ${quoteId} is held by another quote`);
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
