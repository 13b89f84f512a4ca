import { matchingV1, leasingV1, inventoryV1, verificationV1, billingV1, Asset } from '@ionet/contracts';
import { causedByRequest } from '@ionet/eventing';
import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Consumer, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { matchingService } from '../src/matching.module';
import { EXPIRY_SCHEDULER, QuotesService } from '../src/application/quotes.service';
import type { QuoteExpiryQueue } from '../src/infrastructure/queues/quote-expiry-queue';
import type { QuoteRequest } from '../src/domain/quote.decider';
import type { MatchingConfig } from '../src/matching.config';
import { FactPublisher, collectFacts, fromBinary, ts, usdc, type Json } from './support';

/** An hour a wall minute: a 5-minute quote hold is five wall seconds. */
const CLOCK_RATE = 60;

describe('matching on real Postgres, Kafka and Redis: projection, quotes, explain, expiry, leases, replacement', () => {
  const ns = testNamespace('matching');
  let svc: RunningTestService<MatchingConfig>;
  let producer: Producer;
  let facts: FactPublisher;
  let reader: { facts: Array<{ type: string; payload: Uint8Array }>; consumer: Consumer };
  let pool: Pool;
  let customer = '';
  const device = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

  beforeAll(async () => {
    svc = await startTestService(matchingService, {
      schema: ns.schema,
      serviceName: 'matching',
      topicPrefix: ns.topicPrefix,
      env: { CLOCK_RATE: String(CLOCK_RATE), CLOCK_ORIGIN: new Date().toISOString(), QUOTE_HOLD_SECONDS: '300', QUEUE_PREFIX: ns.queuePrefix },
    });
    customer = (await svc.app.get(ApiKeyService).issue('customer-org', ['customer'])).key;
    producer = testKafka('matching-facts').producer({ idempotent: true });
    await producer.connect();
    facts = new FactPublisher(producer, ns);
    reader = await collectFacts(ns, 'matching');
    pool = new Pool({ connectionString: svc.config.DATABASE_URL, options: `-c search_path=${ns.schema}`, max: 2 });
  });

  afterAll(async () => {
    await reader?.consumer.disconnect();
    await producer?.disconnect();
    await pool?.end();
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${customer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const quoteBody = (o: Json = {}) => ({ clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: 16, countryCodes: ['DE'], durationHours: 2, paymentAsset: 'USDC', ...o });
  const leaseCreated = (lease: string, quote: string) => ({
    leaseId: lease,
    requestId: lease,
    quoteId: quote,
    customerId: 'customer-org',
    durationHours: 2,
    computePrice: usdc(1n),
    reservationFee: usdc(0n),
    paymentFee: usdc(0n),
    totalPrice: usdc(1n),
    paymentAsset: Asset.USDC,
    createdAt: ts(new Date()),
  });
  const releaseOf = (id: string) =>
    waitFor(
      `ReservationReleased of ${id}`,
      () =>
        reader.facts
          .filter((f) => f.type === matchingV1.ReservationReleasedSchema.typeName)
          .map((f) => fromBinary(matchingV1.ReservationReleasedSchema, f.payload))
          .find((r) => r.quoteId === id),
      20_000,
    );
  const held = async () => (await pool.query<{ device_id: string; lease_id: string | null }>(`select device_id, lease_id from reservations order by device_id`)).rows;

  it('projects devices from inventory and verification facts; only cluster-ready devices are offered, sorted and filtered', async () => {
    await facts.readyDevice({ deviceId: device(1), priceUsdMicros: 2_000_000n, connectivity: 4 });
    await facts.readyDevice({ deviceId: device(2), priceUsdMicros: 2_100_000n });
    await facts.readyDevice({ deviceId: device(3), priceUsdMicros: 1_500_000n, country: 'US', region: 'us-east' });
    await facts.readyDevice({ deviceId: device(4), priceUsdMicros: 900_000n, model: 'RTX-4090', gpus: 1, country: 'NL', region: 'eu-west', source: 4 });
    // A pending device is never offered.
    await facts.publish('inventory', inventoryV1.DeviceRegisteredSchema, device(5), {
      deviceId: device(5),
      supplierId: device(900),
      deviceClass: 1,
      gpu: { model: 'H100-80GB', vramMib: 81_920, count: 8 },
      countryCode: 'DE',
      region: 'eu-central',
      connectivityTier: 3,
      securityTier: 2,
      source: 1,
      askPricePerGpuHour: { amountBaseUnits: '1', asset: Asset.USDC },
      registeredAt: ts(new Date()),
      tenantId: 'supplier-org',
    });
    await facts.publish('verification', verificationV1.ReputationChangedSchema, device(2), { deviceId: device(2), supplierId: device(900), scoreBasisPoints: 9_500, changedAt: ts(new Date()) });
    const offers = await waitFor('four offers', async () => {
      const res = await call('GET', '/v1/offers?limit=10');
      const items = res.body.items as Json[];
      return items.length === 4 && items.some((o) => o.reliabilityBps === 9_500) ? items : undefined;
    });
    expect(offers.map((o) => o.deviceId)).toEqual([device(4), device(3), device(1), device(2)]);
    const byReliability = await call('GET', '/v1/offers?sort=reliability&limit=1');
    expect((byReliability.body.items as Json[])[0]!.deviceId).toBe(device(2));
    const page2 = await call('GET', `/v1/offers?sort=reliability&limit=1&cursor=${byReliability.body.nextCursor as string}`);
    expect((page2.body.items as Json[])[0]!.deviceId).not.toBe(device(2));
    const filtered = await call('GET', '/v1/offers?gpuModel=H100*&countryCode=DE,NL&connectivityTier=ultra_high&maxPricePerGpuHour=2000000');
    expect((filtered.body.items as Json[]).map((o) => o.deviceId)).toEqual([device(1)]);
    const hardware = await call('GET', '/v1/hardware');
    expect(hardware.body.items).toEqual([
      { gpuModel: 'H100-80GB', availableDevices: 3, availableGpus: 24, countries: ['DE', 'US'], lowestPricePerGpuHour: { amountBaseUnits: '1500000', asset: 'USDC' }, medianPricePerGpuHour: { amountBaseUnits: '2000000', asset: 'USDC' } },
      { gpuModel: 'RTX-4090', availableDevices: 1, availableGpus: 1, countries: ['NL'], lowestPricePerGpuHour: { amountBaseUnits: '900000', asset: 'USDC' }, medianPricePerGpuHour: { amountBaseUnits: '900000', asset: 'USDC' } },
    ]);
  });

  let quoteId = '';
  it('quotes a ray cluster in one location, holds its devices, prices it with the fees, and publishes ClusterMatched', async () => {
    const res = await call('POST', '/v1/quotes', quoteBody());
    expect(res).toMatchObject({ status: 201 });
    quoteId = res.body.quoteId as string;
    const devices = res.body.devices as Json[];
    expect(devices.map((d) => [d.deviceId, d.role])).toEqual([
      [device(1), 'head'],
      [device(2), 'worker'],
    ]);
    // 8 x 2.00 + 8 x 2.10 USDC an hour, 2 hours; 0.25% reservation fee, 2% USDC payment fee.
    expect(res.body.price).toEqual({
      compute: { amountBaseUnits: '65600000', asset: 'USDC' },
      reservationFee: { amountBaseUnits: '164000', asset: 'USDC' },
      paymentFee: { amountBaseUnits: '1312000', asset: 'USDC' },
      total: { amountBaseUnits: '67076000', asset: 'USDC' },
    });
    expect((await held()).map((h) => h.device_id)).toEqual([device(1), device(2)]);
    const fact = await waitFor('ClusterMatched on Kafka', () => reader.facts.find((f) => f.type === matchingV1.ClusterMatchedSchema.typeName));
    const matched = fromBinary(matchingV1.ClusterMatchedSchema, fact.payload);
    expect(matched.quoteId).toBe(quoteId);
    expect(matched.customerId).toBe('customer-org');
    expect(matched.reservations.map((r) => [r.deviceId, r.gpuCount, r.pricePerGpuHour?.amountBaseUnits, r.role])).toEqual([
      [device(1), 8, '2000000', matchingV1.ReservationRole.HEAD],
      [device(2), 8, '2100000', matchingV1.ReservationRole.WORKER],
    ]);
    expect(matched.totalPrice?.amountBaseUnits).toBe('67076000');
    expect(matched.request?.gpuCount).toBe(16);
    // Held devices leave the offers.
    expect(((await call('GET', '/v1/offers')).body.items as Json[]).map((o) => o.deviceId)).toEqual([device(4), device(3)]);
  });

  it('answers 422 MATCHING.UNMATCHABLE with each filter count and the nearest alternatives', async () => {
    const res = await call('POST', '/v1/quotes', quoteBody({ gpuCount: 8 }));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('MATCHING.UNMATCHABLE');
    const explain = res.body.explain as { steps: Json[]; alternatives: Json[] };
    expect(explain.steps.map((s) => [s.filter, s.devicesLeft])).toEqual([
      ['cluster_ready', 4],
      ['gpuModel', 3],
      ['not_reserved', 1],
      ['countryCodes', 0],
      ['connectivityTier', 0],
      ['securityTier', 0],
      ['sources', 0],
      ['maxPricePerGpuHour', 0],
    ]);
    expect(explain.alternatives).toContainEqual({ change: 'countryCodes', value: ['US'], gpusAvailable: 8 });
    const capped = await call('POST', '/v1/quotes', quoteBody({ gpuCount: 8, countryCodes: [], maxPricePerGpuHour: { amountBaseUnits: '1000000', asset: 'USDC' } }));
    expect((capped.body.explain as { alternatives: Json[] }).alternatives).toContainEqual({ change: 'maxPricePerGpuHour', value: { amountBaseUnits: '1500000', asset: 'USDC' }, gpusAvailable: 8 });
  });

  it('releases an unpaid quote at its expiry by the scheduled job (ReservationReleased QUOTE_EXPIRED_UNPAID)', async () => {
    const res = await call('POST', '/v1/quotes', quoteBody({ gpuCount: 8, countryCodes: ['US'] }));
    expect(res).toMatchObject({ status: 201 });
    const id = res.body.quoteId as string;
    expect((await held()).some((h) => h.device_id === device(3))).toBe(true);
    const fact = await releaseOf(id);
    expect(fact.reason).toBe(matchingV1.ReservationReleaseReason.QUOTE_EXPIRED_UNPAID);
    expect(fact.deviceIds).toEqual([device(3)]);
    expect((await held()).some((h) => h.device_id === device(3))).toBe(false);
  });

  const leaseId = randomUUID();
  it('keeps a quote turned into a lease held past its expiry, replaces a failed device, and releases when the lease ends', async () => {
    await facts.readyDevice({ deviceId: device(6), priceUsdMicros: 2_500_000n });
    // The first quote has expired by now (the expiry test waited past it): its devices are free.
    await waitFor('devices 1, 2 and 6 offered', async () => ((await call('GET', '/v1/offers?gpuModel=H100-80GB&countryCode=DE')).body.items as Json[]).length === 3 || undefined, 20_000);
    const quote = await call('POST', '/v1/quotes', quoteBody());
    expect(quote).toMatchObject({ status: 201 });
    quoteId = quote.body.quoteId as string;
    await facts.publish('leasing', leasingV1.LeaseCreatedSchema, leaseId, leaseCreated(leaseId, quoteId));
    await waitFor('lease attached to the holds', async () => ((await held()).filter((h) => h.lease_id === leaseId).length === 2 ? true : undefined));
    // The quote's expiry (5 wall seconds) passes: the lease keeps its devices.
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await held()).filter((h) => h.lease_id === leaseId).map((h) => h.device_id)).toEqual([device(1), device(2)]);

    await facts.publish('inventory', inventoryV1.DeviceWentOfflineSchema, device(2), { deviceId: device(2), supplierId: device(900), lastSeenAt: ts(new Date()), detectedAt: ts(new Date()), status: inventoryV1.DeviceStatus.OFFLINE });
    const replaced = await waitFor('ReplacementMatched', () =>
      reader.facts.filter((f) => f.type === matchingV1.ReplacementMatchedSchema.typeName).map((f) => fromBinary(matchingV1.ReplacementMatchedSchema, f.payload))[0],
    );
    expect([replaced.leaseId, replaced.failedDeviceId, replaced.replacement?.deviceId, replaced.replacement?.role]).toEqual([leaseId, device(2), device(6), matchingV1.ReservationRole.WORKER]);
    expect((await held()).map((h) => h.device_id)).toEqual([device(1), device(6)]);

    // Another failure finds nothing under the original constraints: the explain says why.
    await facts.publish('verification', verificationV1.TimeLockViolatedSchema, leaseId, { leaseId, deviceId: device(6), hourStart: ts(new Date()), hourEnd: ts(new Date()), violation: verificationV1.TimeLockViolation.GAP_EXCEEDED, detectedAt: ts(new Date()) });
    const failed = await waitFor('ReplacementMatchFailed', () =>
      reader.facts.filter((f) => f.type === matchingV1.ReplacementMatchFailedSchema.typeName).map((f) => fromBinary(matchingV1.ReplacementMatchFailedSchema, f.payload))[0],
    );
    expect(failed.failedDeviceId).toBe(device(6));
    expect(failed.explain?.steps.find((s) => s.filter === 'countryCodes')?.devicesLeft).toBe(0);

    await facts.publish('leasing', leasingV1.LeaseTerminatedSchema, leaseId, { leaseId, customerId: 'customer-org', reason: leasingV1.LeaseTerminationReason.COMPLETED, terminatedAt: ts(new Date()) });
    const released = await releaseOf(quoteId);
    expect([released.reason, released.leaseId, [...released.deviceIds].sort()]).toEqual([matchingV1.ReservationReleaseReason.LEASE_ENDED, leaseId, [device(1), device(6)]]);
    expect(await held()).toEqual([]);
  });

  it('releases a leased quote whose funding failed (billing EscrowLockFailed)', async () => {
    const res = await call('POST', '/v1/quotes', quoteBody({ gpuCount: 8, countryCodes: ['US'] }));
    expect(res).toMatchObject({ status: 201 });
    const id = res.body.quoteId as string;
    const lease = randomUUID();
    await facts.publish('leasing', leasingV1.LeaseCreatedSchema, lease, leaseCreated(lease, id));
    await waitFor('lease attached', async () => ((await held()).some((h) => h.lease_id === lease) ? true : undefined));
    await facts.publish('billing', billingV1.EscrowLockFailedSchema, lease, { leaseId: lease, customerId: 'customer-org', required: usdc(10n), available: usdc(1n), failedAt: ts(new Date()) });
    const released = await releaseOf(id);
    expect(released.reason).toBe(matchingV1.ReservationReleaseReason.FUNDING_FAILED);
  });

  it('releases a quote whose own expiry job was lost, by the scheduled sweep', async () => {
    const res = await call('POST', '/v1/quotes', quoteBody({ gpuCount: 8, countryCodes: ['US'] }));
    expect(res).toMatchObject({ status: 201 });
    const id = res.body.quoteId as string;
    expect(await svc.app.get<QuoteExpiryQueue>(EXPIRY_SCHEDULER).removeExpiryOf(id)).toBe(true);
    const released = await releaseOf(id);
    expect(released.reason).toBe(matchingV1.ReservationReleaseReason.QUOTE_EXPIRED_UNPAID);
  });
  it('decides one quote per Idempotency-Key however its retries arrive: at the edge (409 while in progress, then the same answer) and in a batch (one ClusterMatched)', async () => {
    await facts.readyDevice({ deviceId: device(31), priceUsdMicros: 1_000_000n, country: 'SE', region: 'se-north' });
    await facts.readyDevice({ deviceId: device(32), priceUsdMicros: 1_100_000n, country: 'SE', region: 'se-north' });
    await waitFor('the SE devices offered', async () => {
      const items = (await call('GET', '/v1/offers?countryCode=SE')).body.items as Json[] | undefined;
      return items?.length === 2 ? true : undefined;
    });
    const body = quoteBody({ clusterType: 'container', gpuCount: 8, countryCodes: ['SE'] });
    const key = randomUUID();
    const post = async () => {
      const res = await fetch(`${svc.baseUrl}/v1/quotes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const answers = [...(await Promise.all(Array.from({ length: 6 }, post))), await post()];
    const accepted = answers.filter((a) => a.status === 201);
    expect(answers.filter((a) => a.status !== 201).map((a) => [a.status, a.body.code])).toEqual(Array(7 - accepted.length).fill([409, 'IDEMPOTENCY.REQUEST_IN_PROGRESS']));
    expect(answers[6]!.status).toBe(201);
    expect(new Set(accepted.map((a) => a.body.quoteId)).size).toBe(1);
    const viaEdge = accepted[0]!.body.quoteId as string;

    // Past the edge: the same quote id and cause six times at once (one batch or several), then
    // once more after they were answered: one decision, answered seven times.
    const quotes = svc.app.get(QuotesService);
    const request: QuoteRequest = { clusterType: 'container', gpuModel: 'H100-80GB', gpuCount: 8, countryCodes: ['SE'], connectivityTier: 'low', securityTier: 'standard', sources: [], durationHours: 2, paymentAsset: 'USDC' };
    const input = { quoteId: randomUUID(), requestId: randomUUID(), customerId: 'customer-org', request, cause: causedByRequest(randomUUID(), { tenantId: 'customer-org', key: randomUUID() }) };
    const results = [...(await Promise.all(Array.from({ length: 6 }, () => quotes.quote(input)))), await quotes.quote(input)];
    expect(new Set(results.map((r) => r.quoteId))).toEqual(new Set([input.quoteId]));
    for (const r of results) expect(r.devices).toEqual(results[0]!.devices);
    expect(results[0]!.devices).toHaveLength(1);
    expect([device(31), device(32)]).toContain(results[0]!.devices[0]!.deviceId);
    for (const id of [viaEdge, input.quoteId]) {
      const events = await pool.query<{ event_type: string }>(`select event_type from events where stream_id = $1 and event_type = $2`, [id, matchingV1.ClusterMatchedSchema.typeName]);
      expect(events.rowCount).toBe(1);
    }
  });
});
