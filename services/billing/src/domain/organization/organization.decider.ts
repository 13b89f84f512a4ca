import { BillingError } from '../shared/billing.errors';

export const ORGANIZATION_KINDS = ['customer', 'supplier', 'partner_network'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

export const ORGANIZATION_NAME_LENGTH_MAX = 120;

export type OrganizationEvent = {
  type: 'OrganizationCreated';
  organizationId: string;
  name: string;
  kind: OrganizationKind;
  at: Date;
};

/** Commands carry their ids and time: the domain never reads a clock or a random source. */
export type OrganizationCommand = {
  type: 'CreateOrganization';
  organizationId: string;
  name: string;
  kind: OrganizationKind;
  at: Date;
};

export type OrganizationState =
  | { status: 'absent' }
  | { status: 'active'; organizationId: string; name: string; kind: OrganizationKind; createdAt: Date };

export const initialOrganizationState: OrganizationState = { status: 'absent' };

export function decideOrganization(command: OrganizationCommand, state: OrganizationState): OrganizationEvent[] {
  switch (command.type) {
    case 'CreateOrganization': {
      if (state.status !== 'absent') throw new BillingError('ORGANIZATION.ALREADY_EXISTS', `organization ${command.organizationId} already exists`);
      const name = command.name.trim();
      if (name.length === 0 || name.length > ORGANIZATION_NAME_LENGTH_MAX) {
        throw new BillingError('ORGANIZATION.INVALID_NAME', `name must be 1 to ${ORGANIZATION_NAME_LENGTH_MAX} characters`);
      }
      return [{ type: 'OrganizationCreated', organizationId: command.organizationId, name, kind: command.kind, at: command.at }];
    }
    default: {
      const unhandled: never = command.type;
      throw new Error(`unhandled command ${String(unhandled)}`);
    }
  }
}

export function evolveOrganization(_state: OrganizationState, event: OrganizationEvent): OrganizationState {
  switch (event.type) {
    case 'OrganizationCreated':
      return { status: 'active', organizationId: event.organizationId, name: event.name, kind: event.kind, createdAt: event.at };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}
