import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of a webhooks command, with a stable code (mapped to problem+json at the edge). */
export class WebhooksError extends CodedError {
  get kind(): ErrorKind {
    return kindOfReason(this.code);
  }

  constructor(
    readonly code: WebhooksErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'WebhooksError';
  }
}

export type WebhooksErrorCode =
  | 'WEBHOOK_ENDPOINT.NOT_FOUND'
  | 'WEBHOOK_ENDPOINT.ALREADY_EXISTS'
  | 'WEBHOOK_ENDPOINT.INVALID_URL'
  | 'WEBHOOK_ENDPOINT.PRIVATE_TARGET'
  | 'WEBHOOK_ENDPOINT.INVALID_EVENT_TYPES'
  | 'WEBHOOK_ENDPOINT.INVALID_DESCRIPTION'
  | 'WEBHOOK_ENDPOINT.DISABLED'
  | 'WEBHOOK_ENDPOINT.LIMIT_REACHED'
  | 'WEBHOOK_DELIVERY.NOT_FOUND';
