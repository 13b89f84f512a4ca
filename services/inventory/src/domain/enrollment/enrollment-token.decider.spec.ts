import { deciderSpec } from '@ionet/testing';
import { decideEnrollmentToken, evolveEnrollmentToken, initialEnrollmentTokenState, type EnrollmentDefaults, type EnrollmentTokenCommand, type EnrollmentTokenEvent } from './enrollment-token.decider';

const spec = deciderSpec({ decide: decideEnrollmentToken, evolve: evolveEnrollmentToken, initialState: initialEnrollmentTokenState });
const at = new Date('2026-12-01T10:00:00Z');
const WALLET = '11111111111111111111111111111111';
const KEY_A = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const KEY_B = 'So11111111111111111111111111111111111111112';
/** Stands for the SHA-256 of a secret (the handler hashes; the decider compares 32 bytes). */
const hash = (secret: string) => new Uint8Array(32).fill(secret.length * 7 + secret.charCodeAt(0));
const none: EnrollmentDefaults = { askPricePerGpuHour: null, connectivityTier: null, securityTier: null, payoutWallet: null };
const supplier = { supplierId: 'sup-1', tenantId: 'tenant-a', payoutWallet: WALLET };

const issue = (overrides: Partial<Extract<EnrollmentTokenCommand, { type: 'IssueEnrollmentToken' }>> = {}): EnrollmentTokenCommand => ({
  type: 'IssueEnrollmentToken',
  enrollmentTokenId: 'tok-1',
  secretSha256: hash('secret'),
  supplier,
  ttlSeconds: 3600,
  defaults: none,
  deviceId: null,
  at,
  ...overrides,
});
const issued: EnrollmentTokenEvent = {
  type: 'EnrollmentTokenIssued',
  enrollmentTokenId: 'tok-1',
  supplierId: 'sup-1',
  tenantId: 'tenant-a',
  secretSha256: hash('secret'),
  expiresAt: new Date(at.getTime() + 3600_000),
  defaults: none,
  deviceId: null,
  at,
};
const redeem = (agentPublicKey: string, overrides: Partial<Extract<EnrollmentTokenCommand, { type: 'RedeemEnrollmentToken' }>> = {}): EnrollmentTokenCommand => ({
  type: 'RedeemEnrollmentToken',
  enrollmentTokenId: 'tok-1',
  secretSha256: hash('secret'),
  agentPublicKey,
  deviceId: 'dev-1',
  at: new Date(at.getTime() + 60_000),
  ...overrides,
});
const redeemedByA: EnrollmentTokenEvent = { type: 'EnrollmentTokenRedeemed', enrollmentTokenId: 'tok-1', supplierId: 'sup-1', deviceId: 'dev-1', agentPublicKey: KEY_A, at: new Date(at.getTime() + 60_000) };

describe('enrollment token decider (ADR 0402)', () => {
  it('issues a token for an existing supplier, stored as the hash of its secret, expiring after its TTL', () => {
    spec.given([]).when(issue()).then([issued]);
    spec.given([issued]).when(issue()).thenRefused('INVENTORY.ENROLLMENT_TOKEN_ALREADY_EXISTS');
    spec.given([]).when(issue({ supplier: undefined })).thenRefused('SUPPLIER.NOT_FOUND');
    spec.given([]).when(issue({ ttlSeconds: 59 })).thenRefused('INVENTORY.INVALID_ENROLLMENT_TOKEN_TTL');
    spec.given([]).when(issue({ ttlSeconds: 31 * 24 * 3600 })).thenRefused('INVENTORY.INVALID_ENROLLMENT_TOKEN_TTL');
  });

  it('needs a payout wallet for the device it enrolls: the supplier\'s or the token\'s own', () => {
    spec.given([]).when(issue({ supplier: { ...supplier, payoutWallet: null } })).thenRefused('DEVICE.INVALID_WALLET');
    const withWallet = { ...none, payoutWallet: WALLET };
    spec.given([]).when(issue({ supplier: { ...supplier, payoutWallet: null }, defaults: withWallet })).then([{ ...issued, defaults: withWallet } as EnrollmentTokenEvent]);
  });

  it('is redeemed once; the same key again decides nothing (a retry), another key is refused', () => {
    spec.given([issued]).when(redeem(KEY_A)).then([redeemedByA]);
    spec.given([issued, redeemedByA]).when(redeem(KEY_A)).then([]);
    spec.given([issued, redeemedByA]).when(redeem(KEY_B)).thenRefused('INVENTORY.ENROLLMENT_TOKEN_USED');
  });

  it('reads a wrong secret as an unknown token, and refuses a token past its expiry', () => {
    spec.given([]).when(redeem(KEY_A)).thenRefused('INVENTORY.ENROLLMENT_TOKEN_NOT_FOUND');
    spec.given([issued]).when(redeem(KEY_A, { secretSha256: hash('guess') })).thenRefused('INVENTORY.ENROLLMENT_TOKEN_NOT_FOUND');
    spec.given([issued]).when(redeem(KEY_A, { at: new Date(at.getTime() + 3600_000) })).thenRefused('INVENTORY.ENROLLMENT_TOKEN_EXPIRED');
    spec.given([issued]).when(redeem(KEY_A, { at: new Date(at.getTime() + 3599_999) })).then([{ ...redeemedByA, at: new Date(at.getTime() + 3599_999) } as EnrollmentTokenEvent]);
    // A used token stays the same key's after expiry: its retry still finds its device.
    spec.given([issued, redeemedByA]).when(redeem(KEY_A, { at: new Date(at.getTime() + 7200_000) })).then([]);
  });

  it('redeems a token bound to a partner device for that device, whatever the command proposes', () => {
    const bound = { ...issued, deviceId: 'partner-dev' } as EnrollmentTokenEvent;
    spec.given([bound]).when(redeem(KEY_A)).then([{ ...redeemedByA, deviceId: 'partner-dev' } as EnrollmentTokenEvent]);
  });
});
