import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, billingV1, encodeEnvelope, EVENT_HEADERS, EventRegistry, money, newEventId, tokenomicsV1, toDomain, topicName, type EventMetadata } from '@ionet/contracts';
import { Ledger, NO_FLAGS } from '@ionet/ledger';
import { emissionForEpoch } from '@ionet/tokenomics';
import { isPostingEventType, postingFor } from '../../src/domain/postings/ledger-postings';

/** One fact as a producer publishes it: its envelope and payload, ready for Kafka. */
export interface PublishedEvent {
  topic: string;
  metadata: EventMetadata;
  schema: DescMessage;
  message: ReturnType<typeof create>;
  kafka: { key: string; value: Buffer; headers: Record<string, string> };
}

const registry = EventRegistry.catalogue();

export function publishedEvent<Desc extends DescMessage>(schema: Desc, aggregateId: string, data: MessageInitShape<Desc>, occurredAt: Date, topicPrefix: string): PublishedEvent {
  const info = registry.require(schema.typeName);
  const message = create(schema, data);
  const metadata: EventMetadata = {
    eventId: newEventId(), eventType: schema.typeName, schemaVersion: 1, aggregateType: info.context, aggregateId, aggregateVersion: 1n, occurredAt,
    correlationId: '', causationId: '', producer: info.context, traceparent: '', tracestate: '', globalPosition: 0n,
  };
  const value = Buffer.from(encodeEnvelope(metadata, toBinary(schema, message)));
  return {
    topic: topicName(info.context, topicPrefix),
    metadata,
    schema,
    message,
    kafka: { key: aggregateId, value, headers: { [EVENT_HEADERS.eventType]: schema.typeName, [EVENT_HEADERS.eventId]: metadata.eventId, [EVENT_HEADERS.schemaVersion]: '1' } },
  };
}

const usdc = (n: bigint) => money(n, Asset.USDC);
const io = (n: bigint) => money(n, Asset.IO);
const ts = (d: Date) => timestampFromDate(d);

export interface Scenario {
  customerId: string;
  supplierId: string;
  wallet: string;
  leaseId: string;
  events: PublishedEvent[];
}

/**
 * One cluster's money and the token side of its hour: a deposit, three hours locked in escrow (compute
 * and the customer's fees, as billing locks them), a proven hour charged with both sides' fees, an
 * unproven hour refunded with its fees, the third released, the supplier paid out, an epoch closed
 * and minted and allocated, a stake slashed and burned, a buyback bought and burned.
 */
export function leaseScenario(topicPrefix: string, startMs = Date.UTC(2026, 11, 1, 10, 0, 0)): Scenario {
  const customerId = newEventId();
  const supplierId = newEventId();
  const wallet = 'So1anaWa11et1111111111111111111111111111111';
  const leaseId = newEventId();
  let t = startMs;
  const at = () => new Date((t += 1_000));
  const e = <Desc extends DescMessage>(schema: Desc, aggregateId: string, build: (time: Date) => MessageInitShape<Desc>) => {
    const time = at();
    return publishedEvent(schema, aggregateId, build(time), time, topicPrefix);
  };
  const emission = emissionForEpoch(1);
  const supplierReward = emission / 2n;
  const coStakerReward = emission / 3n;
  const events = [
    e(billingV1.DepositReceivedSchema, customerId, (d) => ({ depositId: newEventId(), customerId, amount: usdc(10_000_000n), method: billingV1.PaymentMethod.USDC, externalReference: 'ops-grant', receivedAt: ts(d) })),
    e(billingV1.EscrowLockedSchema, leaseId, (d) => ({ escrowId: newEventId(), leaseId, customerId, amount: usdc(3_067_500n), reservationFee: usdc(7_500n), paymentFee: usdc(60_000n), lockedAt: ts(d) })),
    e(billingV1.UsageChargedSchema, leaseId, (d) => ({
      chargeId: newEventId(), leaseId, customerId, supplierId, deviceId: newEventId(), hourIndex: 1,
      gross: usdc(1_022_500n), supplierEarnings: usdc(977_500n), platformFee: usdc(45_000n), sourceEventId: newEventId(), chargedAt: ts(d),
    })),
    e(billingV1.RefundIssuedSchema, leaseId, (d) => ({ refundId: newEventId(), leaseId, customerId, amount: usdc(1_022_500n), reason: billingV1.RefundReason.TIME_LOCK_VIOLATED, sourceEventId: newEventId(), refundedAt: ts(d) })),
    e(billingV1.EscrowReleasedSchema, leaseId, (d) => ({ escrowId: newEventId(), leaseId, customerId, amount: usdc(1_022_500n), releasedAt: ts(d) })),
    e(billingV1.PayoutSettledSchema, supplierId, (d) => ({ payoutId: newEventId(), supplierId, wallet, amount: usdc(977_500n), periodStart: ts(d), periodEnd: ts(d), chainTransactionSignature: 'sig', settledAt: ts(d) })),
    e(tokenomicsV1.EpochClosedSchema, 'epoch-1', (d) => ({ epochNumber: 1n, epochStart: ts(d), epochEnd: ts(d), eligibleGpuDeviceHours: 1n, eligibleCpuDeviceHours: 0n, closedAt: ts(d) })),
    e(tokenomicsV1.EmissionMintedSchema, 'epoch-1', (d) => ({ epochNumber: 1n, amount: io(emission), totalEmitted: io(emission), chainTransactionSignature: 'sig', mintedAt: ts(d) })),
    e(tokenomicsV1.RewardsAllocatedSchema, 'epoch-1', (d) => ({
      epochNumber: 1n, pool: 1, poolTotal: io(supplierReward + coStakerReward + 1n), remainder: io(1n), remainderAccount: 'token:emission-reserve', allocatedAt: ts(d),
      allocations: [
        { deviceId: 'd1', supplierId, recipientWallet: wallet, recipientKind: tokenomicsV1.RewardRecipientKind.SUPPLIER, amount: io(supplierReward), deviceHours: 1n, multiplierBasisPoints: 10_000 },
        { deviceId: 'd1', supplierId, recipientWallet: wallet, recipientKind: tokenomicsV1.RewardRecipientKind.CO_STAKER, amount: io(coStakerReward), deviceHours: 1n, multiplierBasisPoints: 10_000 },
      ],
    })),
    e(tokenomicsV1.StakeDepositedSchema, 'stake-1', (d) => ({ stakeId: 'stake-1', deviceId: 'd1', stakerWallet: wallet, role: tokenomicsV1.StakeRole.OWNER, amount: io(20_000n), depositedAt: ts(d) })),
    e(tokenomicsV1.StakeSlashedSchema, 'stake-1', (d) => ({
      slashId: 'slash-1', stakeId: 'stake-1', deviceId: 'd1', stakerWallet: wallet, amount: io(3_000n), reason: tokenomicsV1.SlashReason.FAILED_SERVICE, evidenceEventId: newEventId(), appealDeadlineAt: ts(d), slashedAt: ts(d),
    })),
    e(tokenomicsV1.TokensBurnedSchema, 'burn-1', (d) => ({ burnId: 'burn-1', amount: io(3_000n), reason: tokenomicsV1.BurnReason.SLASH, sourceId: 'slash-1', totalBurned: io(3_000n), chainTransactionSignature: 'sig', burnedAt: ts(d) })),
    e(tokenomicsV1.BuybackExecutedSchema, 'buyback-1', (d) => ({ buybackId: 'buyback-1', spent: usdc(11_250n), bought: io(2_000n), chainTransactionSignature: 'sig', executedAt: ts(d) })),
    e(tokenomicsV1.TokensBurnedSchema, 'burn-2', (d) => ({ burnId: 'burn-2', amount: io(2_000n), reason: tokenomicsV1.BurnReason.BUYBACK, sourceId: 'buyback-1', totalBurned: io(5_000n), chainTransactionSignature: 'sig', burnedAt: ts(d) })),
  ];
  return { customerId, supplierId, wallet, leaseId, events };
}

/** The same events booked by an in-memory @ionet/ledger, the reference the service must agree with. */
export function referenceLedger(events: PublishedEvent[]): Ledger {
  const ledger = new Ledger();
  let atMs = 0;
  for (const event of events) {
    if (!isPostingEventType(event.metadata.eventType)) continue;
    const posting = postingFor(event.metadata.eventType, toDomain(event.schema, event.message as never) as never);
    if (!posting) continue;
    for (const leg of posting.legs) if (!ledger.hasAccount(leg.account)) ledger.openAccount(leg.account, NO_FLAGS);
    ledger.submit({ type: 'entry', id: event.metadata.eventId, atMs: atMs++, legs: posting.legs, memo: posting.memo });
  }
  return ledger;
}
