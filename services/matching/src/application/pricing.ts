import { DEFAULT_TOKENOMICS_PARAMETERS, leaseFees, usdMicrosInAsset } from '@ionet/tokenomics';
import { baseUnitsPerWhole } from '@ionet/ledger';
import type { Placed } from '../domain/placement';
import type { HeldDevice, PaymentAsset, QuotePrice, QuoteRequest } from '../domain/quote.decider';

/** A placed device priced in the payment asset (IO at the oracle price, rounded up: the supplier
 *  never gets less than the dollars asked). */
export function pricedDevice(d: Placed, asset: PaymentAsset, ioPriceUsdMicros: bigint): HeldDevice {
  return { ...d, asset, pricePerGpuHour: usdMicrosInAsset(d.priceUsdMicros, asset, ioPriceUsdMicros) };
}

/** compute = sum(GPUs x price per GPU-hour x hours); the customer's fees of @ionet/tokenomics on it
 *  (0.25% reservation, 2% payment in USDC and credits, 0% in IO); total = compute + fees. */
export function quotePrice(devices: readonly HeldDevice[], r: Pick<QuoteRequest, 'durationHours' | 'paymentAsset'>): QuotePrice {
  const compute = devices.reduce((sum, d) => sum + BigInt(d.gpuCount) * d.pricePerGpuHour, 0n) * BigInt(r.durationHours);
  const fees = leaseFees(compute, r.paymentAsset, DEFAULT_TOKENOMICS_PARAMETERS);
  return { compute, reservationFee: fees.customer.reservationFeeBaseUnits, paymentFee: fees.customer.paymentFeeBaseUnits, total: fees.customerPaysBaseUnits };
}

/** A price cap in USD micros: an IO cap is converted at the oracle price, rounded down (a device
 *  qualifies only if its dollar price fits under the IO the customer named). */
export function capInUsdMicros(cap: bigint, asset: PaymentAsset, ioPriceUsdMicros: bigint): bigint {
  return asset === 'IO' ? (cap * ioPriceUsdMicros) / baseUnitsPerWhole('IO') : cap;
}
