import type { DataSource } from 'typeorm';
import type { BaseConfig } from '../config/config';
import type { Logger } from '../logging/logger';
import { generateApiKey, hashApiKey } from './api-key-hash';
import { ApiKeyService } from './api-key.service';

const BOOTSTRAP = `ionet_ops_${'Q'.repeat(20)}bootstrap${'z'.repeat(14)}`;

describe('API key authentication', () => {
  // The database is down: authentication must not need it.
  const unreachable = { query: () => Promise.reject(new Error('connection refused')) } as unknown as DataSource;
  const warnings: string[] = [];
  const logger = { warn: (_o: unknown, m: string) => warnings.push(m) } as unknown as Logger;
  const service = new ApiKeyService(unreachable, { OPS_BOOTSTRAP_API_KEY: BOOTSTRAP } as BaseConfig, logger);

  it('answers from memory, synchronously, for the bootstrap key, malformed keys, unknown keys and live keys', async () => {
    const live = generateApiKey('supplier');
    service.applyRows([{ id: 'k1', key_hash: hashApiKey(live), tenant_id: 'org-1', scopes: ['supplier'], revoked_at: null }]);

    expect(service.authenticate(BOOTSTRAP)).toEqual({ keyId: 'bootstrap', tenantId: 'ops', scopes: ['ops'] });
    expect(service.authenticate(live)).toEqual({ keyId: 'k1', tenantId: 'org-1', scopes: ['supplier'] });
    for (const refused of ['x', 'ionet_customer_short', 'x'.repeat(5_000), generateApiKey('customer')]) {
      expect(service.authenticate(refused)).toBeUndefined();
    }

    // A failed refresh keeps serving what the map knows.
    await service.refresh();
    expect(warnings).toEqual(['API key refresh failed']);
    expect(service.authenticate(live)).toEqual({ keyId: 'k1', tenantId: 'org-1', scopes: ['supplier'] });

    service.applyRows([{ id: 'k1', key_hash: hashApiKey(live), tenant_id: 'org-1', scopes: ['supplier'], revoked_at: new Date() }]);
    expect(service.authenticate(live)).toBeUndefined();
  });
});
