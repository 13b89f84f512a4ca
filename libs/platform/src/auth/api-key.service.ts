import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CONFIG, type BaseConfig } from '../config/config';
import { LOGGER, type Logger } from '../logging/logger';
import { ApiKeyMap, type ApiKeyRow } from './api-key-map';
import { displayPrefixOf, generateApiKey, hashApiKey, looksLikeApiKey, sameHash } from './api-key-hash';
import { OPS_TENANT, type AuthContext, type Scope } from './scopes';

export interface IssuedApiKey {
  id: string;
  /** Shown once; only its hash is stored. */
  key: string;
  tenantId: string;
  scopes: Scope[];
}

/** How often every process re-reads the keys that changed (other processes' projections, keys
 *  issued locally); the consumer role also applies billing's events to the map as they arrive. */
export const API_KEY_REFRESH_INTERVAL_MS = 1_000;
/** Rows changed this long before the last one seen are read again: a transaction that committed
 *  late with an earlier clock_timestamp() is still picked up. */
const REFRESH_OVERLAP_SECONDS = 10;
const ROW_COLUMNS = 'id, key_hash, tenant_id, scopes, revoked_at, changed_at';

/** Authenticates API keys from memory: the `api_keys` table (fed by billing's events, ADR 0300) is
 *  loaded at start and followed by a poll of changed rows; the bootstrap ops key comes from
 *  OPS_BOOTSTRAP_API_KEY. */
@Injectable()
export class ApiKeyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly bootstrapHash: string | undefined;
  private readonly map = new ApiKeyMap();
  private changedUpTo: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CONFIG) config: BaseConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.bootstrapHash = config.OPS_BOOTSTRAP_API_KEY ? hashApiKey(config.OPS_BOOTSTRAP_API_KEY) : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), API_KEY_REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reads the rows changed since the last read (all of them the first time) into the map. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readChanges().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Applies rows the projection just wrote, before the next poll would find them. */
  applyRows(rows: ApiKeyRow[]): void {
    for (const row of rows) this.map.apply(row);
  }

  async issue(tenantId: string, scopes: Scope[], label = ''): Promise<IssuedApiKey> {
    if (scopes.length === 0) throw new Error('an API key needs at least one scope');
    const key = generateApiKey(scopes[0]!);
    const id = randomUUID();
    const rows = (await this.dataSource.query(
      `insert into api_keys (id, key_hash, display_prefix, tenant_id, scopes, label, changed_at)
       values ($1, $2, $3, $4, $5, $6, clock_timestamp()) returning ${ROW_COLUMNS}`,
      [id, hashApiKey(key), displayPrefixOf(key), tenantId, scopes, label],
    )) as ApiKeyRow[];
    this.applyRows(rows);
    return { id, key, tenantId, scopes };
  }

  async revoke(id: string, at: Date): Promise<void> {
    const rows = (await this.dataSource.query(
      `update api_keys set revoked_at = coalesce(revoked_at, $2), changed_at = clock_timestamp() where id = $1 returning ${ROW_COLUMNS}`,
      [id, at],
    )) as [ApiKeyRow[], number];
    this.applyRows(rows[0]);
  }

  /** The caller a key stands for, or undefined when the key is malformed, unknown or revoked.
   *  In memory: no database round trip, whatever the key. */
  authenticate(key: string): AuthContext | undefined {
    const hash = hashApiKey(key);
    // The bootstrap key is configuration and may have any shape; every other key must look issued.
    if (this.bootstrapHash && sameHash(hash, this.bootstrapHash)) return { keyId: 'bootstrap', tenantId: OPS_TENANT, scopes: ['ops'] };
    if (!looksLikeApiKey(key)) return undefined;
    return this.map.get(hash);
  }

  get liveKeyCount(): number {
    return this.map.size;
  }

  private async readChanges(): Promise<void> {
    try {
      const rows = (await (this.changedUpTo
        ? this.dataSource.query(`select ${ROW_COLUMNS} from api_keys where changed_at > $1::timestamptz - make_interval(secs => $2) order by changed_at`, [
            this.changedUpTo,
            REFRESH_OVERLAP_SECONDS,
          ])
        : this.dataSource.query(`select ${ROW_COLUMNS} from api_keys order by changed_at`))) as (ApiKeyRow & { changed_at: Date })[];
      this.applyRows(rows);
      const last = rows[rows.length - 1];
      if (last && (!this.changedUpTo || last.changed_at > this.changedUpTo)) this.changedUpTo = last.changed_at;
      this.changedUpTo ??= new Date(0);
    } catch (err) {
      // The map keeps serving what it knows; the next tick tries again.
      this.logger.warn({ err: (err as Error).message }, 'API key refresh failed');
    }
  }
}
