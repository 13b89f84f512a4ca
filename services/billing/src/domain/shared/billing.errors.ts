import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of a billing command, with a stable code (mapped to problem+json at the edge). */
export class BillingError extends CodedError {
  get kind(): ErrorKind {
    return kindOfReason(this.code);
  }

  constructor(
    readonly code: BillingErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'BillingError';
  }
}

export type BillingErrorCode =
  | 'ORGANIZATION.ALREADY_EXISTS'
  | 'ORGANIZATION.NOT_FOUND'
  | 'ORGANIZATION.INVALID_NAME'
  | 'API_KEY.ALREADY_EXISTS'
  | 'API_KEY.NOT_FOUND'
  | 'API_KEY.SCOPE_NOT_ALLOWED'
  | 'API_KEY.INVALID_LABEL'
  | 'BILLING.INVALID_AMOUNT'
  | 'BILLING.INVALID_ASSET'
  | 'BILLING.INVALID_PERIOD'
  | 'BILLING.DEPOSIT_EXISTS'
  | 'BILLING.LEASE_NOT_FUNDED'
  | 'BILLING.LEASE_NOT_FOUND'
  | 'BILLING.ESCROW_EXHAUSTED'
  | 'BILLING.PRICE_NOT_CONVERTIBLE'
  | 'BILLING.INVOICE_NOT_FOUND'
  | 'BILLING.INVOICE_EXISTS'
  | 'BILLING.PAYOUT_EXISTS'
  | 'BILLING.CLUSTER_NOT_FOUND';
