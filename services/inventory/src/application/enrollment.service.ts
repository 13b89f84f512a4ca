import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { CONFIG, DomainError, ProblemError, canAccessTenant, problem, type AuthContext } from '@ionet/platform';
import { CommandHandlers, derivedId, newStreamIdFor, type CommandCause } from '@ionet/eventing';
import { decideDevice, type DeviceCommand, type DeviceState, type DeviceStatus } from '../domain/device/device.decider';
import { deviceFromAgentSpec, type AgentSpec } from '../domain/enrollment/agent-spec';
import type { EnrollmentDefaults } from '../domain/enrollment/enrollment-token.decider';
import { InventoryError } from '../domain/shared/inventory.errors';
import type { InventoryConfig } from '../inventory.config';
import { deviceAggregate, enrollmentTokenAggregate, supplierAggregate } from './inventory-aggregates';

/** `ionet_enroll_<token id, 32 hex>_<secret, 32 random bytes base64url>`: the id finds the token's
 *  stream, only the secret's SHA-256 is stored (ADR 0402). */
const TOKEN_PATTERN = /^ionet_enroll_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  enrollmentTokenId: string;
  token: string;
  supplierId: string;
  expiresAt: Date;
  deviceDefaults: EnrollmentDefaults;
  deviceId: string | null;
}

export interface Enrolled {
  deviceId: string;
  supplierId: string;
  status: DeviceStatus;
  statusReason: string;
}

@Injectable()
export class EnrollmentService {
  constructor(
    private readonly handlers: CommandHandlers,
    @Inject(CONFIG) private readonly config: InventoryConfig,
  ) {}

  /** Issues a single-use token for the caller's own supplier; the answer is the only place the token appears. */
  async issue(
    caller: AuthContext,
    supplierId: string,
    input: { ttlSeconds?: number; defaults: EnrollmentDefaults; deviceId?: string; idempotency?: { tenantId: string; key: string } },
    cause: CommandCause,
    at: Date,
  ): Promise<IssuedToken> {
    const supplier = await this.handlers.for(supplierAggregate).load(supplierId);
    const owned = supplier.state.status === 'registered' && canAccessTenant(caller, supplier.state.tenantId) ? supplier.state : undefined;
    const enrollmentTokenId = newStreamIdFor('enrollment-token', input.idempotency);
    const secret = randomBytes(32).toString('base64url');
    const result = await this.handlers.for(enrollmentTokenAggregate).handle(
      enrollmentTokenId,
      {
        type: 'IssueEnrollmentToken',
        enrollmentTokenId,
        secretSha256: sha256(secret),
        supplier: owned,
        ttlSeconds: input.ttlSeconds ?? this.config.ENROLLMENT_TOKEN_TTL_SECONDS,
        defaults: input.defaults,
        deviceId: input.deviceId ?? null,
        at,
      },
      cause,
    );
    const issued = result.events[0];
    if (issued?.type !== 'EnrollmentTokenIssued') throw new Error('issuing a token appends EnrollmentTokenIssued');
    return {
      enrollmentTokenId,
      token: `ionet_enroll_${enrollmentTokenId.replace(/-/g, '')}_${secret}`,
      supplierId: issued.supplierId,
      expiresAt: issued.expiresAt,
      deviceDefaults: issued.defaults,
      deviceId: issued.deviceId,
    };
  }

  /**
   * Redeems the token for the signing agent's key and registers its device (or attaches the key to
   * the partner device the token is bound to). Everything that could refuse the device is decided
   * before the token is used up, so a refused spec leaves the token valid. The same key retrying
   * gets the same device; another key gets 409 (ADR 0402).
   */
  async enroll(agentAddress: string, body: { token: string; publicKey: string; spec: AgentSpec }, cause: CommandCause, at: Date): Promise<Enrolled> {
    if (body.publicKey !== agentAddress) {
      throw new DomainError('AGENT.KEY_MISMATCH', 'publicKey must be the key that signed this request', {}, 'invalid');
    }
    const parsed = TOKEN_PATTERN.exec(body.token);
    if (!parsed) throw new InventoryError('INVENTORY.ENROLLMENT_TOKEN_NOT_FOUND', 'no such enrollment token: ask your supplier account for a new one');
    const enrollmentTokenId = uuidOf(parsed[1]!);
    const secretSha256 = sha256(parsed[2]!);
    const tokens = this.handlers.for(enrollmentTokenAggregate);
    const token = await tokens.load(enrollmentTokenId);
    const redeem = { type: 'RedeemEnrollmentToken' as const, enrollmentTokenId, secretSha256, agentPublicKey: agentAddress, deviceId: derivedId('stream', 'device', 'enrollment', enrollmentTokenId), at };
    // Refusals of the token itself (unknown, used by another key, expired) come first.
    const decided = expiredIsGone(() => tokens.aggregate.decider.decide(redeem, token.state));
    if (token.state.status === 'absent') throw new Error('a redeemable token has been issued');
    const deviceId = decided[0]?.type === 'EnrollmentTokenRedeemed' ? decided[0].deviceId : token.state.redeemedBy!.deviceId;
    const supplier = await this.handlers.for(supplierAggregate).load(token.state.supplierId);
    if (supplier.state.status !== 'registered') throw new Error(`enrollment token ${enrollmentTokenId} names supplier ${token.state.supplierId}, which has no stream`);
    const { spec, simulated, details } = deviceFromAgentSpec(body.spec, token.state.defaults, this.config.ALLOW_SIMULATED_DEVICES);
    const command: DeviceCommand = token.state.boundDeviceId
      ? { type: 'AttachAgent', deviceId, agentPublicKey: agentAddress, enrollmentTokenId, simulated, detected: { gpu: spec.gpu }, agent: details, at }
      : {
          type: 'RegisterDevice',
          deviceId,
          agentPublicKey: agentAddress,
          spec,
          askPricePerGpuHour: token.state.defaults.askPricePerGpuHour ?? { amountBaseUnits: this.config.DEFAULT_ASK_PRICE_USDC_BASE_UNITS, asset: 'USDC' },
          ...(token.state.defaults.payoutWallet ? { payoutWallet: token.state.defaults.payoutWallet } : {}),
          supplier: supplier.state,
          simulated,
          enrollmentTokenId,
          agent: details,
          at,
        };
    const devices = this.handlers.for(deviceAggregate);
    const device = await devices.load(deviceId);
    const done = enrolledAs(device.state, agentAddress);
    if (done) return done;
    // A dry run: the device decider's refusal (a spec out of bounds, a mismatch with the partner's
    // declaration) must come before the token is spent.
    try {
      decideDevice(command, device.state);
    } catch (err) {
      // Another key may have redeemed the token (and registered the device) between our two loads:
      // then the token's refusal is the answer, not the device's.
      const fresh = await tokens.load(enrollmentTokenId);
      expiredIsGone(() => tokens.aggregate.decider.decide(redeem, fresh.state));
      throw err;
    }
    await tokens.handle(enrollmentTokenId, redeem, cause);
    try {
      const result = await devices.handle(deviceId, command, cause);
      return enrolledAs(result.state, agentAddress)!;
    } catch (err) {
      // The same key's concurrent retry registered it first.
      const again = enrolledAs((await devices.load(deviceId)).state, agentAddress);
      if (again) return again;
      throw err;
    }
  }
}

function enrolledAs(state: DeviceState, agentAddress: string): Enrolled | undefined {
  if (state.status !== 'registered' || state.agentPublicKey !== agentAddress) return undefined;
  return { deviceId: state.deviceId, supplierId: state.supplierId, status: state.lifecycle.status, statusReason: state.lifecycle.statusReason };
}

/** An expired token is gone for good (410), not a refusal a retry could change. */
function expiredIsGone<T>(decide: () => T): T {
  try {
    return decide();
  } catch (err) {
    if (err instanceof InventoryError && err.code === 'INVENTORY.ENROLLMENT_TOKEN_EXPIRED') throw new ProblemError(problem(410, err.code, err.detail));
    throw err;
  }
}

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
