import { deciderSpec } from '@ionet/testing';
import { decideWebhookEndpoint, evolveWebhookEndpoint, initialWebhookEndpointState, type WebhookEndpointEvent } from './webhook-endpoint.decider';

const spec = deciderSpec({ decide: decideWebhookEndpoint, evolve: evolveWebhookEndpoint, initialState: initialWebhookEndpointState });
const id = '0195f0a0-0000-7000-8000-000000000001';
const org = '0195f0a0-0000-7000-8000-0000000000aa';
const t0 = new Date('2026-12-01T10:00:00Z');
const t1 = new Date('2026-12-01T11:00:00Z');

const created: WebhookEndpointEvent = {
  type: 'WebhookEndpointCreated',
  webhookEndpointId: id,
  organizationId: org,
  url: 'https://hooks.example.com/ionet',
  eventTypes: ['cluster.funded', 'invoice.issued'],
  description: 'billing system',
  secretFingerprint: 'aaaaaaaa',
  at: t0,
};
const disabled: WebhookEndpointEvent = {
  type: 'WebhookEndpointDisabled',
  webhookEndpointId: id,
  organizationId: org,
  reason: 'deliveries_failing',
  lastDeliveryId: 'd-1',
  failedAttempts: 8,
  failingSince: t0,
  at: t1,
};
const create = (over: Partial<{ url: string; eventTypes: string[]; description: string }> = {}) => ({
  type: 'CreateWebhookEndpoint' as const,
  webhookEndpointId: id,
  organizationId: org,
  url: 'https://hooks.example.com/ionet',
  eventTypes: ['invoice.issued', 'cluster.funded', 'invoice.issued'],
  description: '  billing system ',
  secretFingerprint: 'aaaaaaaa',
  at: t0,
  ...over,
});

describe('webhook endpoint decider', () => {
  it('creates an endpoint with its event types once each, in the catalogue order', () => {
    spec.given([]).when(create()).then([created]);
  });

  it('refuses a second creation of the same endpoint', () => {
    spec.given([created]).when(create()).thenRefused('WEBHOOK_ENDPOINT.ALREADY_EXISTS');
  });

  it.each([
    ['not a url', 'WEBHOOK_ENDPOINT.INVALID_URL'],
    ['ftp://hooks.example.com/x', 'WEBHOOK_ENDPOINT.INVALID_URL'],
    ['https://user:pass@hooks.example.com/x', 'WEBHOOK_ENDPOINT.INVALID_URL'],
    ['https://hooks.example.com/x#part', 'WEBHOOK_ENDPOINT.INVALID_URL'],
    [`https://hooks.example.com/${'a'.repeat(2_100)}`, 'WEBHOOK_ENDPOINT.INVALID_URL'],
  ])('refuses the url %s', (url, code) => {
    spec.given([]).when(create({ url })).thenRefused(code);
  });

  it('refuses no event types and unknown event types', () => {
    spec.given([]).when(create({ eventTypes: [] })).thenRefused('WEBHOOK_ENDPOINT.INVALID_EVENT_TYPES');
    spec.given([]).when(create({ eventTypes: ['cluster.funded', 'cluster.exploded'] })).thenRefused('WEBHOOK_ENDPOINT.INVALID_EVENT_TYPES');
    spec.given([]).when(create({ eventTypes: ['webhook.test'] })).thenRefused('WEBHOOK_ENDPOINT.INVALID_EVENT_TYPES');
  });

  it('refuses a description over 200 characters', () => {
    spec.given([]).when(create({ description: 'x'.repeat(201) })).thenRefused('WEBHOOK_ENDPOINT.INVALID_DESCRIPTION');
  });

  it('rotates the secret: the previous one signs until the overlap ends', () => {
    spec
      .given([created])
      .when({ type: 'RotateWebhookEndpointSecret', secretFingerprint: 'bbbbbbbb', overlapMs: 86_400_000, at: t1 })
      .then([
        {
          type: 'WebhookEndpointSecretRotated',
          webhookEndpointId: id,
          organizationId: org,
          secretFingerprint: 'bbbbbbbb',
          previousSecretFingerprint: 'aaaaaaaa',
          previousSecretExpiresAt: new Date('2026-12-02T11:00:00Z'),
          at: t1,
        },
      ]);
  });

  it('refuses to rotate or delete an endpoint that does not exist; rotating a deleted one too', () => {
    spec.given([]).when({ type: 'RotateWebhookEndpointSecret', secretFingerprint: 'b', overlapMs: 0, at: t1 }).thenRefused('WEBHOOK_ENDPOINT.NOT_FOUND');
    spec.given([]).when({ type: 'DeleteWebhookEndpoint', at: t1 }).thenRefused('WEBHOOK_ENDPOINT.NOT_FOUND');
    const deleted: WebhookEndpointEvent = { type: 'WebhookEndpointDeleted', webhookEndpointId: id, organizationId: org, at: t1 };
    spec.given([created, deleted]).when({ type: 'RotateWebhookEndpointSecret', secretFingerprint: 'b', overlapMs: 0, at: t1 }).thenRefused('WEBHOOK_ENDPOINT.NOT_FOUND');
  });

  it('deletes once: deleting a deleted endpoint decides nothing', () => {
    const deleted: WebhookEndpointEvent = { type: 'WebhookEndpointDeleted', webhookEndpointId: id, organizationId: org, at: t1 };
    spec.given([created]).when({ type: 'DeleteWebhookEndpoint', at: t1 }).then([deleted]);
    spec.given([created, deleted]).when({ type: 'DeleteWebhookEndpoint', at: t1 }).then([]);
  });

  it('disables an active endpoint once; a disabled or deleted one stays as it is', () => {
    const command = { type: 'DisableWebhookEndpoint' as const, reason: 'deliveries_failing' as const, lastDeliveryId: 'd-1', failedAttempts: 8, failingSince: t0, at: t1 };
    spec.given([created]).when(command).then([disabled]);
    spec.given([created, disabled]).when(command).then([]);
    spec.given([created, { type: 'WebhookEndpointDeleted', webhookEndpointId: id, organizationId: org, at: t1 }]).when(command).then([]);
  });

  it('a disabled endpoint can still be deleted', () => {
    spec.given([created, disabled]).when({ type: 'DeleteWebhookEndpoint', at: t1 }).then([{ type: 'WebhookEndpointDeleted', webhookEndpointId: id, organizationId: org, at: t1 }]);
  });
});
