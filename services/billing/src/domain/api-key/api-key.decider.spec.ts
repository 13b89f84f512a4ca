import type { OrganizationKind, OrganizationState } from '../organization/organization.decider';
import { BillingError } from '../shared/billing.errors';
import { decideApiKey, evolveApiKey, initialApiKeyState, scopesAllowedFor, type ApiKeyCommand, type ApiKeyEvent, type ApiKeyState } from './api-key.decider';

const at = new Date('2026-12-01T10:00:00Z');
const later = new Date('2026-12-01T11:00:00Z');
const HASH = 'a'.repeat(64);

const org = (kind: OrganizationKind): OrganizationState => ({ status: 'active', organizationId: 'org-1', name: 'Acme', kind, createdAt: at });

const issue = (overrides: Partial<Extract<ApiKeyCommand, { type: 'IssueApiKey' }>> = {}): ApiKeyCommand => ({
  type: 'IssueApiKey',
  apiKeyId: 'key-1',
  keyHash: HASH,
  displayPrefix: 'ionet_customer_ab',
  organization: org('customer'),
  organizationId: 'org-1',
  at,
  ...overrides,
});
const revoke: ApiKeyCommand = { type: 'RevokeApiKey', apiKeyId: 'key-1', at: later };

function given(events: ApiKeyEvent[]) {
  const state = events.reduce<ApiKeyState>(evolveApiKey, initialApiKeyState);
  return {
    state,
    when: (command: ApiKeyCommand) => {
      try {
        return decideApiKey(command, state);
      } catch (err) {
        if (err instanceof BillingError) return err.code;
        throw err;
      }
    },
  };
}

describe('API key decider', () => {
  it('given nothing, issues a key with the organization kind as its scope when none is asked for, carrying only the hash', () => {
    expect(given([]).when(issue({ label: ' ci runner ' }))).toEqual([
      { type: 'ApiKeyIssued', apiKeyId: 'key-1', organizationId: 'org-1', keyHash: HASH, scopes: ['customer'], displayPrefix: 'ionet_customer_ab', label: 'ci runner', at },
    ]);
  });

  it('limits scopes to the organization kind: no supplier key for a customer, no ops key for anyone', () => {
    expect(given([]).when(issue({ scopes: ['supplier'] }))).toBe('API_KEY.SCOPE_NOT_ALLOWED');
    expect(given([]).when(issue({ scopes: ['customer', 'ops'] }))).toBe('API_KEY.SCOPE_NOT_ALLOWED');
    expect(given([]).when(issue({ organization: org('supplier'), scopes: ['ops'] }))).toBe('API_KEY.SCOPE_NOT_ALLOWED');
    expect(given([]).when(issue({ scopes: [] }))).toBe('API_KEY.SCOPE_NOT_ALLOWED');
    expect(given([]).when(issue({ organization: org('partner_network'), scopes: ['partner_network', 'partner_network'] }))).toEqual([
      expect.objectContaining({ scopes: ['partner_network'] }),
    ]);
    for (const kind of ['customer', 'supplier', 'partner_network'] as const) expect(scopesAllowedFor(kind)).toEqual([kind]);
  });

  it('refuses a key for an organization that does not exist', () => {
    expect(given([]).when(issue({ organization: { status: 'absent' } }))).toBe('ORGANIZATION.NOT_FOUND');
  });

  it('refuses to issue the same key id twice and an over-long label', () => {
    const events = given([]).when(issue()) as ApiKeyEvent[];
    expect(given(events).when(issue())).toBe('API_KEY.ALREADY_EXISTS');
    expect(given([]).when(issue({ label: 'x'.repeat(121) }))).toBe('API_KEY.INVALID_LABEL');
  });

  it('given an issued key, revokes it with the hash every service needs to forget it', () => {
    const events = given([]).when(issue()) as ApiKeyEvent[];
    expect(given(events).when(revoke)).toEqual([{ type: 'ApiKeyRevoked', apiKeyId: 'key-1', organizationId: 'org-1', keyHash: HASH, at: later }]);
  });

  it('given a revoked key, revoking again changes nothing (a retried DELETE)', () => {
    const issued = given([]).when(issue()) as ApiKeyEvent[];
    const revoked = given(issued).when(revoke) as ApiKeyEvent[];
    expect(given([...issued, ...revoked]).when(revoke)).toEqual([]);
    expect(given([...issued, ...revoked]).state).toMatchObject({ status: 'revoked', revokedAt: later, scopes: ['customer'] });
  });

  it('refuses to revoke a key that was never issued', () => {
    expect(given([]).when(revoke)).toBe('API_KEY.NOT_FOUND');
  });
});
