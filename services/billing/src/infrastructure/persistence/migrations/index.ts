import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { BillingMoney1765000000000 } from './1765000000000-billing-money';
import { BillingInvoiceMovements1765000000001 } from './1765000000001-billing-invoice-movements';
import { BillingMovementInvoice1765000000002 } from './1765000000002-billing-movement-invoice';
import { BillingChargePayout1765000000003 } from './1765000000003-billing-charge-payout';

/** In order; a committed migration is never edited, only followed by a new one. */
export const BILLING_MIGRATIONS = [...EVENTING_MIGRATIONS, BillingMoney1765000000000, BillingInvoiceMovements1765000000001, BillingMovementInvoice1765000000002, BillingChargePayout1765000000003];
