import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { CONFIG, type BaseConfig } from '../config/config';
import { ApiKeyEntity } from './api-key.entity';
import { generateApiKey, hashApiKey, sameHash } from './api-key-hash';
import { OPS_TENANT, type AuthContext, type Scope } from './scopes';

export interface IssuedApiKey {
  id: string;
  /** Shown once; only its hash is stored. */
  key: string;
  tenantId: string;
  scopes: Scope[];
}

@Injectable()
export class ApiKeyService {
  private readonly bootstrapHash: string | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CONFIG) config: BaseConfig,
  ) {
    this.bootstrapHash = config.OPS_BOOTSTRAP_API_KEY ? hashApiKey(config.OPS_BOOTSTRAP_API_KEY) : undefined;
  }

  async issue(tenantId: string, scopes: Scope[], label = ''): Promise<IssuedApiKey> {
    if (scopes.length === 0) throw new Error('an API key needs at least one scope');
    const key = generateApiKey(scopes[0]!);
    const id = randomUUID();
    await this.dataSource.getRepository(ApiKeyEntity).insert({
      id,
      keyHash: hashApiKey(key),
      displayPrefix: key.slice(0, 16),
      tenantId,
      scopes,
      label,
      revokedAt: null,
    });
    return { id, key, tenantId, scopes };
  }

  async revoke(id: string, at: Date): Promise<void> {
    await this.dataSource.getRepository(ApiKeyEntity).update({ id, revokedAt: IsNull() }, { revokedAt: at });
  }

  /** The caller a key stands for, or undefined when the key is unknown or revoked. */
  async authenticate(key: string): Promise<AuthContext | undefined> {
    const hash = hashApiKey(key);
    if (this.bootstrapHash && sameHash(hash, this.bootstrapHash)) {
      return { keyId: 'bootstrap', tenantId: OPS_TENANT, scopes: ['ops'] };
    }
    const row = await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    if (!row) return undefined;
    return { keyId: row.id, tenantId: row.tenantId, scopes: row.scopes as Scope[] };
  }
}
