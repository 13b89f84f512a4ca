import type { Asset } from '../money/billing-money';
import { BillingError } from '../shared/billing.errors';

/** A deposit credits an organization's available balance once (stream id = deposit id). */
export type DepositMethod = 'usdc' | 'io' | 'credits';

export type DepositEvent = {
  type: 'DepositReceived';
  depositId: string;
  organizationId: string;
  asset: Asset;
  amountBaseUnits: bigint;
  method: DepositMethod;
  externalReference: string;
  at: Date;
};

export type DepositCommand = {
  type: 'RecordDeposit';
  depositId: string;
  organizationId: string;
  asset: Asset;
  amountBaseUnits: bigint;
  externalReference: string;
  at: Date;
};

export type DepositState = { status: 'absent' } | { status: 'received'; depositId: string; organizationId: string; asset: Asset; amountBaseUnits: bigint };

export const initialDepositState: DepositState = { status: 'absent' };

/** A deposit above this is refused as a typo (10^30 base units): no real balance is that large. */
export const DEPOSIT_BASE_UNITS_MAX = 10n ** 30n;

export function methodOf(asset: Asset): DepositMethod {
  switch (asset) {
    case 'USDC':
      return 'usdc';
    case 'IO':
      return 'io';
    case 'CREDIT':
      return 'credits';
    default: {
      const unhandled: never = asset;
      throw new Error(`unhandled asset ${String(unhandled)}`);
    }
  }
}

export function decideDeposit(command: DepositCommand, state: DepositState): DepositEvent[] {
  switch (command.type) {
    case 'RecordDeposit': {
      if (state.status !== 'absent') throw new BillingError('BILLING.DEPOSIT_EXISTS', `deposit ${command.depositId} was already received`);
      if (command.amountBaseUnits <= 0n || command.amountBaseUnits > DEPOSIT_BASE_UNITS_MAX) {
        throw new BillingError('BILLING.INVALID_AMOUNT', `a deposit must be from 1 to ${DEPOSIT_BASE_UNITS_MAX} base units`);
      }
      return [
        {
          type: 'DepositReceived',
          depositId: command.depositId,
          organizationId: command.organizationId,
          asset: command.asset,
          amountBaseUnits: command.amountBaseUnits,
          method: methodOf(command.asset),
          externalReference: command.externalReference,
          at: command.at,
        },
      ];
    }
    default: {
      const unhandled: never = command.type;
      throw new Error(`unhandled command ${String(unhandled)}`);
    }
  }
}

export function evolveDeposit(_state: DepositState, event: DepositEvent): DepositState {
  switch (event.type) {
    case 'DepositReceived':
      return { status: 'received', depositId: event.depositId, organizationId: event.organizationId, asset: event.asset, amountBaseUnits: event.amountBaseUnits };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}
