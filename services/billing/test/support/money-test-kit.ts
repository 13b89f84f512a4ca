import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, encodeEnvelope, EVENT_HEADERS, EventRegistry, leasingV1, newEventId, toDomain, topicName, type EventContext, type EventMetadata } from '@ionet/contracts';
import { decodeKafkaMessage } from '@ionet/eventing';
import { DEFAULT_TOKENOMICS_PARAMETERS, leaseFees } from '@ionet/tokenomics';
import { deleteTestTopics, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import type { BillingConfig } from '../../src/billing.config';
import { billingService } from '../../src/billing.module';

export const parameters = DEFAULT_TOKENOMICS_PARAMETERS;
/** Per GPU-hour: a price whose fees round. */
export const PRICE = 2_345_678n;
export const usdc = (amount: bigint) => ({ amountBaseUnits: amount.toString(), asset: Asset.USDC });
export type Slot = { deviceId: string; supplierId: string; gpuCount: number; pricePerGpuHour: ReturnType<typeof usdc> };
/** Two devices of a supplier: 2 GPUs and 1 GPU at PRICE. */
export const slotsOf = (supplierId: string): Slot[] => [
  { deviceId: randomUUID(), supplierId, gpuCount: 2, pricePerGpuHour: usdc(PRICE) },
  { deviceId: randomUUID(), supplierId, gpuCount: 1, pricePerGpuHour: usdc(PRICE) },
];
/** What a lease of the two devices locks for `hours`. */
export const leaseTotal = (hours: number) => leaseFees(PRICE * 3n * BigInt(hours), 'USDC', parameters).customerPaysBaseUnits;
export const hourFees = (gpus: number) => leaseFees(PRICE * BigInt(gpus), 'USDC', parameters);

export interface PublishedEvent {
  metadata: EventMetadata;
  type: string;
  event: unknown;
}

/** Billing on the real stack seen from outside: its API, leasing and inventory facts published as
 *  their services' relays publish them, and billing's own events read back from its topic. */
export class MoneyTestKit {
  readonly published: PublishedEvent[] = [];
  readonly sent: Array<{ key: string; value: Buffer; headers: Record<string, string> }> = [];
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private readonly registry = EventRegistry.catalogue();

  constructor(
    readonly billing: RunningTestService<BillingConfig>,
    readonly topicPrefix: string,
  ) {}

  async start(): Promise<void> {
    this.producer = testKafka('billing-money-test').producer({ idempotent: true });
    await this.producer.connect();
    this.consumer = testKafka('billing-money-test').consumer({ groupId: `${this.topicPrefix}test-reader` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topicName('billing', this.topicPrefix)], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeKafkaMessage(message, this.registry);
        if (!decoded.ok) throw new Error(`billing published an undecodable event: ${decoded.message}`);
        this.published.push({ metadata: decoded.decoded.metadata, type: decoded.decoded.metadata.eventType, event: toDomain(decoded.decoded.type.schema, decoded.decoded.event as never) });
      },
    });
  }

  /** Billing in its own schema, topic namespace and queue prefix, with the kit started. */
  static async launch(label: string, env: Record<string, string> = {}): Promise<MoneyTestKit> {
    const ns = testNamespace(label);
    const billing = await startTestService(billingService, { schema: ns.schema, serviceName: 'billing', topicPrefix: ns.topicPrefix, env: { QUEUE_PREFIX: ns.queuePrefix, ...env } });
    const kit = new MoneyTestKit(billing, ns.topicPrefix);
    await kit.start();
    return kit;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.billing.close();
    await deleteTestTopics(this.topicPrefix);
  }

  async call(method: string, path: string, opts: { key?: string; body?: unknown; idempotencyKey?: string } = {}) {
    const res = await fetch(`${this.billing.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.key ?? this.billing.opsKey}`,
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { items?: Array<Record<string, unknown>> } };
  }

  async organization(name: string, kind: 'customer' | 'supplier' = 'customer'): Promise<{ organizationId: string; key: string }> {
    const org = await this.call('POST', '/v1/organizations', { idempotencyKey: randomUUID(), body: { name, kind } });
    if (org.status !== 201) throw new Error(`organization: ${org.status} ${JSON.stringify(org.body)}`);
    const key = await this.call('POST', `/v1/organizations/${String(org.body.organizationId)}/api-keys`, { body: {} });
    if (key.status !== 201) throw new Error(`api key: ${key.status} ${JSON.stringify(key.body)}`);
    return { organizationId: String(org.body.organizationId), key: String(key.body.key) };
  }

  deposit(organizationId: string, amountBaseUnits: bigint, idempotencyKey = randomUUID(), asset = 'USDC') {
    return this.call('POST', '/v1/deposits', { idempotencyKey, body: { organizationId, asset, amountBaseUnits: amountBaseUnits.toString() } });
  }

  async balanceOf(key: string, asset = 'USDC'): Promise<{ available: bigint; escrow: bigint }> {
    const res = await this.call('GET', '/v1/balances', { key });
    if (res.status !== 200) throw new Error(`balances: ${res.status}`);
    const row = (res.body.balances as Array<{ asset: string; availableBaseUnits: string; escrowBaseUnits: string }>).find((b) => b.asset === asset)!;
    return { available: BigInt(row.availableBaseUnits), escrow: BigInt(row.escrowBaseUnits) };
  }

  /** Publishes an event of `context` as its relay would (envelope, headers, key = aggregate id). */
  async publish<Desc extends DescMessage>(context: EventContext, schema: Desc, aggregateId: string, data: MessageInitShape<Desc>): Promise<void> {
    const eventId = newEventId();
    const metadata: EventMetadata = {
      eventId,
      eventType: schema.typeName,
      schemaVersion: 1,
      aggregateType: context === 'leasing' ? 'lease' : 'supplier',
      aggregateId,
      aggregateVersion: BigInt(this.sent.filter((s) => s.key === aggregateId).length + 1),
      occurredAt: new Date(),
      correlationId: eventId,
      causationId: eventId,
      producer: context,
      traceparent: '',
      tracestate: '',
      globalPosition: BigInt(this.sent.length + 1),
    };
    const message = {
      key: aggregateId,
      value: Buffer.from(encodeEnvelope(metadata, toBinary(schema, create(schema, data)))),
      headers: { [EVENT_HEADERS.eventType]: schema.typeName, [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.schemaVersion]: '1' },
    };
    if (context === 'leasing') this.sent.push(message);
    await this.producer!.send({ topic: topicName(context, this.topicPrefix), messages: [message] });
  }

  /** The same messages again (same event ids), as a producer retry or a re-publish sends them. */
  async resend(messages: MoneyTestKit['sent']): Promise<void> {
    await this.producer!.send({ topic: topicName('leasing', this.topicPrefix), messages });
  }

  leaseCreated(leaseId: string, customerId: string, slots: Slot[], hours: number, createdAt = new Date()): Promise<void> {
    const fees = leaseFees(PRICE * 3n * BigInt(hours), 'USDC', parameters);
    return this.publish('leasing', leasingV1.LeaseCreatedSchema, leaseId, {
      leaseId,
      requestId: randomUUID(),
      quoteId: randomUUID(),
      customerId,
      slots,
      durationHours: hours,
      computePrice: usdc(fees.amountBaseUnits),
      reservationFee: usdc(fees.customer.reservationFeeBaseUnits),
      paymentFee: usdc(fees.customer.paymentFeeBaseUnits),
      totalPrice: usdc(fees.customerPaysBaseUnits),
      paymentAsset: Asset.USDC,
      createdAt: timestampFromDate(createdAt),
    });
  }

  hourCompleted(leaseId: string, customerId: string, slot: Slot, hourIndex: number, outcome: leasingV1.LeaseHourOutcome | undefined): Promise<void> {
    const start = new Date(Date.UTC(2026, 11, 1, hourIndex));
    return this.publish('leasing', leasingV1.LeaseHourCompletedSchema, leaseId, {
      leaseId,
      customerId,
      deviceId: slot.deviceId,
      supplierId: slot.supplierId,
      hourIndex,
      gpuCount: slot.gpuCount,
      pricePerGpuHour: slot.pricePerGpuHour,
      hourStart: timestampFromDate(start),
      hourEnd: timestampFromDate(new Date(start.getTime() + 3_600_000)),
      completedAt: timestampFromDate(new Date()),
      ...(outcome === undefined ? {} : { outcome }),
      verificationEventId: randomUUID(),
    });
  }

  terminated(leaseId: string, customerId: string, reason: leasingV1.LeaseTerminationReason, hoursUsed: number, hoursRefundable: number): Promise<void> {
    return this.publish('leasing', leasingV1.LeaseTerminatedSchema, leaseId, { leaseId, customerId, reason, hoursUsed, hoursRefundable, terminatedAt: timestampFromDate(new Date()) });
  }

  publishedOf(type: string, leaseId: string): PublishedEvent[] {
    return this.published.filter((p) => p.type === `ionet.billing.v1.${type}` && (p.event as { leaseId?: string }).leaseId === leaseId);
  }

  waitPublished(type: string, leaseId: string, count = 1): Promise<PublishedEvent[]> {
    return waitFor(`${count} ${type} of lease ${leaseId}`, () => (this.publishedOf(type, leaseId).length >= count ? this.publishedOf(type, leaseId) : undefined), 30_000);
  }
}
