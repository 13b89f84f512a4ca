import { join } from 'node:path';
import type { Pool } from 'pg';
import type { ChainGateway } from './chain-gateway';
import { chainConfigIssues, type ChainConfig } from './chain.config';
import { ChainError } from './chain.errors';
import { embeddedMintKey, ensureEmbeddedGenesis } from './embedded/embedded-genesis';
import { LiteSvmChain, type LiteSvmChainOptions } from './embedded/litesvm-chain';
import { KeyStore } from './gateway/key-store';
import { SolanaGateway, type GatewayHooks } from './gateway/solana-gateway';
import { RpcChain } from './rpc/rpc-chain';
import { ChainOperationStore } from './store/chain-operation-store';

export interface OpenChainGatewayOptions {
  /** The owning service's database and the schema of its `chain_operations` table (undefined:
   *  the connection's search_path). */
  readonly pool: Pool;
  readonly schema?: string;
  readonly hooks?: GatewayHooks;
  readonly embedded?: Pick<LiteSvmChainOptions, 'snapshotEveryTransactions' | 'transactionHistory'>;
}

/** Opens the configured chain: the record table created, the embedded chain's genesis made on
 *  first use, the mints and their authority verified, and operations a crash left `signed` settled
 *  before anything new is sent. */
export async function openChainGateway(config: ChainConfig, options: OpenChainGatewayOptions): Promise<SolanaGateway & ChainGateway> {
  const issues = chainConfigIssues(config);
  if (issues.length > 0) throw new ChainError('MISCONFIGURED', issues.map((i) => `${i.variable} ${i.message}`).join('; '));
  const store = new ChainOperationStore(options.pool, options.schema);
  await store.ensureTable();
  const keyDir = config.CHAIN_KEY_DIR ?? join(config.CHAIN_DATA_DIR, 'keys');
  let gateway: SolanaGateway;
  if (config.CHAIN_ADAPTER === 'embedded') {
    const keys = new KeyStore(keyDir, true);
    const chain = LiteSvmChain.open({ dataDir: config.CHAIN_DATA_DIR, ...options.embedded });
    try {
      await ensureEmbeddedGenesis(chain, keys, config.CHAIN_IO_GENESIS_BASE_UNITS);
    } catch (error) {
      await chain.close();
      throw error;
    }
    const mints = { IO: keys.keypair(embeddedMintKey('IO')).publicKey.toBase58(), USDC: keys.keypair(embeddedMintKey('USDC')).publicKey.toBase58() };
    gateway = new SolanaGateway({ backend: chain, store, keys, mints, ioMaxSupplyBaseUnits: config.CHAIN_IO_MAX_SUPPLY_BASE_UNITS, ...(options.hooks ? { hooks: options.hooks } : {}) });
  } else {
    const keys = new KeyStore(keyDir, false);
    const backend = new RpcChain({ url: config.CHAIN_RPC_URL!, commitment: config.CHAIN_COMMITMENT });
    gateway = new SolanaGateway({
      backend,
      store,
      keys,
      mints: { IO: config.CHAIN_IO_MINT!, USDC: config.CHAIN_USDC_MINT! },
      ioMaxSupplyBaseUnits: config.CHAIN_IO_MAX_SUPPLY_BASE_UNITS,
      ...(options.hooks ? { hooks: options.hooks } : {}),
    });
  }
  try {
    await gateway.verifyMints();
    await gateway.recoverPending();
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}
