import { Injectable } from '@nestjs/common';
import { CommandHandlers, type CommandCause } from '@ionet/eventing';
import { ApiKeyService, canAccessTenant, decodeCursor, displayPrefixOf, generateApiKey, hashApiKey, toPage, type AuthContext, type Page } from '@ionet/platform';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { scopesAllowedFor, type ApiKeyScope } from '../domain/api-key/api-key.decider';
import { type OrganizationKind } from '../domain/organization/organization.decider';
import { BillingError } from '../domain/shared/billing.errors';
import { apiKeyAggregate, organizationAggregate } from './billing-aggregates';

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

export interface ApiKeySummary {
  apiKeyId: string;
  displayPrefix: string;
  scopes: string[];
  label: string;
  issuedAt: Date;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  display_prefix: string;
  scopes: string[];
  label: string;
  created_at: Date;
  revoked_at: Date | null;
}

export interface Me {
  apiKeyId: string;
  organizationId: string;
  scopes: string[];
  /** Null for the bootstrap ops key, which belongs to no organization. */
  organization: Organization | null;
}

@Injectable()
export class AccountsService {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly keys: ApiKeyService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async createOrganization(organizationId: string, input: { name: string; kind: OrganizationKind }, cause: CommandCause, at: Date): Promise<Organization> {
    const result = await this.handlers.for(organizationAggregate).handle(organizationId, { type: 'CreateOrganization', organizationId, name: input.name, kind: input.kind, at }, cause);
    const created = result.events[0]!;
    return { organizationId, name: created.name, kind: created.kind, createdAt: created.at };
  }

  /** Ops may issue for any organization, an organization's key only for its own; another tenant's
   *  organization reads as absent, so ids cannot be probed. The key id comes from the edge (derived
   *  from the Idempotency-Key when there is one): a retry issues nothing and answers 409, since the
   *  key is never stored to be replayed (ADR 0301). */
  async issueApiKey(caller: AuthContext, organizationId: string, apiKeyId: string, input: { scopes?: ApiKeyScope[]; label?: string }, cause: CommandCause, at: Date): Promise<IssuedKey> {
    if (!canAccessTenant(caller, organizationId)) throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const organization = (await this.handlers.for(organizationAggregate).load(organizationId)).state;
    if (organization.status !== 'active') throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const key = generateApiKey(input.scopes?.[0] ?? scopesAllowedFor(organization.kind)[0]!);
    const result = await this.handlers.for(apiKeyAggregate).handle(
      apiKeyId,
      {
        type: 'IssueApiKey',
        apiKeyId,
        keyHash: hashApiKey(key),
        displayPrefix: displayPrefixOf(key),
        ...(input.scopes ? { scopes: input.scopes } : {}),
        ...(input.label !== undefined ? { label: input.label } : {}),
        organization,
        organizationId,
        at,
      },
      cause,
    );
    if (result.duplicate) throw new BillingError('API_KEY.ALREADY_EXISTS', `This Idempotency-Key already issued API key ${apiKeyId}; its key is shown only once. Revoke it and issue another if it was lost.`);
    const issued = result.events[0]!;
    if (issued.type !== 'ApiKeyIssued') throw new Error(`issuing a key decided ${issued.type}`);
    // Billing itself accepts the key at once; other services (and billing's other processes) learn
    // it from ionet.billing.v1 within moments.
    this.keys.applyRows([{ id: apiKeyId, key_hash: issued.keyHash, tenant_id: organizationId, scopes: issued.scopes, revoked_at: null }]);
    return { apiKeyId, organizationId, key, displayPrefix: issued.displayPrefix, scopes: issued.scopes, label: issued.label, issuedAt: issued.at };
  }

  /** Ops may revoke any key, an organization's key those of its own organization. Revoking a
   *  revoked key succeeds and changes nothing. */
  async revokeApiKey(caller: AuthContext, apiKeyId: string, cause: CommandCause, at: Date): Promise<void> {
    const result = await this.handlers.for(apiKeyAggregate).handle(
      apiKeyId,
      (state) => {
        if (state.status === 'absent' || !canAccessTenant(caller, state.organizationId)) throw new BillingError('API_KEY.NOT_FOUND', `No API key ${apiKeyId}.`);
        return { type: 'RevokeApiKey', apiKeyId, at };
      },
      cause,
    );
    if (result.state.status === 'revoked') {
      const { keyHash, organizationId, scopes, revokedAt } = result.state;
      this.keys.applyRows([{ id: apiKeyId, key_hash: keyHash, tenant_id: organizationId, scopes, revoked_at: revokedAt }]);
    }
  }

  /** An organization's keys, live and revoked, oldest first: read from the key projection every
   *  service keeps (billing's own copy), so a key shows moments after it is issued. */
  async listApiKeys(caller: AuthContext, organizationId: string, limit: number, cursor?: string): Promise<Page<ApiKeySummary>> {
    if (!canAccessTenant(caller, organizationId)) throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const organization = (await this.handlers.for(organizationAggregate).load(organizationId)).state;
    if (organization.status !== 'active') throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${organizationId}.`);
    const params: unknown[] = [organizationId];
    let after = '';
    if (cursor) {
      const position = decodeCursor(cursor, ['issuedAt', 'id'] as const);
      params.push(position.issuedAt, position.id);
      after = `and (created_at, id) > ($2::timestamptz, $3::uuid)`;
    }
    params.push(limit + 1);
    // A revocation seen before its issue leaves a placeholder row (scope 'revoked'): not a key yet.
    const rows = (await this.dataSource.query(
      `select id, display_prefix, scopes, label, created_at, revoked_at from api_keys
        where tenant_id = $1 and not ('revoked' = any(scopes)) ${after}
        order by created_at, id limit $${params.length}`,
      params,
    )) as ApiKeyRow[];
    return toPage(
      rows.map((r) => ({ apiKeyId: r.id, displayPrefix: r.display_prefix, scopes: r.scopes, label: r.label, issuedAt: r.created_at, revokedAt: r.revoked_at })),
      limit,
      (k) => ({ issuedAt: k.issuedAt.toISOString(), id: k.apiKeyId }),
    );
  }

  async me(caller: AuthContext): Promise<Me> {
    // The bootstrap ops key belongs to no organization.
    const state = caller.keyId === 'bootstrap' ? undefined : (await this.handlers.for(organizationAggregate).load(caller.tenantId)).state;
    return {
      apiKeyId: caller.keyId,
      organizationId: caller.tenantId,
      scopes: caller.scopes,
      organization: state?.status === 'active' ? { organizationId: state.organizationId, name: state.name, kind: state.kind, createdAt: state.createdAt } : null,
    };
  }
}
