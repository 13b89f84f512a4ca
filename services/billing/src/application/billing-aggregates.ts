import { defineAggregate } from '@ionet/eventing';
import { decideApiKey, evolveApiKey, initialApiKeyState } from '../domain/api-key/api-key.decider';
import { decideOrganization, evolveOrganization, initialOrganizationState } from '../domain/organization/organization.decider';
import { decideDeposit, evolveDeposit, initialDepositState } from '../domain/deposit/deposit.decider';
import { decideLeaseEscrow, evolveLeaseEscrow, initialLeaseEscrowState } from '../domain/escrow/lease-escrow.decider';
import { decideInvoice, evolveInvoice, initialInvoiceState } from '../domain/invoice/invoice.decider';
import { decidePayout, evolvePayout, initialPayoutState } from '../domain/payout/payout.decider';
import { apiKeyEventCodec, organizationEventCodec } from '../infrastructure/messaging/billing-event-codec';
import { depositEventCodec, invoiceEventCodec, leaseEscrowEventCodec, payoutEventCodec } from '../infrastructure/messaging/money-event-codec';

/** Billing's registrations with the kit's command handler. */
export const organizationAggregate = defineAggregate({
  streamType: 'organization',
  decider: { decide: decideOrganization, evolve: evolveOrganization, initialState: initialOrganizationState },
  codec: organizationEventCodec,
});

export const apiKeyAggregate = defineAggregate({
  streamType: 'api_key',
  decider: { decide: decideApiKey, evolve: evolveApiKey, initialState: initialApiKeyState },
  codec: apiKeyEventCodec,
});

export const depositAggregate = defineAggregate({
  streamType: 'deposit',
  decider: { decide: decideDeposit, evolve: evolveDeposit, initialState: initialDepositState },
  codec: depositEventCodec,
});

export const leaseEscrowAggregate = defineAggregate({
  streamType: 'lease_escrow',
  decider: { decide: decideLeaseEscrow, evolve: evolveLeaseEscrow, initialState: initialLeaseEscrowState },
  codec: leaseEscrowEventCodec,
});

export const invoiceAggregate = defineAggregate({
  streamType: 'invoice',
  decider: { decide: decideInvoice, evolve: evolveInvoice, initialState: initialInvoiceState },
  codec: invoiceEventCodec,
});

export const payoutAggregate = defineAggregate({
  streamType: 'payout',
  decider: { decide: decidePayout, evolve: evolvePayout, initialState: initialPayoutState },
  codec: payoutEventCodec,
});
