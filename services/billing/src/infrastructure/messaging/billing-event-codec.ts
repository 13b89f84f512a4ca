import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { billingV1 } from '@ionet/contracts';
import type { NewEvent, StoredEvent } from '@ionet/eventing';
import { scopeFromWire, scopeToWire } from '@ionet/platform';
import type { ApiKeyEvent, ApiKeyScope } from '../../domain/api-key/api-key.decider';
import type { OrganizationEvent, OrganizationKind } from '../../domain/organization/organization.decider';

// Domain values <-> protobuf enums, both ways from one table.
const KINDS: [OrganizationKind, billingV1.OrganizationKind][] = [
  ['customer', billingV1.OrganizationKind.CUSTOMER],
  ['supplier', billingV1.OrganizationKind.SUPPLIER],
  ['partner_network', billingV1.OrganizationKind.PARTNER_NETWORK],
];

function kindToWire(kind: OrganizationKind): billingV1.OrganizationKind {
  const row = KINDS.find(([d]) => d === kind);
  if (!row) throw new Error(`no wire value for ${kind}`);
  return row[1];
}

function kindFromWire(kind: billingV1.OrganizationKind): OrganizationKind {
  const row = KINDS.find(([, w]) => w === kind);
  if (!row) throw new Error(`unknown organization kind ${kind}`);
  return row[0];
}

export function organizationEventToWire(event: OrganizationEvent): NewEvent {
  switch (event.type) {
    case 'OrganizationCreated':
      return {
        schema: billingV1.OrganizationCreatedSchema,
        occurredAt: event.at,
        data: { organizationId: event.organizationId, name: event.name, kind: kindToWire(event.kind), createdAt: timestampFromDate(event.at) },
      };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}

export function apiKeyEventToWire(event: ApiKeyEvent): NewEvent {
  switch (event.type) {
    case 'ApiKeyIssued':
      return {
        schema: billingV1.ApiKeyIssuedSchema,
        occurredAt: event.at,
        data: {
          apiKeyId: event.apiKeyId,
          organizationId: event.organizationId,
          keyHash: event.keyHash,
          scopes: event.scopes.map(scopeToWire),
          displayPrefix: event.displayPrefix,
          label: event.label,
          issuedAt: timestampFromDate(event.at),
        },
      };
    case 'ApiKeyRevoked':
      return {
        schema: billingV1.ApiKeyRevokedSchema,
        occurredAt: event.at,
        data: { apiKeyId: event.apiKeyId, organizationId: event.organizationId, keyHash: event.keyHash, revokedAt: timestampFromDate(event.at) },
      };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

export function organizationEventFromStored(stored: StoredEvent): OrganizationEvent {
  switch (stored.metadata.eventType) {
    case 'ionet.billing.v1.OrganizationCreated': {
      const e = fromBinary(billingV1.OrganizationCreatedSchema, stored.payload);
      return { type: 'OrganizationCreated', organizationId: e.organizationId, name: e.name, kind: kindFromWire(e.kind), at: timestampDate(e.createdAt!) };
    }
    default:
      throw new Error(`organization stream holds an unexpected ${stored.metadata.eventType}`);
  }
}

export function apiKeyEventFromStored(stored: StoredEvent): ApiKeyEvent {
  switch (stored.metadata.eventType) {
    case 'ionet.billing.v1.ApiKeyIssued': {
      const e = fromBinary(billingV1.ApiKeyIssuedSchema, stored.payload);
      return {
        type: 'ApiKeyIssued',
        apiKeyId: e.apiKeyId,
        organizationId: e.organizationId,
        keyHash: e.keyHash,
        scopes: e.scopes.map((s) => scopeFromWire(s) as ApiKeyScope),
        displayPrefix: e.displayPrefix,
        label: e.label,
        at: timestampDate(e.issuedAt!),
      };
    }
    case 'ionet.billing.v1.ApiKeyRevoked': {
      const e = fromBinary(billingV1.ApiKeyRevokedSchema, stored.payload);
      return { type: 'ApiKeyRevoked', apiKeyId: e.apiKeyId, organizationId: e.organizationId, keyHash: e.keyHash, at: timestampDate(e.revokedAt!) };
    }
    default:
      throw new Error(`API key stream holds an unexpected ${stored.metadata.eventType}`);
  }
}
