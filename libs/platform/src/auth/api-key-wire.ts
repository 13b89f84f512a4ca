import { billingV1 } from '@ionet/contracts';
import type { Scope } from './scopes';

// Scopes <-> ionet.billing.v1.ApiKeyScope, both ways from one table (billing writes, every service reads).
const SCOPE_WIRE: [Scope, billingV1.ApiKeyScope][] = [
  ['customer', billingV1.ApiKeyScope.CUSTOMER],
  ['supplier', billingV1.ApiKeyScope.SUPPLIER],
  ['partner_network', billingV1.ApiKeyScope.PARTNER_NETWORK],
  ['ops', billingV1.ApiKeyScope.OPS],
];

export function scopeToWire(scope: Scope): billingV1.ApiKeyScope {
  const row = SCOPE_WIRE.find(([s]) => s === scope);
  if (!row) throw new Error(`no wire value for scope ${scope}`);
  return row[1];
}

/** An unknown wire value (a scope added later) reads as no scope: the key map drops it. */
export function scopeFromWire(value: billingV1.ApiKeyScope): string {
  return SCOPE_WIRE.find(([, w]) => w === value)?.[0] ?? `unknown_${value}`;
}
