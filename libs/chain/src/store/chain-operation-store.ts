import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { ChainAsset, ChainOperation, ChainOperationKind, ChainOperationStatus } from '../chain-gateway';
import { ChainError } from '../chain.errors';

/** The record of every operation, in a table of the owning service's database (schema given by the
 *  caller). A row is written with the signed transaction before it is sent and settled after, so a
 *  crash anywhere leaves either nothing (never sent) or the signature to look up (ADR 0600). */
export function chainOperationsStatements(schema?: string): string[] {
  const table = qualified(schema);
  return [
    `create table if not exists ${table} (
      operation_id text primary key,
      kind text not null,
      request jsonb not null,
      request_hash text not null,
      status text not null,
      attempt integer not null,
      signature text not null,
      transaction bytea not null,
      last_valid_block_height bigint,
      asset text,
      amount_base_units numeric(40, 0),
      error_code text,
      error_message text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint chain_operations_status_check check (status in ('signed', 'confirmed', 'failed')),
      constraint chain_operations_attempt_check check (attempt >= 1)
    )`,
    `create index if not exists chain_operations_pending_idx on ${table} (operation_id) where status = 'signed'`,
  ];
}

export interface OperationRecord extends ChainOperation {
  readonly requestHash: string;
  readonly transaction: Uint8Array;
  readonly lastValidBlockHeight: bigint | null;
}

export interface SignedAttempt {
  readonly operationId: string;
  readonly kind: ChainOperationKind;
  readonly request: unknown;
  readonly requestHash: string;
  readonly attempt: number;
  readonly signature: string;
  readonly transaction: Uint8Array;
  readonly lastValidBlockHeight: bigint | null;
  readonly asset?: ChainAsset;
  readonly amountBaseUnits?: bigint;
}

/** Requests hash to their canonical JSON (keys sorted, bigints as decimal strings). */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** A session holding the operation's lock: one writer per operation id across processes (an
 *  advisory lock on a connection of its own; a killed process's lock goes with its connection). */
export interface OperationSession {
  get(): Promise<OperationRecord | undefined>;
  recordSigned(attempt: SignedAttempt): Promise<OperationRecord>;
  settle(status: Exclude<ChainOperationStatus, 'signed'>, error?: { code: string; message: string }): Promise<OperationRecord>;
}

const LOCK_CLASS = 0x10c4a1;

export class ChainOperationStore {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    /** Undefined: the connection's search_path. */
    readonly schema?: string,
  ) {
    this.table = qualified(schema);
  }

  async ensureTable(): Promise<void> {
    for (const statement of chainOperationsStatements(this.schema)) await this.pool.query(statement);
  }

  async find(operationId: string): Promise<OperationRecord | undefined> {
    const { rows } = await this.pool.query(`select * from ${this.table} where operation_id = $1`, [operationId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async pendingIds(limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ operation_id: string }>(
      `select operation_id from ${this.table} where status = 'signed' order by created_at limit $1`,
      [limit],
    );
    return rows.map((r) => r.operation_id);
  }

  /** Runs `work` holding the locks of `keys` (the operation id first; a mint adds its asset so two
   *  mints never pass the supply check together). Keys are taken in the order given. */
  async withLock<T>(operationId: string, extraKeys: readonly string[], work: (session: OperationSession) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (cause) {
      throw new ChainError('UNAVAILABLE', 'the chain operation record cannot be reached', { cause });
    }
    const keys = [operationId, ...extraKeys];
    let released = false;
    try {
      for (const key of keys) await client.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, key]);
      const table = this.table;
      const session: OperationSession = {
        get: async () => {
          const { rows } = await client.query(`select * from ${table} where operation_id = $1`, [operationId]);
          return rows[0] ? toRecord(rows[0]) : undefined;
        },
        recordSigned: async (a) => {
          const { rows } = await client.query(
            `insert into ${table} (operation_id, kind, request, request_hash, status, attempt, signature, transaction, last_valid_block_height, asset, amount_base_units)
             values ($1, $2, $3, $4, 'signed', $5, $6, $7, $8, $9, $10)
             on conflict (operation_id) do update set status = 'signed', attempt = excluded.attempt, signature = excluded.signature,
               transaction = excluded.transaction, last_valid_block_height = excluded.last_valid_block_height,
               error_code = null, error_message = null, updated_at = now()
             returning *`,
            [
              a.operationId,
              a.kind,
              canonicalJson(a.request),
              a.requestHash,
              a.attempt,
              a.signature,
              Buffer.from(a.transaction),
              a.lastValidBlockHeight?.toString() ?? null,
              a.asset ?? null,
              a.amountBaseUnits?.toString() ?? null,
            ],
          );
          return toRecord(rows[0]);
        },
        settle: async (status, error) => {
          const { rows } = await client.query(
            `update ${table} set status = $2, error_code = $3, error_message = $4, updated_at = now() where operation_id = $1 returning *`,
            [operationId, status, error?.code ?? null, error?.message ?? null],
          );
          if (!rows[0]) throw new Error(`chain operation ${operationId} settled before it was recorded`);
          return toRecord(rows[0]);
        },
      };
      const result = await work(session);
      for (const key of [...keys].reverse()) await client.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, key]);
      client.release();
      released = true;
      return result;
    } finally {
      // A failure mid-way may leave a lock held: the connection is discarded, which frees it.
      if (!released) client.release(true);
    }
  }
}

function qualified(schema: string | undefined): string {
  if (schema === undefined) return 'chain_operations';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new ChainError('MISCONFIGURED', `not a SQL schema name: ${schema}`);
  return `"${schema}".chain_operations`;
}

interface OperationRow {
  operation_id: string;
  kind: ChainOperationKind;
  request_hash: string;
  status: ChainOperationStatus;
  attempt: number;
  signature: string;
  transaction: Buffer;
  last_valid_block_height: string | null;
  asset: ChainAsset | null;
  amount_base_units: string | null;
  error_code: string | null;
  error_message: string | null;
}

function toRecord(row: OperationRow): OperationRecord {
  return {
    operationId: row.operation_id,
    kind: row.kind,
    status: row.status,
    signature: row.signature,
    attempt: row.attempt,
    requestHash: row.request_hash,
    transaction: new Uint8Array(row.transaction),
    lastValidBlockHeight: row.last_valid_block_height === null ? null : BigInt(row.last_valid_block_height),
    ...(row.asset ? { asset: row.asset } : {}),
    ...(row.amount_base_units !== null ? { amountBaseUnits: BigInt(row.amount_base_units) } : {}),
    ...(row.error_code ? { errorCode: row.error_code } : {}),
    ...(row.error_message ? { errorMessage: row.error_message } : {}),
  };
}
