import { billingV1, enumCodec } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import { API_KEY_SCOPES, type ApiKeyEvent, type ApiKeyScope } from '../../domain/api-key/api-key.decider';
import { ORGANIZATION_KINDS, type OrganizationEvent, type OrganizationKind } from '../../domain/organization/organization.decider';

// Asserted at start-up: the domain's names are exactly the contract's, so the casts below hold.
enumCodec(billingV1.OrganizationKindSchema, ORGANIZATION_KINDS);
enumCodec(billingV1.ApiKeyScopeSchema, API_KEY_SCOPES);

export const organizationEventCodec = eventCodec<OrganizationEvent>()({
  OrganizationCreated: {
    schema: billingV1.OrganizationCreatedSchema,
    toWire: (e) => ({ organizationId: e.organizationId, name: e.name, kind: e.kind, createdAt: e.at }),
    fromWire: (w) => ({ type: 'OrganizationCreated', organizationId: w.organizationId, name: w.name, kind: w.kind as OrganizationKind, at: w.createdAt! }),
  },
});

/** Only the key's hash is ever encoded: the domain event has no field for the key itself. */
export const apiKeyEventCodec = eventCodec<ApiKeyEvent>()({
  ApiKeyIssued: {
    schema: billingV1.ApiKeyIssuedSchema,
    toWire: (e) => ({
      apiKeyId: e.apiKeyId,
      organizationId: e.organizationId,
      keyHash: e.keyHash,
      scopes: e.scopes,
      displayPrefix: e.displayPrefix,
      label: e.label,
      issuedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'ApiKeyIssued',
      apiKeyId: w.apiKeyId,
      organizationId: w.organizationId,
      keyHash: w.keyHash,
      scopes: w.scopes as ApiKeyScope[],
      displayPrefix: w.displayPrefix,
      label: w.label,
      at: w.issuedAt!,
    }),
  },
  ApiKeyRevoked: {
    schema: billingV1.ApiKeyRevokedSchema,
    toWire: (e) => ({ apiKeyId: e.apiKeyId, organizationId: e.organizationId, keyHash: e.keyHash, revokedAt: e.at }),
    fromWire: (w) => ({ type: 'ApiKeyRevoked', apiKeyId: w.apiKeyId, organizationId: w.organizationId, keyHash: w.keyHash, at: w.revokedAt! }),
  },
});
