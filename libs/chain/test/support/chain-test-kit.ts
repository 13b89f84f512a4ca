import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createTestSchema, dropTestSchema, testNamespace } from '@ionet/testing';
import { chainConfigSchema, openChainGateway, type ChainConfig, type GatewayHooks, type OpenChainGatewayOptions } from '../../src';

/** One test file's chain: a fresh data directory, its own schema for the operation record. */
export interface ChainTestEnv {
  readonly dataDir: string;
  readonly schema: string;
  readonly pool: Pool;
  readonly config: ChainConfig;
  open(hooks?: GatewayHooks, embedded?: OpenChainGatewayOptions['embedded']): ReturnType<typeof openChainGateway>;
  dispose(): Promise<void>;
}

export async function chainTestEnv(label: string): Promise<ChainTestEnv> {
  const ns = testNamespace(label);
  const dataDir = mkdtempSync(join(tmpdir(), `ionet-chain-${ns.id}-`));
  const poolConfig = await createTestSchema(ns.schema);
  const pool = new Pool({ ...poolConfig, max: 3 });
  const config = chainConfigSchema.parse({ CHAIN_DATA_DIR: dataDir });
  return {
    dataDir,
    schema: ns.schema,
    pool,
    config,
    open: (hooks, embedded) => openChainGateway(config, { pool, schema: ns.schema, ...(hooks ? { hooks } : {}), ...(embedded ? { embedded } : {}) }),
    dispose: async () => {
      await pool.end();
      await dropTestSchema(ns.schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
