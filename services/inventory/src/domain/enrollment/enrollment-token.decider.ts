import { isSolanaAddress } from '@ionet/contracts';
import type { ConnectivityTier, PricePerGpuHour, SecurityTier } from '../device/device.decider';
import { InventoryError } from '../shared/inventory.errors';

/** What a token may preset for the device it enrolls (ADR 0400); anything absent takes the
 *  platform's default (price) or the agent's measurement (connectivity) or `standard` (security). */
export interface EnrollmentDefaults {
  askPricePerGpuHour: PricePerGpuHour | null;
  connectivityTier: ConnectivityTier | null;
  securityTier: SecurityTier | null;
  /** Null: the supplier's payout wallet. */
  payoutWallet: string | null;
}

/** A token lives at most 30 days: an enrollment secret is a credential, not a bookmark. */
export const ENROLLMENT_TOKEN_TTL_SECONDS_MAX = 30 * 24 * 3600;
/** The SHA-256 of the token's secret part. */
const SECRET_HASH_BYTES = 32;

export type EnrollmentTokenEvent =
  | {
      type: 'EnrollmentTokenIssued';
      enrollmentTokenId: string;
      supplierId: string;
      tenantId: string;
      secretSha256: Uint8Array;
      expiresAt: Date;
      defaults: EnrollmentDefaults;
      /** Bound to an existing device (a partner network's): enrolling attaches the agent to it. */
      deviceId: string | null;
      at: Date;
    }
  | { type: 'EnrollmentTokenRedeemed'; enrollmentTokenId: string; supplierId: string; deviceId: string; agentPublicKey: string; at: Date };

export type EnrollmentTokenCommand =
  | {
      type: 'IssueEnrollmentToken';
      enrollmentTokenId: string;
      secretSha256: Uint8Array;
      /** The supplier as the handler loaded it (undefined when it does not exist for the caller). */
      supplier: { supplierId: string; tenantId: string; payoutWallet: string | null } | undefined;
      ttlSeconds: number;
      defaults: EnrollmentDefaults;
      deviceId: string | null;
      at: Date;
    }
  | {
      type: 'RedeemEnrollmentToken';
      enrollmentTokenId: string;
      /** The SHA-256 of the secret the agent presented. */
      secretSha256: Uint8Array;
      agentPublicKey: string;
      /** The device a fresh redemption creates (derived from the token id), unless the token is bound. */
      deviceId: string;
      at: Date;
    };

export type EnrollmentTokenState =
  | { status: 'absent' }
  | {
      status: 'issued' | 'redeemed';
      enrollmentTokenId: string;
      supplierId: string;
      tenantId: string;
      secretSha256: Uint8Array;
      expiresAt: Date;
      defaults: EnrollmentDefaults;
      boundDeviceId: string | null;
      redeemedBy: { agentPublicKey: string; deviceId: string } | null;
    };

export const initialEnrollmentTokenState: EnrollmentTokenState = { status: 'absent' };

export function decideEnrollmentToken(command: EnrollmentTokenCommand, state: EnrollmentTokenState): EnrollmentTokenEvent[] {
  switch (command.type) {
    case 'IssueEnrollmentToken': {
      if (state.status !== 'absent') throw new InventoryError('INVENTORY.ENROLLMENT_TOKEN_ALREADY_EXISTS', `enrollment token ${command.enrollmentTokenId} was issued already (its secret was shown once)`);
      const supplier = command.supplier;
      if (!supplier) throw new InventoryError('SUPPLIER.NOT_FOUND', 'no such supplier');
      if (command.secretSha256.length !== SECRET_HASH_BYTES) throw new Error('an enrollment token is stored as the 32-byte SHA-256 of its secret');
      if (!Number.isSafeInteger(command.ttlSeconds) || command.ttlSeconds < 60 || command.ttlSeconds > ENROLLMENT_TOKEN_TTL_SECONDS_MAX) {
        throw new InventoryError('INVENTORY.INVALID_ENROLLMENT_TOKEN_TTL', `expiresInSeconds must be an integer from 60 to ${ENROLLMENT_TOKEN_TTL_SECONDS_MAX}`);
      }
      const wallet = command.defaults.payoutWallet ?? supplier.payoutWallet;
      if (!wallet || !isSolanaAddress(wallet)) {
        throw new InventoryError('DEVICE.INVALID_WALLET', "the enrolled device needs a payout wallet: set the supplier's, or give one in the token's deviceDefaults");
      }
      return [
        {
          type: 'EnrollmentTokenIssued',
          enrollmentTokenId: command.enrollmentTokenId,
          supplierId: supplier.supplierId,
          tenantId: supplier.tenantId,
          secretSha256: command.secretSha256,
          expiresAt: new Date(command.at.getTime() + command.ttlSeconds * 1000),
          defaults: command.defaults,
          deviceId: command.deviceId,
          at: command.at,
        },
      ];
    }
    case 'RedeemEnrollmentToken': {
      // A wrong secret reads as an unknown token: ids cannot be probed with guesses.
      if (state.status === 'absent' || !sameBytes(state.secretSha256, command.secretSha256)) {
        throw new InventoryError('INVENTORY.ENROLLMENT_TOKEN_NOT_FOUND', 'no such enrollment token: ask your supplier account for a new one');
      }
      if (state.redeemedBy) {
        // The same agent retrying (a lost answer, a crash between the two appends) gets its device again.
        if (state.redeemedBy.agentPublicKey === command.agentPublicKey) return [];
        throw new InventoryError('INVENTORY.ENROLLMENT_TOKEN_USED', 'this enrollment token was already used by another agent key; tokens are single use');
      }
      if (command.at.getTime() >= state.expiresAt.getTime()) {
        throw new InventoryError('INVENTORY.ENROLLMENT_TOKEN_EXPIRED', `this enrollment token expired at ${state.expiresAt.toISOString()}; issue a new one`);
      }
      return [
        {
          type: 'EnrollmentTokenRedeemed',
          enrollmentTokenId: state.enrollmentTokenId,
          supplierId: state.supplierId,
          deviceId: state.boundDeviceId ?? command.deviceId,
          agentPublicKey: command.agentPublicKey,
          at: command.at,
        },
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export function evolveEnrollmentToken(state: EnrollmentTokenState, event: EnrollmentTokenEvent): EnrollmentTokenState {
  switch (event.type) {
    case 'EnrollmentTokenIssued':
      return {
        status: 'issued',
        enrollmentTokenId: event.enrollmentTokenId,
        supplierId: event.supplierId,
        tenantId: event.tenantId,
        secretSha256: event.secretSha256,
        expiresAt: event.expiresAt,
        defaults: event.defaults,
        boundDeviceId: event.deviceId,
        redeemedBy: null,
      };
    case 'EnrollmentTokenRedeemed':
      return state.status === 'absent' ? state : { ...state, status: 'redeemed', redeemedBy: { agentPublicKey: event.agentPublicKey, deviceId: event.deviceId } };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Constant time in the length of the hash: the comparison leaks nothing about a guess. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
