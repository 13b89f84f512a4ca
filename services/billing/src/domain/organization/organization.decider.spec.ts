import { BillingError } from '../shared/billing.errors';
import { decideOrganization, evolveOrganization, initialOrganizationState, type OrganizationCommand, type OrganizationEvent, type OrganizationState } from './organization.decider';

const at = new Date('2026-12-01T10:00:00Z');

const create = (overrides: Partial<OrganizationCommand> = {}): OrganizationCommand => ({
  type: 'CreateOrganization',
  organizationId: 'org-1',
  name: '  Acme AI  ',
  kind: 'customer',
  at,
  ...overrides,
});

function given(events: OrganizationEvent[]) {
  const state = events.reduce<OrganizationState>(evolveOrganization, initialOrganizationState);
  return {
    state,
    when: (command: OrganizationCommand) => {
      try {
        return decideOrganization(command, state);
      } catch (err) {
        if (err instanceof BillingError) return err.code;
        throw err;
      }
    },
  };
}

describe('organization decider', () => {
  it('given nothing, creates the organization with the command id, kind and time, name trimmed', () => {
    expect(given([]).when(create({ kind: 'partner_network' }))).toEqual([
      { type: 'OrganizationCreated', organizationId: 'org-1', name: 'Acme AI', kind: 'partner_network', at },
    ]);
  });

  it('given a created organization, refuses to create it again', () => {
    const events = given([]).when(create()) as OrganizationEvent[];
    expect(given(events).when(create({ name: 'Other' }))).toBe('ORGANIZATION.ALREADY_EXISTS');
  });

  it('refuses an empty or over-long name', () => {
    expect(given([]).when(create({ name: '   ' }))).toBe('ORGANIZATION.INVALID_NAME');
    expect(given([]).when(create({ name: 'x'.repeat(121) }))).toBe('ORGANIZATION.INVALID_NAME');
    expect(given([]).when(create({ name: 'x'.repeat(120) }))).toEqual([expect.objectContaining({ name: 'x'.repeat(120) })]);
  });

  it('evolves to an active organization that remembers its kind', () => {
    const events = given([]).when(create({ kind: 'supplier' })) as OrganizationEvent[];
    expect(given(events).state).toEqual({ status: 'active', organizationId: 'org-1', name: 'Acme AI', kind: 'supplier', createdAt: at });
  });
});
