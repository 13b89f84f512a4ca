import { isScope, type AuthContext } from './scopes';

/** A row of the `api_keys` projection, as the key map needs it. */
export interface ApiKeyRow {
  id: string;
  key_hash: string;
  tenant_id: string;
  scopes: string[];
  revoked_at: Date | null;
}

/** Every live key of this service by its SHA-256: the hot path of authentication is one hash and
 *  one map lookup, never a database round trip (ADR 0300). Rows are applied as they are now, so
 *  applying a row twice or an older read after a newer one is corrected by the next read. */
export class ApiKeyMap {
  private readonly byHash = new Map<string, AuthContext>();

  apply(row: ApiKeyRow): void {
    const hash = row.key_hash.trim();
    if (row.revoked_at) {
      this.byHash.delete(hash);
      return;
    }
    const scopes = row.scopes.filter(isScope);
    if (scopes.length === 0) {
      this.byHash.delete(hash);
      return;
    }
    this.byHash.set(hash, { keyId: row.id, tenantId: row.tenant_id, scopes });
  }

  get(hash: string): AuthContext | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byHash.size;
  }
}
