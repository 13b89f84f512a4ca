import { enumCodec, webhooksV1 } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import { isWebhookEventType, type WebhookEventType } from '../../domain/endpoint/event-types';
import { WEBHOOK_ENDPOINT_DISABLED_REASONS, type WebhookEndpointDisabledReason, type WebhookEndpointEvent } from '../../domain/endpoint/webhook-endpoint.decider';

// Asserted at start-up: the domain's names are exactly the contract's, so the casts below hold.
enumCodec(webhooksV1.WebhookEndpointDisabledReasonSchema, WEBHOOK_ENDPOINT_DISABLED_REASONS);

/** Event types this build does not know (a newer producer's) are kept out of the domain state. */
function knownEventTypes(types: string[]): WebhookEventType[] {
  return types.filter(isWebhookEventType);
}

/** No secret is ever encoded: the domain events carry fingerprints only. */
export const webhookEndpointEventCodec = eventCodec<WebhookEndpointEvent>()({
  WebhookEndpointCreated: {
    schema: webhooksV1.WebhookEndpointCreatedSchema,
    toWire: (e) => ({
      webhookEndpointId: e.webhookEndpointId,
      organizationId: e.organizationId,
      url: e.url,
      eventTypes: e.eventTypes,
      description: e.description,
      secretFingerprint: e.secretFingerprint,
      createdAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'WebhookEndpointCreated',
      webhookEndpointId: w.webhookEndpointId,
      organizationId: w.organizationId,
      url: w.url,
      eventTypes: knownEventTypes(w.eventTypes),
      description: w.description,
      secretFingerprint: w.secretFingerprint,
      at: w.createdAt!,
    }),
  },
  WebhookEndpointSecretRotated: {
    schema: webhooksV1.WebhookEndpointSecretRotatedSchema,
    toWire: (e) => ({
      webhookEndpointId: e.webhookEndpointId,
      organizationId: e.organizationId,
      secretFingerprint: e.secretFingerprint,
      previousSecretFingerprint: e.previousSecretFingerprint,
      previousSecretExpiresAt: e.previousSecretExpiresAt,
      rotatedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'WebhookEndpointSecretRotated',
      webhookEndpointId: w.webhookEndpointId,
      organizationId: w.organizationId,
      secretFingerprint: w.secretFingerprint,
      previousSecretFingerprint: w.previousSecretFingerprint,
      previousSecretExpiresAt: w.previousSecretExpiresAt!,
      at: w.rotatedAt!,
    }),
  },
  WebhookEndpointDeleted: {
    schema: webhooksV1.WebhookEndpointDeletedSchema,
    toWire: (e) => ({ webhookEndpointId: e.webhookEndpointId, organizationId: e.organizationId, deletedAt: e.at }),
    fromWire: (w) => ({ type: 'WebhookEndpointDeleted', webhookEndpointId: w.webhookEndpointId, organizationId: w.organizationId, at: w.deletedAt! }),
  },
  WebhookEndpointDisabled: {
    schema: webhooksV1.WebhookEndpointDisabledSchema,
    toWire: (e) => ({
      webhookEndpointId: e.webhookEndpointId,
      organizationId: e.organizationId,
      reason: e.reason,
      lastDeliveryId: e.lastDeliveryId,
      failedAttempts: e.failedAttempts,
      failingSince: e.failingSince,
      disabledAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'WebhookEndpointDisabled',
      webhookEndpointId: w.webhookEndpointId,
      organizationId: w.organizationId,
      reason: w.reason as WebhookEndpointDisabledReason,
      lastDeliveryId: w.lastDeliveryId,
      failedAttempts: w.failedAttempts,
      failingSince: w.failingSince!,
      at: w.disabledAt!,
    }),
  },
});
