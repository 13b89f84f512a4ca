import { defineAggregate } from '@ionet/eventing';
import { decideApiKey, evolveApiKey, initialApiKeyState } from '../domain/api-key/api-key.decider';
import { decideOrganization, evolveOrganization, initialOrganizationState } from '../domain/organization/organization.decider';
import { apiKeyEventCodec, organizationEventCodec } from '../infrastructure/messaging/billing-event-codec';

/** Billing's registrations with the kit's command handler. */
export const organizationAggregate = defineAggregate({
  streamType: 'organization',
  decider: { decide: decideOrganization, evolve: evolveOrganization, initialState: initialOrganizationState },
  codec: organizationEventCodec,
});

export const apiKeyAggregate = defineAggregate({
  streamType: 'api_key',
  decider: { decide: decideApiKey, evolve: evolveApiKey, initialState: initialApiKeyState },
  codec: apiKeyEventCodec,
});
