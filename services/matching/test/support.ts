import { fromBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { Asset, commonV1, decodeEnvelope, inventoryV1, topicName, type EventContext } from '@ionet/contracts';
import { sendFact, testKafka, type TestNamespace } from '@ionet/testing';
import type { Consumer, Producer } from 'kafkajs';

export type Json = Record<string, unknown>;
export const ts = (date: Date) => ({ seconds: BigInt(Math.floor(date.getTime() / 1000)), nanos: 0 });

/** Publishes facts with a version per aggregate (the projection's guards need rising versions). */
export class FactPublisher {
  private readonly versions = new Map<string, bigint>();

  constructor(
    private readonly producer: Producer,
    private readonly ns: TestNamespace,
  ) {}

  async publish<D extends DescMessage>(context: EventContext, schema: D, aggregateId: string, data: MessageInitShape<D>): Promise<string> {
    const aggregateVersion = (this.versions.get(aggregateId) ?? 0n) + 1n;
    this.versions.set(aggregateId, aggregateVersion);
    return sendFact(this.producer, this.ns.topicPrefix, context, schema, aggregateId, data, { aggregateVersion });
  }

  /** A GPU device registered and made cluster-ready by inventory. */
  async readyDevice(d: {
    deviceId: string;
    supplierId?: string;
    model?: string;
    gpus?: number;
    country?: string;
    region?: string;
    connectivity?: commonV1.ConnectivityTier;
    security?: commonV1.SecurityTier;
    source?: commonV1.SupplySource;
    priceUsdMicros?: bigint;
  }): Promise<void> {
    const supplierId = d.supplierId ?? '00000000-0000-4000-8000-000000000001';
    await this.publish('inventory', inventoryV1.DeviceRegisteredSchema, d.deviceId, {
      deviceId: d.deviceId,
      supplierId,
      agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
      deviceClass: commonV1.DeviceClass.GPU,
      gpu: { model: d.model ?? 'H100-80GB', vramMib: 81_920, count: d.gpus ?? 8 },
      cpuCores: 64,
      ramMib: 1_048_576,
      diskGib: 4_000,
      countryCode: d.country ?? 'DE',
      region: d.region ?? 'eu-central',
      connectivityTier: d.connectivity ?? commonV1.ConnectivityTier.HIGH,
      securityTier: d.security ?? commonV1.SecurityTier.SECURE,
      source: d.source ?? commonV1.SupplySource.DATA_CENTER,
      askPricePerGpuHour: { amountBaseUnits: String(d.priceUsdMicros ?? 2_000_000n), asset: Asset.USDC },
      payoutWallet: '11111111111111111111111111111111',
      registeredAt: ts(new Date()),
      tenantId: 'supplier-org',
      simulated: true,
    });
    await this.publish('inventory', inventoryV1.DeviceBecameClusterReadySchema, d.deviceId, {
      deviceId: d.deviceId,
      supplierId,
      readyAt: ts(new Date()),
      challengeId: '00000000-0000-4000-8000-00000000c0de',
      status: inventoryV1.DeviceStatus.CLUSTER_READY,
    });
  }
}

/** Collects the matching topic's facts from the beginning. */
export async function collectFacts(ns: TestNamespace, label: string): Promise<{ facts: Array<{ type: string; payload: Uint8Array }>; consumer: Consumer }> {
  const facts: Array<{ type: string; payload: Uint8Array }> = [];
  const consumer = testKafka(`${label}-reader`).consumer({ groupId: `${ns.topicPrefix}${label}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic: topicName('matching', ns.topicPrefix), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const envelope = decodeEnvelope(new Uint8Array(message.value!));
      facts.push({ type: envelope.metadata.eventType, payload: envelope.payload });
    },
  });
  return { facts, consumer };
}

export { fromBinary };

export const usdc = (amount: bigint) => ({ amountBaseUnits: amount.toString(), asset: Asset.USDC });
