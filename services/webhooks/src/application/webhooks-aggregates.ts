import { defineAggregate } from '@ionet/eventing';
import { decideWebhookEndpoint, evolveWebhookEndpoint, initialWebhookEndpointState } from '../domain/endpoint/webhook-endpoint.decider';
import { webhookEndpointEventCodec } from '../infrastructure/messaging/webhooks-event-codec';

/** The webhooks context's registration with the kit's command handler. */
export const webhookEndpointAggregate = defineAggregate({
  streamType: 'webhook_endpoint',
  decider: { decide: decideWebhookEndpoint, evolve: evolveWebhookEndpoint, initialState: initialWebhookEndpointState },
  codec: webhookEndpointEventCodec,
});
