import type { ChainAsset } from '../chain-gateway';

export interface SwapRequest {
  /** Deterministic (the buyback's id): a retried swap never trades twice. */
  readonly operationId: string;
  readonly sell: ChainAsset;
  readonly buy: ChainAsset;
  readonly amountInBaseUnits: bigint;
  /** The custody account that pays and receives. */
  readonly custody: string;
  /** Refuse the trade below this output (slippage bound); 0 accepts any price. */
  readonly minimumOutBaseUnits: bigint;
}

export interface SwapResult {
  readonly operationId: string;
  readonly soldBaseUnits: bigint;
  readonly boughtBaseUnits: bigint;
  readonly signature: string;
  /** Which adapter priced the trade (`fixed-price`, `jupiter`...). */
  readonly venue: string;
}

/** Converts one token into another at a market's price. Development uses a fixed price against a
 *  market-maker custody; a DEX aggregator adapter implements the same interface on a real cluster. */
export interface SwapAdapter {
  readonly venue: string;
  swap(request: SwapRequest): Promise<SwapResult>;
}
