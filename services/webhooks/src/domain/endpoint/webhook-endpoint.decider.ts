import { WebhooksError } from '../shared/webhooks.errors';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './event-types';

export const WEBHOOK_URL_LENGTH_MAX = 2_048;
export const WEBHOOK_DESCRIPTION_LENGTH_MAX = 200;
/** The default time both secrets sign after a rotation: receivers have a day to switch. */
export const SECRET_OVERLAP_MS_DEFAULT = 24 * 3_600_000;

export const WEBHOOK_ENDPOINT_DISABLED_REASONS = ['deliveries_failing'] as const;
export type WebhookEndpointDisabledReason = (typeof WEBHOOK_ENDPOINT_DISABLED_REASONS)[number];

export type WebhookEndpointEvent =
  | {
      type: 'WebhookEndpointCreated';
      webhookEndpointId: string;
      organizationId: string;
      url: string;
      eventTypes: WebhookEventType[];
      description: string;
      secretFingerprint: string;
      at: Date;
    }
  | {
      type: 'WebhookEndpointSecretRotated';
      webhookEndpointId: string;
      organizationId: string;
      secretFingerprint: string;
      previousSecretFingerprint: string;
      previousSecretExpiresAt: Date;
      at: Date;
    }
  | { type: 'WebhookEndpointDeleted'; webhookEndpointId: string; organizationId: string; at: Date }
  | {
      type: 'WebhookEndpointDisabled';
      webhookEndpointId: string;
      organizationId: string;
      reason: WebhookEndpointDisabledReason;
      lastDeliveryId: string;
      failedAttempts: number;
      failingSince: Date;
      at: Date;
    };

/** Commands carry their ids, time and the new secret's fingerprint: the domain reads no clock and
 *  generates nothing. */
export type WebhookEndpointCommand =
  | {
      type: 'CreateWebhookEndpoint';
      webhookEndpointId: string;
      organizationId: string;
      url: string;
      eventTypes: string[];
      description?: string;
      secretFingerprint: string;
      at: Date;
    }
  | { type: 'RotateWebhookEndpointSecret'; secretFingerprint: string; overlapMs: number; at: Date }
  | { type: 'DeleteWebhookEndpoint'; at: Date }
  | { type: 'DisableWebhookEndpoint'; reason: WebhookEndpointDisabledReason; lastDeliveryId: string; failedAttempts: number; failingSince: Date; at: Date };

export type WebhookEndpointStatus = 'active' | 'disabled' | 'deleted';

export type WebhookEndpointState =
  | { status: 'absent' }
  | {
      status: WebhookEndpointStatus;
      webhookEndpointId: string;
      organizationId: string;
      url: string;
      eventTypes: WebhookEventType[];
      description: string;
      secretFingerprint: string;
      previousSecret?: { fingerprint: string; expiresAt: Date };
      createdAt: Date;
      disabledAt?: Date;
      deletedAt?: Date;
    };

export const initialWebhookEndpointState: WebhookEndpointState = { status: 'absent' };

export function decideWebhookEndpoint(command: WebhookEndpointCommand, state: WebhookEndpointState): WebhookEndpointEvent[] {
  switch (command.type) {
    case 'CreateWebhookEndpoint': {
      if (state.status !== 'absent') throw new WebhooksError('WEBHOOK_ENDPOINT.ALREADY_EXISTS', `webhook endpoint ${command.webhookEndpointId} already exists`);
      const url = checkedUrl(command.url);
      const eventTypes = checkedEventTypes(command.eventTypes);
      const description = (command.description ?? '').trim();
      if (description.length > WEBHOOK_DESCRIPTION_LENGTH_MAX) {
        throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_DESCRIPTION', `description must be at most ${WEBHOOK_DESCRIPTION_LENGTH_MAX} characters`);
      }
      return [
        {
          type: 'WebhookEndpointCreated',
          webhookEndpointId: command.webhookEndpointId,
          organizationId: command.organizationId,
          url,
          eventTypes,
          description,
          secretFingerprint: command.secretFingerprint,
          at: command.at,
        },
      ];
    }
    case 'RotateWebhookEndpointSecret': {
      if (state.status === 'absent' || state.status === 'deleted') throw new WebhooksError('WEBHOOK_ENDPOINT.NOT_FOUND', 'no such webhook endpoint');
      if (!Number.isSafeInteger(command.overlapMs) || command.overlapMs < 0) throw new Error(`overlapMs must be a non-negative integer, got ${command.overlapMs}`);
      return [
        {
          type: 'WebhookEndpointSecretRotated',
          webhookEndpointId: state.webhookEndpointId,
          organizationId: state.organizationId,
          secretFingerprint: command.secretFingerprint,
          previousSecretFingerprint: state.secretFingerprint,
          previousSecretExpiresAt: new Date(command.at.getTime() + command.overlapMs),
          at: command.at,
        },
      ];
    }
    case 'DeleteWebhookEndpoint': {
      if (state.status === 'absent') throw new WebhooksError('WEBHOOK_ENDPOINT.NOT_FOUND', 'no such webhook endpoint');
      if (state.status === 'deleted') return [];
      return [{ type: 'WebhookEndpointDeleted', webhookEndpointId: state.webhookEndpointId, organizationId: state.organizationId, at: command.at }];
    }
    case 'DisableWebhookEndpoint': {
      // Disabling is the outcome of failed deliveries, decided at most once: a disabled or deleted
      // endpoint stays as it is.
      if (state.status !== 'active') return [];
      return [
        {
          type: 'WebhookEndpointDisabled',
          webhookEndpointId: state.webhookEndpointId,
          organizationId: state.organizationId,
          reason: command.reason,
          lastDeliveryId: command.lastDeliveryId,
          failedAttempts: command.failedAttempts,
          failingSince: command.failingSince,
          at: command.at,
        },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${String((unhandled as { type: string }).type)}`);
    }
  }
}

export function evolveWebhookEndpoint(state: WebhookEndpointState, event: WebhookEndpointEvent): WebhookEndpointState {
  switch (event.type) {
    case 'WebhookEndpointCreated':
      return {
        status: 'active',
        webhookEndpointId: event.webhookEndpointId,
        organizationId: event.organizationId,
        url: event.url,
        eventTypes: event.eventTypes,
        description: event.description,
        secretFingerprint: event.secretFingerprint,
        createdAt: event.at,
      };
    case 'WebhookEndpointSecretRotated':
      if (state.status === 'absent') return state;
      return { ...state, secretFingerprint: event.secretFingerprint, previousSecret: { fingerprint: event.previousSecretFingerprint, expiresAt: event.previousSecretExpiresAt } };
    case 'WebhookEndpointDeleted':
      if (state.status === 'absent') return state;
      return { ...state, status: 'deleted', deletedAt: event.at };
    case 'WebhookEndpointDisabled':
      if (state.status === 'absent') return state;
      return { ...state, status: 'disabled', disabledAt: event.at };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${String((unhandled as { type: string }).type)}`);
    }
  }
}

/** The URL's shape only; where it points (private, loopback, metadata) is checked against DNS at
 *  the edge and again before every attempt. */
function checkedUrl(raw: string): string {
  const text = raw.trim();
  if (text.length === 0 || text.length > WEBHOOK_URL_LENGTH_MAX) throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', `url must be 1 to ${WEBHOOK_URL_LENGTH_MAX} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', 'url is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', 'url must use https (or http)');
  if (url.username || url.password) throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', 'url must not carry credentials; verify the signature instead');
  if (url.hash) throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', 'url must not have a fragment');
  return url.toString();
}

function checkedEventTypes(types: string[]): WebhookEventType[] {
  if (types.length === 0) throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_EVENT_TYPES', 'eventTypes must name at least one event type');
  const unknown = types.filter((t) => !isWebhookEventType(t));
  if (unknown.length) throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_EVENT_TYPES', `unknown event types ${unknown.join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  // Stored in the catalogue's order, once each: the same subscription reads the same however it was sent.
  return WEBHOOK_EVENT_TYPES.filter((t) => types.includes(t));
}
