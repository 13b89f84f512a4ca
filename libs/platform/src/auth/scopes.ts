export const SCOPES = ['ops', 'supplier', 'customer', 'partner_network'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: set by the API-key guard on every authenticated request. */
export interface AuthContext {
  keyId: string;
  /** The caller's organization (billing's organization id; `ops` for the bootstrap key). */
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
