import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, billingV1, encodeEnvelope, EVENT_HEADERS, money, newEventId, topicName } from '@ionet/contracts';
import { testKafka, waitFor } from '@ionet/testing';
import { gatewayClient } from '../support/gateway-client';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;

/**
 * The ledger behind the one front door: billing's money facts (published here as billing publishes
 * them, while billing's money is built) are booked by the ledger process, and ops read the account,
 * its entries, the state hash and the invariants through the gateway, then rebuild the ledger
 * blue/green through `/v1/ops/ledger/...` to the same state hash.
 */
describe('the ledger through the gateway', () => {
  let stack: RunningStack;
  const customerId = newEventId();
  const supplierId = newEventId();
  const leaseId = newEventId();

  beforeAll(async () => {
    stack = await launchStack({ label: 'e2e-ledger', services: ['ledger'] });
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const publish = async <Desc extends DescMessage>(schema: Desc, aggregateId: string, data: MessageInitShape<Desc>, occurredAt: Date) => {
    const producer = testKafka('e2e-ledger-billing').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const eventId = newEventId();
    const metadata = {
      eventId, eventType: schema.typeName, schemaVersion: 1, aggregateType: 'billing', aggregateId, aggregateVersion: 1n, occurredAt,
      correlationId: '', causationId: '', producer: 'billing', traceparent: '', tracestate: '', globalPosition: 0n,
    };
    const value = Buffer.from(encodeEnvelope(metadata, toBinary(schema, create(schema, data))));
    await producer.send({ topic: topicName('billing', stack.topicPrefix), messages: [{ key: aggregateId, value, headers: { [EVENT_HEADERS.eventType]: schema.typeName, [EVENT_HEADERS.eventId]: eventId } }] });
    await producer.disconnect();
  };

  it('books a deposit, the escrow of a lease and a charged hour, and answers the ledger views through the gateway', async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));
    const usdc = (n: bigint) => money(n, Asset.USDC);
    await publish(billingV1.DepositReceivedSchema, customerId, { depositId: newEventId(), customerId, amount: usdc(10_000_000n), method: billingV1.PaymentMethod.USDC, externalReference: 'e2e', receivedAt: timestampFromDate(at(0)) }, at(0));
    await publish(billingV1.EscrowLockedSchema, leaseId, { escrowId: newEventId(), leaseId, customerId, amount: usdc(2_045_000n), reservationFee: usdc(5_000n), paymentFee: usdc(40_000n), lockedAt: timestampFromDate(at(1)) }, at(1));
    await publish(
      billingV1.UsageChargedSchema,
      leaseId,
      {
        chargeId: newEventId(), leaseId, customerId, supplierId, deviceId: newEventId(), hourIndex: 1,
        gross: usdc(1_000_000n), supplierEarnings: usdc(977_500n), platformFee: usdc(22_500n), sourceEventId: newEventId(), chargedAt: timestampFromDate(at(61)),
      },
      at(61),
    );
    const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
    const earnings = await waitFor('the charged hour in the supplier\'s earnings', async () => {
      const res = await ops.call('GET', `/v1/ledger/accounts/supplier:${supplierId}:earnings`);
      return res.status === 200 ? res : undefined;
    }, 30_000);
    expect(earnings.body).toEqual({
      account: `supplier:${supplierId}:earnings`,
      balances: [{ asset: 'USDC', debitsPostedBaseUnits: '0', creditsPostedBaseUnits: '977500', balance: { amountBaseUnits: '977500', asset: 'USDC' } }],
    });
    await waitFor('the deposit', async () => ((await ops.call('GET', `/v1/ledger/accounts/customer:${customerId}:available`)).status === 200 ? true : undefined), 30_000);
    expect((await ops.call('GET', `/v1/ledger/accounts/customer:${customerId}:available`)).body.balances).toMatchObject([{ balance: { amountBaseUnits: '7955000', asset: 'USDC' } }]);
    const escrowEntries = await ops.call('GET', `/v1/ledger/entries?account=customer:${customerId}:escrow`);
    expect((escrowEntries.body.items as Array<Record<string, unknown>>).map((e) => e.sourceEventType)).toEqual(['ionet.billing.v1.EscrowLocked', 'ionet.billing.v1.UsageCharged']);
    expect((await ops.call('GET', '/v1/ledger/invariants')).body).toMatchObject({ ok: true, allEntriesBalance: true, entryCount: 3, violations: [] });
    expect((await ops.call('GET', '/v1/ledger/state-hash')).status).toBe(200);
    // Without a key: 401 problem, as everywhere.
    expect((await gatewayClient(stack.gatewayUrl).call('GET', '/v1/ledger/state-hash')).status).toBe(401);
  });

  it('rebuilds the ledger blue/green through /v1/ops/ledger to the live state hash', async () => {
    const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
    const live = (await ops.call('GET', '/v1/ledger/state-hash')).body;
    expect((await ops.call('POST', '/v1/ops/ledger/projections/ledger/rebuild')).status).toBe(202);
    const done = await waitFor('the rebuild', async () => {
      const res = await ops.call('GET', '/v1/ops/ledger/projections/ledger');
      return (res.body.rebuild as Record<string, unknown>).state === 'running' ? undefined : res.body;
    }, 60_000);
    expect(done).toMatchObject({ generation: 2, rebuild: { state: 'succeeded', result: { hashVerified: true } } });
    expect((await ops.call('GET', '/v1/ledger/state-hash')).body).toMatchObject({ stateHash: live.stateHash, generation: 2 });
  });
});
