import { Asset, billingV1, EVENT_HEADERS, money, newEventId, topicName } from '@ionet/contracts';
import { AccountNames as A } from '@ionet/ledger';
import { ApiKeyService, PG_POOL } from '@ionet/platform';
import { deleteTestTopics, projectionSpec, specEvent, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { LEDGER_TABLES, ledgerProjection } from '../src/application/projections/ledger.projection';
import { ledgerService } from '../src/ledger.module';
import type { LedgerConfig } from '../src/ledger.config';
import { leaseScenario, publishedEvent, referenceLedger, type PublishedEvent } from './support/money-events';

type Json = Record<string, unknown>;

describe('ledger service on the real stack: projection, queries, duplicates, process managers, rebuild', () => {
  const ns = testNamespace('ledger-service');
  let svc: RunningTestService<LedgerConfig>;
  let producer: Producer;
  let pool: Pool;
  const scenario = leaseScenario(ns.topicPrefix);
  const published: PublishedEvent[] = [];

  const call = async (path: string, key = svc.opsKey, method = 'GET') => {
    const res = await fetch(`${svc.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(method === 'POST' ? { 'idempotency-key': newEventId() } : {}) } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const publish = async (events: PublishedEvent[]) => {
    for (const e of events) await producer.send({ topic: e.topic, messages: [e.kafka] });
  };
  const stateHash = async () => (await call('/v1/ledger/state-hash')).body.stateHash as string;
  /** Waits until the service's balances hash as the reference ledger of these events does. */
  const settled = async (events: PublishedEvent[]) => {
    const expected = referenceLedger(events).stateHash();
    await waitFor('the ledger to book every event', async () => ((await stateHash()) === expected ? true : undefined), 30_000);
    return expected;
  };
  const decisions = async () =>
    (await pool.query<{ event_type: string; n: number }>(`select event_type, count(*)::int as n from events group by event_type order by event_type`)).rows.map((r) => `${r.event_type.replace('ionet.ledger.v1.', '')} x${r.n}`);

  beforeAll(async () => {
    svc = await startTestService(ledgerService, { schema: ns.schema, serviceName: 'ledger', topicPrefix: ns.topicPrefix });
    pool = svc.app.get(PG_POOL);
    producer = testKafka('ledger-test-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  it('books every money and token event of a lease into balanced entries whose state hash equals @ionet/ledger', async () => {
    published.push(...scenario.events);
    await publish(scenario.events);
    await settled(published);

    const available = await call(`/v1/ledger/accounts/${A.customerAvailable(scenario.customerId)}`);
    expect(available).toMatchObject({ status: 200, body: { balances: [{ asset: 'USDC', balance: { amountBaseUnits: String(10_000_000 - 3_067_500 + 1_022_500 + 1_022_500), asset: 'USDC' } }] } });
    expect((await call(`/v1/ledger/accounts/${A.customerEscrow(scenario.customerId)}`)).body.balances).toEqual([
      { asset: 'USDC', debitsPostedBaseUnits: '3067500', creditsPostedBaseUnits: '3067500', balance: { amountBaseUnits: '0', asset: 'USDC' } },
    ]);
    expect((await call(`/v1/ledger/accounts/${A.platformFees}`)).body.balances).toEqual([
      { asset: 'USDC', debitsPostedBaseUnits: '11250', creditsPostedBaseUnits: '45000', balance: { amountBaseUnits: '33750', asset: 'USDC' } },
    ]);
    expect((await call(`/v1/ledger/accounts/${A.tokenBurned}`)).body.balances).toMatchObject([{ asset: 'IO', balance: { amountBaseUnits: '5000' } }]);

    const invariants = await call('/v1/ledger/invariants');
    expect(invariants.body).toMatchObject({ ok: true, allEntriesBalance: true, entryCount: 13, violations: [], negativeAccounts: [], ioSupply: { withinCap: true, burnedBaseUnits: '5000' } });
    expect(invariants.body.stateHash).toBe(referenceLedger(published).stateHash());
  });

  it('pages the entries of an account by time with a cursor, each entry id derived from its event', async () => {
    const escrow = A.customerEscrow(scenario.customerId);
    const first = await call(`/v1/ledger/entries?account=${escrow}&limit=2`);
    expect(first.status).toBe(200);
    const items = first.body.items as Json[];
    expect(items.map((i) => i.sourceEventType)).toEqual(['ionet.billing.v1.EscrowLocked', 'ionet.billing.v1.UsageCharged']);
    expect(items[1]!.legs).toEqual(
      expect.arrayContaining([
        { account: escrow, side: 'debit', amount: { amountBaseUnits: '1022500', asset: 'USDC' } },
        { account: A.supplierEarnings(scenario.supplierId), side: 'credit', amount: { amountBaseUnits: '977500', asset: 'USDC' } },
      ]),
    );
    const rest = await call(`/v1/ledger/entries?account=${escrow}&limit=2&cursor=${first.body.nextCursor as string}`);
    expect((rest.body.items as Json[]).map((i) => i.sourceEventType)).toEqual(['ionet.billing.v1.RefundIssued', 'ionet.billing.v1.EscrowReleased']);
    expect(rest.body.nextCursor).toBeUndefined();
    expect(await call('/v1/ledger/entries?cursor=not-a-cursor')).toMatchObject({ status: 400, body: { code: 'PAGINATION.INVALID_CURSOR' } });
    expect(await call('/v1/ledger/entries?account=no%20spaces')).toMatchObject({ status: 400, body: { code: 'LEDGER.INVALID_ACCOUNT' } });
  });

  it('decides once per cause: lease funded, buyback requested (the fees of the charged hour), the epoch mint, published on ionet.ledger.v1; no payout (billing decides it, ADR 0323)', async () => {
    expect(await decisions()).toEqual(['BuybackRequested x1', 'EmissionMintRequested x1', 'LeaseFunded x1']);
    // The outbox relay publishes them to the ledger's topic, where leasing and billing consume them.
    const consumer = testKafka('ledger-test-reader').consumer({ groupId: `${ns.topicPrefix}reader`, maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topicName('ledger', ns.topicPrefix)], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.headers?.[EVENT_HEADERS.eventType])) });
      await waitFor('the decisions on the ledger topic', async () => (seen.length >= 3 ? true : undefined), 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen.map((t) => t.replace('ionet.ledger.v1.', '')).sort()).toEqual(['BuybackRequested', 'EmissionMintRequested', 'LeaseFunded']);
  });

  it('changes nothing when every event is delivered again (state hash, entries and decisions equal)', async () => {
    const before = await stateHash();
    const deposit = publishedEvent(
      billingV1.DepositReceivedSchema,
      scenario.customerId,
      { depositId: newEventId(), customerId: scenario.customerId, amount: money(1n, Asset.USDC), method: billingV1.PaymentMethod.USDC, externalReference: 'sentinel', receivedAt: timestampFromDate(new Date()) },
      new Date(Date.UTC(2026, 11, 1, 11)),
      ns.topicPrefix,
    );
    // Every event again, newest first, then one new deposit: once it shows, the duplicates were consumed.
    await publish([...scenario.events].reverse());
    await publish([deposit]);
    published.push(deposit);
    const expected = await settled(published);
    expect(expected).not.toBe(before);
    expect((await pool.query(`select count(*)::int as n from ${LEDGER_TABLES.entries}`)).rows[0]).toEqual({ n: 14 });
    expect(await decisions()).toEqual(['BuybackRequested x1', 'EmissionMintRequested x1', 'LeaseFunded x1']);
  });

  it('dead-letters a charge whose parts do not add up, with its code, and keeps booking the rest', async () => {
    const bad = publishedEvent(
      billingV1.UsageChargedSchema,
      scenario.leaseId,
      {
        chargeId: newEventId(), leaseId: scenario.leaseId, customerId: scenario.customerId, supplierId: scenario.supplierId, deviceId: newEventId(), hourIndex: 2,
        gross: money(100n, Asset.USDC), supplierEarnings: money(90n, Asset.USDC), platformFee: money(20n, Asset.USDC), sourceEventId: newEventId(), chargedAt: timestampFromDate(new Date()),
      },
      new Date(Date.UTC(2026, 11, 1, 12)),
      ns.topicPrefix,
    );
    await publish([bad]);
    const letter = await waitFor('the dead letter', async () => {
      const page = await call('/v1/ops/dead-letters');
      return (page.body.items as Json[]).find((d) => d.eventId === bad.metadata.eventId);
    });
    expect(letter).toMatchObject({ errorCode: 'LEDGER.POSTING_UNBALANCED', eventType: 'ionet.billing.v1.UsageCharged' });
    expect(await stateHash()).toBe(referenceLedger(published).stateHash());
  });

  it('shows a customer its own accounts only, and keeps entries, state hash and invariants to ops', async () => {
    const keys = svc.app.get(ApiKeyService);
    const own = (await keys.issue(scenario.customerId, ['customer'])).key;
    const other = (await keys.issue(newEventId(), ['customer'])).key;
    expect((await call(`/v1/ledger/accounts/${A.customerAvailable(scenario.customerId)}`, own)).status).toBe(200);
    expect(await call(`/v1/ledger/accounts/${A.customerAvailable(scenario.customerId)}`, other)).toMatchObject({ status: 404, body: { code: 'LEDGER.ACCOUNT_NOT_FOUND' } });
    expect((await call(`/v1/ledger/accounts/${A.platformFees}`, own)).status).toBe(404);
    expect((await call('/v1/ledger/entries', own)).status).toBe(403);
    expect((await call('/v1/ledger/state-hash', own)).status).toBe(403);
    expect((await call('/v1/ledger/invariants', own)).status).toBe(403);
    expect(await call('/v1/ledger/accounts/not%20an%20account')).toMatchObject({ status: 400, body: { code: 'LEDGER.INVALID_ACCOUNT' } });
    expect(await call(`/v1/ledger/accounts/${A.customerAvailable(newEventId())}`)).toMatchObject({ status: 404, body: { code: 'LEDGER.ACCOUNT_NOT_FOUND' } });
  });

  it('rebuilds blue/green from offset 0 to the live state hash, deciding nothing again', async () => {
    const live = await call('/v1/ledger/state-hash');
    const started = await call('/v1/ops/projections/ledger/rebuild', svc.opsKey, 'POST');
    expect(started.status).toBe(202);
    const done = await waitFor(
      'the rebuild to finish',
      async () => {
        const res = await call('/v1/ops/projections/ledger');
        return (res.body.rebuild as Json).state === 'running' ? undefined : res.body;
      },
      40_000,
    );
    expect(done).toMatchObject({ generation: 2, rebuild: { state: 'succeeded', result: { hashVerified: true } } });
    expect(await call('/v1/ledger/state-hash')).toMatchObject({ body: { stateHash: live.body.stateHash, generation: 2 } });
    expect(await decisions()).toEqual(['BuybackRequested x1', 'EmissionMintRequested x1', 'LeaseFunded x1']);
    expect((await call('/v1/ledger/invariants')).body).toMatchObject({ ok: true, entryCount: 14 });
  });
});

describe('ledger projection: delivered twice and out of batch order, the same rows', () => {
  it('leaves the same entries, account index and balances (kit projectionSpec on real PostgreSQL)', async () => {
    const { events } = leaseScenario('');
    const run = await projectionSpec(
      ledgerProjection({}),
      events.map((e) => specEvent(e.schema, e.metadata.aggregateId, e.message as never)),
    );
    try {
      const balances = await run.rows(LEDGER_TABLES.balances);
      expect(balances.length).toBeGreaterThan(10);
      expect((await run.rows(LEDGER_TABLES.entries)).length).toBe(13);
    } finally {
      await run.close();
    }
  });
});
