import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';
import type { ClusterType, Explain, Placed, SupplySource } from './placement';

/**
 * A quote: devices held for one customer's request until it expires unpaid, or, once leasing made a
 * lease of it, until the lease ends. The stream is the quote's; the single-writer guarantee across
 * quotes (no device in two live reservations) is the reservation table's (ADR 0500).
 */

export type PaymentAsset = 'USDC' | 'IO' | 'CREDIT';
export type ReleaseReason = 'quote_expired_unpaid' | 'lease_ended' | 'cancelled' | 'funding_failed';

export interface QuoteRequest {
  clusterType: ClusterType;
  gpuModel: string;
  gpuCount: number;
  countryCodes: string[];
  connectivityTier: string;
  securityTier: string;
  sources: SupplySource[];
  durationHours: number;
  /** In `maxPriceAsset` base units per GPU-hour. */
  maxPricePerGpuHour?: bigint;
  maxPriceAsset?: PaymentAsset;
  paymentAsset: PaymentAsset;
}

/** Amounts in the payment asset's base units. */
export interface QuotePrice {
  compute: bigint;
  reservationFee: bigint;
  paymentFee: bigint;
  total: bigint;
}

export interface HeldDevice extends Placed {
  /** The price per GPU-hour in the payment asset. */
  pricePerGpuHour: bigint;
  asset: PaymentAsset;
}

export type QuoteEvent =
  | {
      type: 'QuoteHeld';
      quoteId: string;
      requestId: string;
      customerId: string;
      request: QuoteRequest;
      devices: HeldDevice[];
      price: QuotePrice;
      expiresAt: Date;
      at: Date;
    }
  | { type: 'QuoteAccepted'; quoteId: string; requestId: string; leaseId: string; at: Date }
  | { type: 'ReservationReleased'; quoteId: string; requestId: string; deviceIds: string[]; reason: ReleaseReason; leaseId: string; at: Date }
  | { type: 'ReplacementMatched'; quoteId: string; requestId: string; leaseId: string; failedDeviceId: string; replacement: HeldDevice; at: Date }
  | { type: 'ReplacementMatchFailed'; quoteId: string; requestId: string; leaseId: string; failedDeviceId: string; explain: Explain; at: Date };

export type QuoteCommand =
  | Omit<Extract<QuoteEvent, { type: 'QuoteHeld' }>, 'type'> & { type: 'HoldQuote' }
  | { type: 'AcceptQuote'; leaseId: string; at: Date }
  | { type: 'ExpireQuote'; at: Date }
  | { type: 'ReleaseQuote'; reason: 'lease_ended' | 'cancelled' | 'funding_failed'; leaseId: string; at: Date }
  | { type: 'RecordReplacement'; leaseId: string; failedDeviceId: string; outcome: { replacement: HeldDevice } | { explain: Explain }; at: Date };

export interface QuoteState {
  status: 'none' | 'held' | 'leased' | 'released';
  quoteId: string;
  requestId: string;
  customerId: string;
  request?: QuoteRequest;
  devices: HeldDevice[];
  expiresAt: Date;
  leaseId: string;
}

export const initialQuoteState: QuoteState = { status: 'none', quoteId: '', requestId: '', customerId: '', devices: [], expiresAt: new Date(0), leaseId: '' };

export class MatchingError extends CodedError {
  get kind(): ErrorKind {
    return kindOfReason(this.code, 'refused');
  }

  constructor(
    readonly code: 'QUOTE.ALREADY_EXISTS' | 'QUOTE.INVALID' | 'QUOTE.NOT_FOUND' | 'MATCHING.INVALID_REQUEST',
    readonly detail: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
  }
}

export function decideQuote(command: QuoteCommand, state: QuoteState): QuoteEvent[] {
  switch (command.type) {
    case 'HoldQuote': {
      if (state.status !== 'none') throw new MatchingError('QUOTE.ALREADY_EXISTS', `quote ${command.quoteId} exists`);
      if (command.devices.length === 0) throw new MatchingError('QUOTE.INVALID', 'a quote holds at least one device');
      if (new Set(command.devices.map((d) => d.deviceId)).size !== command.devices.length) throw new MatchingError('QUOTE.INVALID', 'a device is held once per quote');
      if (command.expiresAt.getTime() <= command.at.getTime()) throw new MatchingError('QUOTE.INVALID', 'a quote expires after it is made');
      const { type: _type, ...held } = command;
      return [{ type: 'QuoteHeld', ...held }];
    }
    case 'AcceptQuote':
      // Leasing enforces the payment window; a lease of a quote already released holds nothing here.
      if (state.status !== 'held' || command.at.getTime() > state.expiresAt.getTime()) return [];
      return [{ type: 'QuoteAccepted', quoteId: state.quoteId, requestId: state.requestId, leaseId: command.leaseId, at: command.at }];
    case 'ExpireQuote':
      if (state.status !== 'held' || command.at.getTime() < state.expiresAt.getTime()) return [];
      return [released(state, 'quote_expired_unpaid', '', command.at)];
    case 'ReleaseQuote':
      if (state.status === 'none' || state.status === 'released') return [];
      if (state.status === 'leased' && command.leaseId !== state.leaseId) return [];
      return [released(state, command.reason, command.leaseId, command.at)];
    case 'RecordReplacement': {
      if (state.status !== 'leased' || state.leaseId !== command.leaseId) return [];
      if (!state.devices.some((d) => d.deviceId === command.failedDeviceId)) return [];
      const base = { quoteId: state.quoteId, requestId: state.requestId, leaseId: state.leaseId, failedDeviceId: command.failedDeviceId, at: command.at };
      if ('replacement' in command.outcome) {
        if (state.devices.some((d) => d.deviceId === (command.outcome as { replacement: HeldDevice }).replacement.deviceId)) return [];
        return [{ type: 'ReplacementMatched', ...base, replacement: command.outcome.replacement }];
      }
      return [{ type: 'ReplacementMatchFailed', ...base, explain: command.outcome.explain }];
    }
  }
}

function released(state: QuoteState, reason: ReleaseReason, leaseId: string, at: Date): QuoteEvent {
  return { type: 'ReservationReleased', quoteId: state.quoteId, requestId: state.requestId, deviceIds: state.devices.map((d) => d.deviceId), reason, leaseId, at };
}

export function evolveQuote(state: QuoteState, event: QuoteEvent): QuoteState {
  switch (event.type) {
    case 'QuoteHeld':
      return { status: 'held', quoteId: event.quoteId, requestId: event.requestId, customerId: event.customerId, request: event.request, devices: event.devices, expiresAt: event.expiresAt, leaseId: '' };
    case 'QuoteAccepted':
      return { ...state, status: 'leased', leaseId: event.leaseId };
    case 'ReservationReleased':
      return { ...state, status: 'released' };
    case 'ReplacementMatched':
      return {
        ...state,
        devices: state.devices.map((d) => (d.deviceId === event.failedDeviceId ? { ...event.replacement, role: d.role } : d)),
      };
    case 'ReplacementMatchFailed':
      return state;
  }
}

export const quoteDecider = { decide: decideQuote, evolve: evolveQuote, initialState: initialQuoteState };
