import type { OrganizationKind, OrganizationState } from '../organization/organization.decider';
import { BillingError } from '../shared/billing.errors';

/** What a key may do (ARCHITECTURE.md "Auth"). `ops` keys are never issued to an organization: the
 *  operator's bootstrap key is configuration, not an event. */
export const API_KEY_SCOPES = ['customer', 'supplier', 'partner_network', 'ops'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const API_KEY_LABEL_LENGTH_MAX = 120;

/** The scopes an organization's keys may carry: exactly its kind. A customer cannot mint a supplier
 *  key for itself, and nobody can mint an ops key through the API (ADR 0300). */
export function scopesAllowedFor(kind: OrganizationKind): readonly ApiKeyScope[] {
  switch (kind) {
    case 'customer':
      return ['customer'];
    case 'supplier':
      return ['supplier'];
    case 'partner_network':
      return ['partner_network'];
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled organization kind ${String(unhandled)}`);
    }
  }
}

export type ApiKeyEvent =
  | {
      type: 'ApiKeyIssued';
      apiKeyId: string;
      organizationId: string;
      /** Hex SHA-256 of the key: the key itself never enters an event. */
      keyHash: string;
      scopes: ApiKeyScope[];
      displayPrefix: string;
      label: string;
      at: Date;
    }
  | { type: 'ApiKeyRevoked'; apiKeyId: string; organizationId: string; keyHash: string; at: Date };

export type ApiKeyCommand =
  | {
      type: 'IssueApiKey';
      apiKeyId: string;
      keyHash: string;
      displayPrefix: string;
      /** Absent: the organization's own scopes. */
      scopes?: ApiKeyScope[];
      label?: string;
      /** The organization the key is for, as loaded from its stream. */
      organization: OrganizationState;
      organizationId: string;
      at: Date;
    }
  | { type: 'RevokeApiKey'; apiKeyId: string; at: Date };

export type ApiKeyState =
  | { status: 'absent' }
  | { status: 'active' | 'revoked'; apiKeyId: string; organizationId: string; keyHash: string; scopes: ApiKeyScope[]; issuedAt: Date; revokedAt: Date | null };

export const initialApiKeyState: ApiKeyState = { status: 'absent' };

export function decideApiKey(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  switch (command.type) {
    case 'IssueApiKey': {
      if (state.status !== 'absent') throw new BillingError('API_KEY.ALREADY_EXISTS', `API key ${command.apiKeyId} already exists`);
      if (command.organization.status !== 'active') throw new BillingError('ORGANIZATION.NOT_FOUND', `No organization ${command.organizationId}.`);
      const allowed = scopesAllowedFor(command.organization.kind);
      const scopes = command.scopes === undefined ? [...allowed] : [...new Set(command.scopes)].sort((a, b) => API_KEY_SCOPES.indexOf(a) - API_KEY_SCOPES.indexOf(b));
      const refused = scopes.filter((s) => !allowed.includes(s));
      if (scopes.length === 0 || refused.length > 0) {
        throw new BillingError(
          'API_KEY.SCOPE_NOT_ALLOWED',
          `A ${command.organization.kind} organization's keys may carry only: ${allowed.join(', ')}${refused.length ? ` (refused: ${refused.join(', ')})` : ''}.`,
        );
      }
      const label = (command.label ?? '').trim();
      if (label.length > API_KEY_LABEL_LENGTH_MAX) throw new BillingError('API_KEY.INVALID_LABEL', `label must be at most ${API_KEY_LABEL_LENGTH_MAX} characters`);
      return [
        {
          type: 'ApiKeyIssued',
          apiKeyId: command.apiKeyId,
          organizationId: command.organizationId,
          keyHash: command.keyHash,
          scopes,
          displayPrefix: command.displayPrefix,
          label,
          at: command.at,
        },
      ];
    }
    case 'RevokeApiKey': {
      if (state.status === 'absent') throw new BillingError('API_KEY.NOT_FOUND', `No API key ${command.apiKeyId}.`);
      // Revoking twice is what a retried DELETE does: nothing more happens, and nothing fails.
      if (state.status === 'revoked') return [];
      return [{ type: 'ApiKeyRevoked', apiKeyId: state.apiKeyId, organizationId: state.organizationId, keyHash: state.keyHash, at: command.at }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export function evolveApiKey(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyIssued':
      return {
        status: 'active',
        apiKeyId: event.apiKeyId,
        organizationId: event.organizationId,
        keyHash: event.keyHash,
        scopes: event.scopes,
        issuedAt: event.at,
        revokedAt: null,
      };
    case 'ApiKeyRevoked':
      if (state.status === 'absent') throw new Error(`ApiKeyRevoked for ${event.apiKeyId} before it was issued`);
      return { ...state, status: 'revoked', revokedAt: event.at };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}
