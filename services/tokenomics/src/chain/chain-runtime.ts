import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CUSTODY, FixedPriceSwapAdapter, openChainGateway, type ChainAsset, type ChainGateway, type SwapAdapter } from '@ionet/chain';
import { CONFIG, PG_POOL } from '@ionet/platform';
import type { Pool } from 'pg';
import type { TokenomicsConfig } from '../tokenomics.config';

/** The market custody of the development swap. */
export const MARKET_CUSTODY = 'market';

/** The chain as tokenomics uses it: the gateway (opened on first use, closed at shutdown), the swap
 *  adapter, and on the embedded chain the development floats. The embedded chain belongs to one
 *  process (its data directory is locked): run the roles that use it (api, worker) together. */
@Injectable()
export class ChainRuntime implements OnApplicationShutdown {
  private opening?: Promise<ChainGateway>;

  constructor(
    @Inject(CONFIG) private readonly config: TokenomicsConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  gateway(): Promise<ChainGateway> {
    this.opening ??= openChainGateway(this.config, { pool: this.pool, ...(this.config.DATABASE_SCHEMA ? { schema: this.config.DATABASE_SCHEMA } : {}) }).catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  async swap(): Promise<SwapAdapter> {
    const gateway = await this.gateway();
    const embedded = gateway.adapter === 'embedded';
    return new FixedPriceSwapAdapter(gateway, {
      ioPriceUsdcBaseUnits: this.config.CHAIN_IO_PRICE_USDC_BASE_UNITS,
      marketCustody: MARKET_CUSTODY,
      ...(embedded ? { replenish: (operationId: string, amount: bigint) => gateway.transfer({ operationId, asset: 'IO', from: { custody: CUSTODY.genesis }, to: { custody: MARKET_CUSTODY }, amountBaseUnits: amount }).then(() => undefined) } : {}),
    });
  }

  /** Embedded only: makes sure a custody holds `amount` before it pays, as the off-chain world
   *  would (USDC revenue and payout floats arrive from outside in production; here USDC is minted
   *  by the development mint and IO moved from genesis, so IO's supply is untouched). On a cluster
   *  the floats are funded by ops and a short one is refused CHAIN.INSUFFICIENT_FUNDS. */
  async ensureFloat(custody: string, asset: ChainAsset, amount: bigint, operationId: string): Promise<void> {
    const gateway = await this.gateway();
    if (gateway.adapter !== 'embedded') return;
    if ((await gateway.balance(asset, { custody })) >= amount) return;
    if (asset === 'USDC') await gateway.mint({ operationId, asset, to: { custody }, amountBaseUnits: amount });
    else await gateway.transfer({ operationId, asset, from: { custody: CUSTODY.genesis }, to: { custody }, amountBaseUnits: amount });
  }

  async onApplicationShutdown(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (opening) await (await opening.catch(() => undefined))?.close();
  }
}
