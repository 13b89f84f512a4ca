import { ASSETS, isAsset, type Asset } from '@ionet/ledger';
import { usdMicrosInAsset } from '@ionet/tokenomics';
import { BillingError } from '../shared/billing.errors';

export { ASSETS, type Asset };

export function assetOf(name: string): Asset {
  if (!isAsset(name)) throw new BillingError('BILLING.INVALID_ASSET', `unknown asset ${name}; one of ${ASSETS.join(', ')}`);
  return name;
}

/** A price as an event carries it: exact base units and the asset they are in. */
export interface Priced {
  amountBaseUnits: bigint;
  asset: Asset;
}

/**
 * A price in the escrow's asset. Prices are quoted in US dollars (USDC base units, ADR 0104); an IO
 * escrow converts them at the IO price fixed when the escrow was opened (rounded up, so the supplier
 * never receives less than the dollars asked), and credits are dollars one to one. A price already in
 * the escrow's asset is taken as it is; anything else cannot be converted.
 */
export function priceInAsset(price: Priced, asset: Asset, ioPriceUsdMicros: bigint): bigint {
  if (price.amountBaseUnits < 0n) throw new BillingError('BILLING.INVALID_AMOUNT', 'a price cannot be negative');
  if (price.asset === asset) return price.amountBaseUnits;
  if (price.asset === 'USDC') return usdMicrosInAsset(price.amountBaseUnits, asset, ioPriceUsdMicros);
  throw new BillingError('BILLING.PRICE_NOT_CONVERTIBLE', `a price in ${price.asset} cannot be charged in ${asset}`);
}
