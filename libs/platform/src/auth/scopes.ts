export const SCOPES = ['ops', 'supplier', 'customer'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: set by the API-key guard on every authenticated request. */
export interface AuthContext {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
}

export const OPS_TENANT = 'ops';

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Ops see every tenant; anyone else sees only their own. */
export function canAccessTenant(auth: AuthContext, tenantId: string): boolean {
  return auth.scopes.includes('ops') || auth.tenantId === tenantId;
}
