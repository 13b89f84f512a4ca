import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { billingV1, leasingV1 } from '@ionet/contracts';
import { PgTransactionRunner } from '@ionet/eventing';
import { PG_POOL } from '@ionet/platform';
import type { Pool } from 'pg';
import { EscrowService } from '../src/application/escrow.service';
import { AccountNames, Ledger, type Asset as LedgerAsset, type Leg } from '@ionet/ledger';
import { waitFor } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { hourFees, leaseTotal, MoneyTestKit, parameters, PRICE, slotsOf, usdc } from './support/money-test-kit';

jest.setTimeout(120_000);

/**
 * Billing on the real stack: its own schema, a topic namespace on the real Kafka, Redis for the
 * funding-expiry job. Leasing's events are published to the leasing topic as leasing will publish
 * them; billing's own events are read back from the billing topic and booked into @ionet/ledger, so
 * the money is checked as the ledger service will see it.
 */
describe('billing money on the real stack', () => {
  let kit: MoneyTestKit;

  beforeAll(async () => {
    kit = await MoneyTestKit.launch('billing-money');
  });

  afterAll(async () => kit?.stop());

  const call = (...args: Parameters<MoneyTestKit['call']>) => kit.call(...args);
  const customer = (name: string) => kit.organization(name);
  const deposit = (...args: Parameters<MoneyTestKit['deposit']>) => kit.deposit(...args);
  const balanceOf = (key: string) => kit.balanceOf(key);
  const publishedOf = (type: string, leaseId: string) => kit.publishedOf(type, leaseId);
  const waitPublished = (type: string, leaseId: string, count = 1) => kit.waitPublished(type, leaseId, count);
  const slots = slotsOf;
  const hourGross = hourFees;
  const leaseCreated = (...args: Parameters<MoneyTestKit['leaseCreated']>) => kit.leaseCreated(...args);
  const hourCompleted = (...args: Parameters<MoneyTestKit['hourCompleted']>) => kit.hourCompleted(...args);

  it('a deposit credits the available balance once, even retried with its Idempotency-Key; bad input is problem+json', async () => {
    const acme = await customer('Acme deposits');
    const key = randomUUID();
    const first = await deposit(acme.organizationId, 25_000_000n, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ organizationId: acme.organizationId, asset: 'USDC', amountBaseUnits: '25000000' });
    const retry = await deposit(acme.organizationId, 25_000_000n, key);
    expect(retry.body.depositId).toBe(first.body.depositId);
    expect(await balanceOf(acme.key)).toEqual({ available: 25_000_000n, escrow: 0n });

    expect((await call('POST', '/v1/deposits', { body: { organizationId: acme.organizationId, asset: 'USDC', amountBaseUnits: '1.5' } })).status).toBe(400);
    expect((await call('POST', '/v1/deposits', { body: { organizationId: acme.organizationId, asset: 'DOGE', amountBaseUnits: '1' } })).status).toBe(400);
    const unknownOrg = await call('POST', '/v1/deposits', { body: { organizationId: randomUUID(), asset: 'USDC', amountBaseUnits: '1' } });
    expect(unknownOrg).toMatchObject({ status: 404, body: { code: 'ORGANIZATION.NOT_FOUND' } });
    // A customer may not credit itself, nor read another organization's balances.
    expect((await call('POST', '/v1/deposits', { key: acme.key, body: { organizationId: acme.organizationId, asset: 'USDC', amountBaseUnits: '1' } })).status).toBe(403);
    expect((await call('GET', `/v1/balances?organizationId=${randomUUID()}`, { key: acme.key })).body.code).toBe('ORGANIZATION.NOT_FOUND');
    const transactions = await call('GET', '/v1/transactions?type=deposit', { key: acme.key });
    expect(transactions.body.items).toHaveLength(1);
    expect(transactions.body.items![0]).toMatchObject({ type: 'deposit', amountBaseUnits: '25000000', availableDeltaBaseUnits: '25000000' });
  });

  it('LeaseCreated locks the total in escrow; proven hours are charged and balanced, unproven ones refunded; termination refunds unused hours', async () => {
    const acme = await customer('Acme lease');
    await deposit(acme.organizationId, 100_000_000n);
    const leaseId = randomUUID();
    const supplierId = randomUUID();
    const leaseSlots = slots(supplierId);
    await leaseCreated(leaseId, acme.organizationId, leaseSlots, 4);
    const [locked] = await waitPublished('EscrowLocked', leaseId);
    expect((locked!.event as { amount: { amountBaseUnits: bigint } }).amount.amountBaseUnits).toBe(leaseTotal(4));
    expect(await balanceOf(acme.key)).toEqual({ available: 100_000_000n - leaseTotal(4), escrow: leaseTotal(4) });

    await hourCompleted(leaseId, acme.organizationId, leaseSlots[0]!, 0, leasingV1.LeaseHourOutcome.PROVEN);
    const [charged] = await waitPublished('UsageCharged', leaseId);
    const charge = charged!.event as { gross: { amountBaseUnits: bigint }; supplierEarnings: { amountBaseUnits: bigint }; platformFee: { amountBaseUnits: bigint }; supplierId: string };
    const fees2 = hourGross(2);
    expect(charge.gross.amountBaseUnits).toBe(fees2.customerPaysBaseUnits);
    expect(charge.supplierEarnings.amountBaseUnits).toBe(fees2.supplierReceivesBaseUnits);
    expect(charge.platformFee.amountBaseUnits).toBe(fees2.platformFeesBaseUnits);
    expect(charge.gross.amountBaseUnits).toBe(charge.supplierEarnings.amountBaseUnits + charge.platformFee.amountBaseUnits);
    expect(charge.supplierId).toBe(supplierId);

    await hourCompleted(leaseId, acme.organizationId, leaseSlots[1]!, 0, leasingV1.LeaseHourOutcome.UNPROVEN);
    const [refunded] = await waitPublished('RefundIssued', leaseId);
    expect((refunded!.event as { amount: { amountBaseUnits: bigint }; reason: string }).amount.amountBaseUnits).toBe(hourGross(1).customerPaysBaseUnits);
    expect(refunded!.event).toMatchObject({ deviceId: leaseSlots[1]!.deviceId, hourIndex: 0, gpuCount: leaseSlots[1]!.gpuCount, hourStart: expect.any(Date) });
    expect(await balanceOf(acme.key)).toEqual({
      available: 100_000_000n - leaseTotal(4) + hourGross(1).customerPaysBaseUnits,
      escrow: leaseTotal(4) - fees2.customerPaysBaseUnits - hourGross(1).customerPaysBaseUnits,
    });

    // Cancelled after its first hour: hours 2 to 4 come back, their fees do not, the rest is released.
    await kit.terminated(leaseId, acme.organizationId, leasingV1.LeaseTerminationReason.CUSTOMER_CANCELLED, 1, 3);
    await waitPublished('EscrowTerminationRecorded', leaseId);
    const termination = publishedOf('RefundIssued', leaseId).find((p) => (p.event as { reason: string }).reason === 'early_termination');
    expect((termination!.event as { amount: { amountBaseUnits: bigint } }).amount.amountBaseUnits).toBe(PRICE * 3n * 3n);
    const after = await balanceOf(acme.key);
    const kept = (publishedOf('FeeRetained', leaseId)[0]!.event as { amount: { amountBaseUnits: bigint } }).amount.amountBaseUnits;
    const released = publishedOf('EscrowReleased', leaseId).reduce((s, p) => s + (p.event as { amount: { amountBaseUnits: bigint } }).amount.amountBaseUnits, 0n);
    expect(after.escrow).toBe(0n);
    // The customer paid exactly the charged hour and the fees kept; everything else came back.
    expect(100_000_000n - after.available).toBe(fees2.customerPaysBaseUnits + kept);
    expect(released).toBe(leaseTotal(4) - fees2.customerPaysBaseUnits - hourGross(1).customerPaysBaseUnits - PRICE * 9n - kept);

    const hours = await call('GET', `/v1/clusters/${leaseId}/cost-report`, { key: acme.key });
    expect(hours.status).toBe(200);
    expect(hours.body).toMatchObject({ clusterId: leaseId, asset: 'USDC', totalCostBaseUnits: fees2.customerPaysBaseUnits.toString(), priceTable: { asOf: '2025-06-01' } });
    expect(hours.body.hours).toEqual([expect.objectContaining({ hourIndex: 0, gpuHours: 2, refundedGpuHours: 1, costBaseUnits: fees2.customerPaysBaseUnits.toString() })]);
    expect((await call('GET', `/v1/clusters/${leaseId}/cost-report`, { key: (await customer('Other')).key })).status).toBe(404);
  });

  it('a short balance defers the lease; a deposit inside the hold funds it', async () => {
    const acme = await customer('Acme short');
    await deposit(acme.organizationId, 1_000_000n);
    const leaseId = randomUUID();
    await leaseCreated(leaseId, acme.organizationId, slots(randomUUID()), 2);
    const [deferred] = await waitPublished('EscrowFundingDeferred', leaseId);
    expect((deferred!.event as { required: { amountBaseUnits: bigint } }).required.amountBaseUnits).toBe(leaseTotal(2));
    expect(await balanceOf(acme.key)).toEqual({ available: 1_000_000n, escrow: 0n });

    const topUp = await deposit(acme.organizationId, leaseTotal(2));
    expect(topUp.status).toBe(201);
    // Funded in the deposit's own transaction: the balance already shows it.
    expect(await balanceOf(acme.key)).toEqual({ available: 1_000_000n, escrow: leaseTotal(2) });
    await waitPublished('EscrowLocked', leaseId);
  });

  it('when the hold passes without a deposit, the funding fails (on a delayed job) and a later deposit funds nothing', async () => {
    const acme = await customer('Acme late');
    const leaseId = randomUUID();
    // The quote was made 20 minutes less two seconds ago: its hold ends two seconds from now.
    await leaseCreated(leaseId, acme.organizationId, slots(randomUUID()), 1, new Date(Date.now() - parameters.quoteHoldMs + 2_000));
    await waitPublished('EscrowFundingDeferred', leaseId);
    const [failed] = await waitPublished('EscrowLockFailed', leaseId);
    expect((failed!.event as { reason: string }).reason).toBe('funding_window_expired');
    await deposit(acme.organizationId, leaseTotal(1) * 2n);
    expect(await balanceOf(acme.key)).toEqual({ available: leaseTotal(1) * 2n, escrow: 0n });
    expect(publishedOf('EscrowLocked', leaseId)).toHaveLength(0);
  });

  it('the handlers themselves apply an event once: the same event again, or the same hour under a new event id, changes nothing', async () => {
    const acme = await customer('Acme handlers');
    await deposit(acme.organizationId, 20_000_000n);
    const leaseId = randomUUID();
    const leaseSlots = slots(randomUUID());
    await leaseCreated(leaseId, acme.organizationId, leaseSlots, 1);
    await waitPublished('EscrowLocked', leaseId);
    const escrow = kit.billing.app.get(EscrowService);
    const transactions = new PgTransactionRunner(kit.billing.app.get<Pool>(PG_POOL));
    const hour = {
      leaseId,
      customerId: acme.organizationId,
      deviceId: leaseSlots[0]!.deviceId,
      supplierId: leaseSlots[0]!.supplierId,
      hourIndex: 0,
      gpuCount: 2,
      pricePerGpuHour: { amountBaseUnits: PRICE, asset: 'USDC' },
      hourStart: new Date(),
      hourEnd: new Date(),
      completedAt: new Date(),
      outcome: 'proven',
      verificationEventId: randomUUID(),
    };
    const metadata = (eventId: string) => ({ eventId, eventType: 'ionet.leasing.v1.LeaseHourCompleted', schemaVersion: 1, aggregateType: 'lease', aggregateId: leaseId, aggregateVersion: 2n, occurredAt: new Date(), correlationId: eventId, causationId: eventId, producer: 'leasing', traceparent: '', tracestate: '', globalPosition: 0n });
    const first = randomUUID();
    await transactions.transaction((tx) => escrow.onLeaseHourCompleted(hour, metadata(first), tx));
    const once = await balanceOf(acme.key);
    const movements = (await call('GET', '/v1/transactions?type=charge', { key: acme.key })).body.items!.length;
    expect(once.escrow).toBe(leaseTotal(1) - hourGross(2).customerPaysBaseUnits);
    await transactions.transaction((tx) => escrow.onLeaseHourCompleted(hour, metadata(first), tx));
    await transactions.transaction((tx) => escrow.onLeaseHourCompleted(hour, metadata(randomUUID()), tx));
    expect(await balanceOf(acme.key)).toEqual(once);
    expect((await call('GET', '/v1/transactions?type=charge', { key: acme.key })).body.items!.length).toBe(movements);
    expect(movements).toBe(1);
  });

  it('dead-letters an hour of a lease billing never funded and an hour with no or an unspecified outcome, and goes on', async () => {
    const acme = await customer('Acme poison');
    const stranger = randomUUID();
    const unknownSlot = slots(randomUUID())[0]!;
    await hourCompleted(stranger, acme.organizationId, unknownSlot, 0, leasingV1.LeaseHourOutcome.PROVEN);
    await hourCompleted(stranger, acme.organizationId, unknownSlot, 1, leasingV1.LeaseHourOutcome.UNSPECIFIED);
    const known = randomUUID();
    await deposit(acme.organizationId, leaseTotal(1));
    const knownSlots = slots(randomUUID());
    await leaseCreated(known, acme.organizationId, knownSlots, 1);
    await waitPublished('EscrowLocked', known);
    await hourCompleted(known, acme.organizationId, knownSlots[0]!, 0, undefined);
    await deposit(acme.organizationId, leaseTotal(1));
    const after = randomUUID();
    await leaseCreated(after, acme.organizationId, slots(randomUUID()), 1);
    await waitPublished('EscrowLocked', after);
    const letters = await waitFor('three dead letters of the leasing consumer', async () => {
      const page = await call('GET', `/v1/ops/dead-letters?consumerGroup=${encodeURIComponent(`${kit.topicPrefix}billing.leasing`)}&limit=50`);
      const items = (page.body.items ?? []) as Array<{ errorCode: string; eventType: string }>;
      return items.length >= 3 ? items : undefined;
    });
    expect(letters.map((l) => l.errorCode).sort()).toEqual(['BILLING.LEASE_NOT_FUNDED', 'CONTRACT.MISSING_FIELD', 'CONTRACT.MISSING_FIELD']);
    // The hour without an outcome was neither charged nor refunded.
    expect(publishedOf('UsageCharged', known).length + publishedOf('RefundIssued', known).length).toBe(0);
  });

  it('every leasing event delivered twice changes nothing, and the money balances in the ledger after the whole sequence', async () => {
    const acme = await customer('Acme replay');
    await deposit(acme.organizationId, 50_000_000n);
    const leaseId = randomUUID();
    const leaseSlots = slots(randomUUID());
    const from = kit.sent.length;
    await leaseCreated(leaseId, acme.organizationId, leaseSlots, 2);
    await kit.publish('leasing', leasingV1.LeaseExtendedSchema, leaseId, { leaseId, customerId: acme.organizationId, additionalHours: 1, additionalPrice: usdc(PRICE * 3n), newEndsAt: timestampFromDate(new Date()), extendedAt: timestampFromDate(new Date()) });
    await hourCompleted(leaseId, acme.organizationId, leaseSlots[0]!, 0, leasingV1.LeaseHourOutcome.PROVEN);
    await hourCompleted(leaseId, acme.organizationId, leaseSlots[1]!, 0, leasingV1.LeaseHourOutcome.PROVEN);
    await hourCompleted(leaseId, acme.organizationId, leaseSlots[0]!, 1, leasingV1.LeaseHourOutcome.UNPROVEN);
    await kit.terminated(leaseId, acme.organizationId, leasingV1.LeaseTerminationReason.CUSTOMER_CANCELLED, 2, 1);
    await hourCompleted(leaseId, acme.organizationId, leaseSlots[1]!, 1, leasingV1.LeaseHourOutcome.PROVEN);
    await waitPublished('EscrowReleased', leaseId);
    const balances = await balanceOf(acme.key);
    const transactions = (await call('GET', `/v1/transactions?limit=200`, { key: acme.key })).body.items!.length;
    const count = kit.published.length;

    // The same messages again (same event ids), as a producer retry or a re-publish would send them
    // (the consumer's inbox drops them; the handlers' own idempotency is the test above).
    await kit.resend(kit.sent.slice(from));
    // A marker after them: once it is applied, the duplicates before it were too.
    const marker = randomUUID();
    await leaseCreated(marker, acme.organizationId, slots(randomUUID()), 1);
    await waitPublished('EscrowLocked', marker);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(kit.published.length).toBe(count + 1);
    const afterReplay = await balanceOf(acme.key);
    expect(afterReplay.escrow).toBe(balances.escrow + leaseTotal(1));
    expect(afterReplay.available).toBe(balances.available - leaseTotal(1));
    expect((await call('GET', `/v1/transactions?limit=200`, { key: acme.key })).body.items!.length).toBe(transactions + 1);

    // Every billing event of this test booked into the ledger: each entry balances, no holder goes
    // negative, and the ledger's customer accounts equal the balances the API reports.
    const ledger = new Ledger();
    const book = (id: string, legs: Leg[]) => {
      for (const leg of legs) if (!ledger.hasAccount(leg.account)) ledger.openAccount(leg.account);
      ledger.submit({ type: 'entry', id, atMs: ledger.sequence, legs });
    };
    const move = (from: string, to: string, asset: LedgerAsset, amount: bigint): Leg[] => [
      { account: from, asset, side: 'debit', amountBaseUnits: amount },
      { account: to, asset, side: 'credit', amountBaseUnits: amount },
    ];
    type M = { amountBaseUnits: bigint; asset: string };
    const a = (m: M) => m.asset as LedgerAsset;
    // In billing's commit order (its event store's global position): the topic's partitions are read
    // independently, and a deposit and the lock it funds live in different streams.
    const ordered = [...kit.published].sort((x, y) => (x.metadata.globalPosition < y.metadata.globalPosition ? -1 : x.metadata.globalPosition > y.metadata.globalPosition ? 1 : 0));
    for (const p of ordered) {
      const e = p.event as Record<string, unknown>;
      const customerId = String(e.customerId ?? '');
      switch (p.type) {
        case billingV1.DepositReceivedSchema.typeName:
          book(p.metadata.eventId, move(AccountNames.external('deposits'), AccountNames.customerAvailable(customerId), a(e.amount as M), (e.amount as M).amountBaseUnits));
          break;
        case billingV1.EscrowLockedSchema.typeName:
          book(p.metadata.eventId, move(AccountNames.customerAvailable(customerId), AccountNames.customerEscrow(customerId), a(e.amount as M), (e.amount as M).amountBaseUnits));
          break;
        case billingV1.UsageChargedSchema.typeName: {
          const gross = e.gross as M;
          book(p.metadata.eventId, [
            { account: AccountNames.customerEscrow(customerId), asset: a(gross), side: 'debit', amountBaseUnits: gross.amountBaseUnits },
            { account: AccountNames.supplierEarnings(String(e.supplierId)), asset: a(gross), side: 'credit', amountBaseUnits: (e.supplierEarnings as M).amountBaseUnits },
            { account: AccountNames.platformFees, asset: a(gross), side: 'credit', amountBaseUnits: (e.platformFee as M).amountBaseUnits },
          ]);
          break;
        }
        case billingV1.RefundIssuedSchema.typeName:
        case billingV1.EscrowReleasedSchema.typeName:
          book(p.metadata.eventId, move(AccountNames.customerEscrow(customerId), AccountNames.customerAvailable(customerId), a(e.amount as M), (e.amount as M).amountBaseUnits));
          break;
        case billingV1.FeeRetainedSchema.typeName:
          book(p.metadata.eventId, move(AccountNames.customerEscrow(customerId), AccountNames.platformFees, a(e.amount as M), (e.amount as M).amountBaseUnits));
          break;
        default:
          break;
      }
    }
    expect(ledger.checkInvariants({ full: true })).toEqual([]);
    const credit = (account: string) => {
      const b = ledger.balance(account, 'USDC');
      return b.creditsPostedBaseUnits - b.debitsPostedBaseUnits;
    };
    expect({ available: credit(AccountNames.customerAvailable(acme.organizationId)), escrow: credit(AccountNames.customerEscrow(acme.organizationId)) }).toEqual(afterReplay);
    // Conservation: what came in by deposits sits in some account, to the base unit.
    const deposits = -credit(AccountNames.external('deposits'));
    const held = ledger.balances().filter((b) => !b.account.startsWith('external:') && b.asset === 'USDC').reduce((s, b) => s + b.creditsPostedBaseUnits - b.debitsPostedBaseUnits, 0n);
    expect(held).toBe(deposits);
  });
});
