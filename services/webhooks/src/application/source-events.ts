import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { billingV1, inventoryV1, leasingV1, webhooksV1, type DomainMoney, type DomainOf } from '@ionet/contracts';
import type { WebhookEventType } from '../domain/endpoint/event-types';

/** Whose event it is: an organization directly, or a supplier whose organization inventory knows. */
export type EventOwner = { kind: 'organization'; organizationId: string } | { kind: 'supplier'; supplierId: string };

/** A platform event as a webhook: its public type, owner and `data` (JSON: money as decimal
 *  strings with the asset, times as RFC 3339). */
export interface WebhookFact {
  type: WebhookEventType;
  owner: EventOwner;
  data: Record<string, unknown>;
}

export interface SourceMapping<Desc extends DescMessage = DescMessage> {
  schema: Desc;
  map(event: DomainOf<MessageShape<Desc>>): WebhookFact;
}

function mapping<Desc extends DescMessage>(schema: Desc, map: (event: DomainOf<MessageShape<Desc>>) => WebhookFact): SourceMapping {
  return { schema, map: map as SourceMapping['map'] };
}

const organization = (organizationId: string): EventOwner => ({ kind: 'organization', organizationId });
const supplier = (supplierId: string): EventOwner => ({ kind: 'supplier', supplierId });

export function moneyJson(m: DomainMoney | undefined): { amountBaseUnits: string; asset: string } | null {
  return m ? { amountBaseUnits: m.amountBaseUnits.toString(), asset: m.asset } : null;
}

const iso = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

/**
 * The platform events each public event type comes from (API.md "Money"). A cluster is a lease:
 * its id is the lease id. Every one of them exists in proto today; billing's money events and
 * leasing's events are published once those services land.
 */
export const SOURCE_MAPPINGS: readonly SourceMapping[] = [
  mapping(billingV1.EscrowLockedSchema, (e) => ({
    type: 'cluster.funded',
    owner: organization(e.customerId),
    data: { clusterId: e.leaseId, escrowId: e.escrowId, amount: moneyJson(e.amount), reservationFee: moneyJson(e.reservationFee), paymentFee: moneyJson(e.paymentFee), fundedAt: iso(e.lockedAt) },
  })),
  mapping(leasingV1.LeaseActivatedSchema, (e) => ({
    type: 'cluster.running',
    owner: organization(e.customerId),
    data: { clusterId: e.leaseId, activatedAt: iso(e.activatedAt), endsAt: iso(e.endsAt) },
  })),
  mapping(billingV1.UsageChargedSchema, (e) => ({
    type: 'cluster.hour_charged',
    owner: organization(e.customerId),
    data: {
      clusterId: e.leaseId,
      chargeId: e.chargeId,
      deviceId: e.deviceId,
      hourIndex: e.hourIndex,
      gross: moneyJson(e.gross),
      supplierEarnings: moneyJson(e.supplierEarnings),
      platformFee: moneyJson(e.platformFee),
      chargedAt: iso(e.chargedAt),
    },
  })),
  mapping(leasingV1.LeaseTerminatedSchema, (e) => ({
    type: 'cluster.terminated',
    owner: organization(e.customerId),
    data: { clusterId: e.leaseId, reason: e.reason, hoursUsed: e.hoursUsed, hoursRefundable: e.hoursRefundable, terminatedAt: iso(e.terminatedAt) },
  })),
  mapping(billingV1.InvoiceIssuedSchema, (e) => ({
    type: 'invoice.issued',
    owner: organization(e.customerId),
    data: { invoiceId: e.invoiceId, periodStart: iso(e.periodStart), periodEnd: iso(e.periodEnd), total: moneyJson(e.total), lineCount: e.lines.length, issuedAt: iso(e.issuedAt) },
  })),
  mapping(billingV1.PayoutSettledSchema, (e) => ({
    type: 'payout.settled',
    owner: supplier(e.supplierId),
    data: {
      payoutId: e.payoutId,
      supplierId: e.supplierId,
      wallet: e.wallet,
      amount: moneyJson(e.amount),
      periodStart: iso(e.periodStart),
      periodEnd: iso(e.periodEnd),
      chainTransactionSignature: e.chainTransactionSignature,
      settledAt: iso(e.settledAt),
    },
  })),
  mapping(inventoryV1.DeviceBlockedSchema, (e) => ({
    type: 'device.blocked',
    owner: supplier(e.supplierId),
    data: { deviceId: e.deviceId, supplierId: e.supplierId, reason: e.reason, detail: e.detail, blockedAt: iso(e.blockedAt) },
  })),
  mapping(webhooksV1.WebhookEndpointDisabledSchema, (e) => ({
    type: 'webhook_endpoint.disabled',
    owner: organization(e.organizationId),
    data: {
      webhookEndpointId: e.webhookEndpointId,
      reason: e.reason,
      lastDeliveryId: e.lastDeliveryId,
      failedAttempts: e.failedAttempts,
      failingSince: iso(e.failingSince),
      disabledAt: iso(e.disabledAt),
    },
  })),
];
