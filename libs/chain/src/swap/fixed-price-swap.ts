import type { ChainGateway } from '../chain-gateway';
import { ChainError } from '../chain.errors';
import type { SwapAdapter, SwapRequest, SwapResult } from './swap-adapter';

export interface FixedPriceSwapOptions {
  /** USDC base units (micro-dollars) per whole IO: 500,000 is $0.50, billing's development price. */
  readonly ioPriceUsdcBaseUnits: bigint;
  /** The custody account playing the market: it receives the USDC and pays the IO. */
  readonly marketCustody: string;
  /** Tops the market up with `amountBaseUnits` IO when it holds less than a trade needs (the
   *  embedded chain moves it from genesis supply: no IO is created). Absent: the trade is refused
   *  `CHAIN.INSUFFICIENT_FUNDS` until ops fund the market. */
  readonly replenish?: (operationId: string, amountBaseUnits: bigint) => Promise<void>;
}

/** The development swap: USDC -> IO at a fixed price against a market-maker custody, both legs in
 *  one transaction (all or nothing). A real DEX aggregator (Jupiter's quote and swap API) would
 *  implement the same interface against a cluster; none is reachable here, so none is built. */
export class FixedPriceSwapAdapter implements SwapAdapter {
  readonly venue = 'fixed-price';

  constructor(
    private readonly gateway: ChainGateway,
    private readonly options: FixedPriceSwapOptions,
  ) {
    if (options.ioPriceUsdcBaseUnits <= 0n) throw new ChainError('MISCONFIGURED', 'the fixed IO price must be positive');
  }

  /** IO base units `usdcBaseUnits` buys, rounded down (the platform never receives more than it paid for). */
  async quote(usdcBaseUnits: bigint): Promise<bigint> {
    const decimals = (await this.gateway.mintInfo('IO')).decimals;
    return (usdcBaseUnits * 10n ** BigInt(decimals)) / this.options.ioPriceUsdcBaseUnits;
  }

  async swap(request: SwapRequest): Promise<SwapResult> {
    if (request.sell !== 'USDC' || request.buy !== 'IO') throw new ChainError('INVALID_REQUEST', `the fixed-price market sells IO for USDC only (asked ${request.sell} -> ${request.buy})`);
    const bought = await this.quote(request.amountInBaseUnits);
    if (bought <= 0n) throw new ChainError('INVALID_REQUEST', `${request.amountInBaseUnits} USDC base units buy no IO at the fixed price`);
    if (bought < request.minimumOutBaseUnits) throw new ChainError('SWAP_BELOW_MINIMUM', `the market gives ${bought} IO base units, below the minimum ${request.minimumOutBaseUnits}`);
    const market = { custody: this.options.marketCustody };
    const done = await this.gateway.operation(request.operationId);
    if (done?.status !== 'confirmed' && this.options.replenish && (await this.gateway.balance('IO', market)) < bought) {
      await this.options.replenish(`${request.operationId}.market`, bought);
    }
    const operation = await this.gateway.transferAtomically({
      operationId: request.operationId,
      legs: [
        { asset: 'USDC', from: { custody: request.custody }, to: market, amountBaseUnits: request.amountInBaseUnits },
        { asset: 'IO', from: market, to: { custody: request.custody }, amountBaseUnits: bought },
      ],
    });
    return { operationId: request.operationId, soldBaseUnits: request.amountInBaseUnits, boughtBaseUnits: bought, signature: operation.signature, venue: this.venue };
  }
}
