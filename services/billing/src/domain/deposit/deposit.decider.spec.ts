import { deciderSpec } from '@ionet/testing';
import { DEPOSIT_BASE_UNITS_MAX, decideDeposit, evolveDeposit, initialDepositState, type DepositCommand, type DepositEvent } from './deposit.decider';

const spec = deciderSpec({ decide: decideDeposit, evolve: evolveDeposit, initialState: initialDepositState });
const at = new Date('2026-12-01T10:00:00Z');
const record = (amountBaseUnits: bigint, asset: 'USDC' | 'IO' | 'CREDIT' = 'USDC'): DepositCommand => ({ type: 'RecordDeposit', depositId: 'd-1', organizationId: 'org-1', asset, amountBaseUnits, externalReference: 'grant', at });
const received = (amountBaseUnits: bigint, asset: 'USDC' | 'IO' | 'CREDIT', method: 'usdc' | 'io' | 'credits'): DepositEvent => ({ type: 'DepositReceived', depositId: 'd-1', organizationId: 'org-1', asset, amountBaseUnits, method, externalReference: 'grant', at });

describe('deposit decider', () => {
  it('credits a positive amount once, in the asset it names', () => {
    spec.given([]).when(record(25_000_000n)).then([received(25_000_000n, 'USDC', 'usdc')]);
    spec.given([]).when(record(1n, 'IO')).then([received(1n, 'IO', 'io')]);
    spec.given([]).when(record(DEPOSIT_BASE_UNITS_MAX, 'CREDIT')).then([received(DEPOSIT_BASE_UNITS_MAX, 'CREDIT', 'credits')]);
  });

  it('refuses nothing, a negative amount and an absurd one', () => {
    spec.given([]).when(record(0n)).thenRefused('BILLING.INVALID_AMOUNT');
    spec.given([]).when(record(-5n)).thenRefused('BILLING.INVALID_AMOUNT');
    spec.given([]).when(record(DEPOSIT_BASE_UNITS_MAX + 1n)).thenRefused('BILLING.INVALID_AMOUNT');
  });

  it('refuses a second deposit under the same id', () => {
    spec.given([received(5n, 'USDC', 'usdc')]).when(record(5n)).thenRefused('BILLING.DEPOSIT_EXISTS');
  });
});
