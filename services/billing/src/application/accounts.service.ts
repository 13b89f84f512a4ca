import { Injectable } from '@nestjs/common';
import { newEventId } from '@ionet/contracts';
import { canAccessTenant, displayPrefixOf, generateApiKey, hashApiKey, type AuthContext } from '@ionet/platform';
import { v5 as uuidv5 } from 'uuid';
import { decideApiKey, scopesAllowedFor, type ApiKeyScope } from '../domain/api-key/api-key.decider';
import { decideOrganization, type OrganizationKind } from '../domain/organization/organization.decider';
import { BillingError } from '../domain/shared/billing.errors';
import { apiKeyEventToWire, organizationEventToWire } from '../infrastructure/messaging/billing-event-codec';
import { BillingStreams } from './billing-streams';

export interface Organization {
  organizationId: string;
  name: string;
  kind: OrganizationKind;
  createdAt: Date;
}

export interface IssuedKey {
  apiKeyId: string;
  organizationId: string;
  /** The key itself: in this answer only, never stored or published. */
  key: string;
  displayPrefix: string;
  scopes: ApiKeyScope[];
  label: string;
  issuedAt: Date;
}

export interface Me {
  apiKeyId: string;
  scopes: string[];
  /** Null for the bootstrap ops key, which belongs to no organization. */
  organization: Organization | null;
}

/** Namespace of API key ids derived from an Idempotency-Key (uuid v5). */
const API_KEY_ID_NAMESPACE = '4c1b7f0e-9a53-4d8e-b3a2-6f1e0c5d7a91';

@Injectable()
export class AccountsService {
  constructor(private readonly streams: BillingStreams) {}

  async createOrganization(input: { name: string; kind: OrganizationKind }, correlationId: string): Promise<Organization> {
    // The edge, not the domain, reads the clock and makes ids.
    const organizationId = newEventId();
    const { state, expectedVersion } = await this.streams.loadOrganization(organizationId);
    const events = decideOrganization({ type: 'CreateOrganization', organizationId, name: input.name, kind: input.kind, at: new Date() }, state);
    await this.streams.append('organization', organizationId, expectedVersion, events.map(organizationEventToWire), correlationId);
    const created = events[0]!;
    return { organizationId, name: created.name, kind: created.kind, createdAt: created.at };
  }

  /** Ops may issue for any organization, an organization's key only for its own; another tenant's
   *  organization reads as absent, so ids cannot be probed. With an Idempotency-Key the key id is
   *  derived from it, so a retry issues nothing twice (and answers 409: the key is never stored to
   *  be replayed, ADR 0301). */
  async issueApiKey(
    caller: AuthContext,
    organizationId: string,
    input: { scopes?: ApiKeyScope[]; label?: string },
    idempotencyKey: string | undefined,
    correlationId: string,
  ): Promise<IssuedKey> {
    if (!canAccessTenant(caller, organizationId)) throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const organization = await this.streams.loadOrganization(organizationId);
    if (organization.state.status !== 'active') throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const apiKeyId = idempotencyKey ? uuidv5(`${caller.tenantId}\n${organizationId}\n${idempotencyKey}`, API_KEY_ID_NAMESPACE) : newEventId();
    const key = generateApiKey(input.scopes?.[0] ?? scopesAllowedFor(organization.state.kind)[0]!);
    const { state, expectedVersion } = await this.streams.loadApiKey(apiKeyId);
    const events = decideApiKey(
      {
        type: 'IssueApiKey',
        apiKeyId,
        keyHash: hashApiKey(key),
        displayPrefix: displayPrefixOf(key),
        ...(input.scopes ? { scopes: input.scopes } : {}),
        ...(input.label !== undefined ? { label: input.label } : {}),
        organization: organization.state,
        organizationId,
        at: new Date(),
      },
      state,
    );
    await this.streams.append('api_key', apiKeyId, expectedVersion, events.map(apiKeyEventToWire), correlationId);
    const issued = events[0]!;
    if (issued.type !== 'ApiKeyIssued') throw new Error(`issuing a key decided ${issued.type}`);
    return { apiKeyId, organizationId, key, displayPrefix: issued.displayPrefix, scopes: issued.scopes, label: issued.label, issuedAt: issued.at };
  }

  /** Ops may revoke any key, an organization's key those of its own organization. Revoking a
   *  revoked key succeeds and changes nothing. */
  async revokeApiKey(caller: AuthContext, apiKeyId: string, correlationId: string): Promise<void> {
    const { state, expectedVersion } = await this.streams.loadApiKey(apiKeyId);
    if (state.status === 'absent' || !canAccessTenant(caller, state.organizationId)) throw new BillingError('API_KEY.NOT_FOUND', `No API key ${apiKeyId}.`);
    const events = decideApiKey({ type: 'RevokeApiKey', apiKeyId, at: new Date() }, state);
    await this.streams.append('api_key', apiKeyId, expectedVersion, events.map(apiKeyEventToWire), correlationId);
  }

  async me(caller: AuthContext): Promise<Me> {
    const { state } = await this.streams.loadOrganization(caller.tenantId);
    return {
      apiKeyId: caller.keyId,
      scopes: caller.scopes,
      organization: state.status === 'active' ? { organizationId: state.organizationId, name: state.name, kind: state.kind, createdAt: state.createdAt } : null,
    };
  }
}
