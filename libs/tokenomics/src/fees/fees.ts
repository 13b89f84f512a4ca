import { Asset, baseUnitsPerWhole, isAsset } from '@ionet/ledger';
import { assertBps, bpsOfFloor, mulDivCeil, mulDivFloor } from '../math/exact';
import { TokenomicsParameters } from '../parameters/tokenomics-parameters';
import { TokenomicsError } from '../tokenomics.errors';

/** One side's fees on an amount. Each fee is floored: the platform never charges above its rate. */
export interface SideFees {
  readonly reservationFeeBaseUnits: bigint;
  readonly paymentFeeBaseUnits: bigint;
  readonly totalFeeBaseUnits: bigint;
}

export interface LeaseFees {
  readonly asset: Asset;
  readonly amountBaseUnits: bigint;
  readonly customer: SideFees;
  readonly supplier: SideFees;
  /** amount + customer fees */
  readonly customerPaysBaseUnits: bigint;
  /** amount - supplier fees */
  readonly supplierReceivesBaseUnits: bigint;
  /** customer fees + supplier fees; customerPays = supplierReceives + platformFees exactly. */
  readonly platformFeesBaseUnits: bigint;
}

export type FeeCalculator = (amountBaseUnits: bigint, asset: Asset, parameters: TokenomicsParameters) => LeaseFees;

export function sideFees(amountBaseUnits: bigint, asset: Asset, parameters: TokenomicsParameters): SideFees {
  if (amountBaseUnits < 0n) throw new TokenomicsError('FEES.INVALID_INPUT', 'cannot charge fees on a negative amount');
  if (!isAsset(asset)) throw new TokenomicsError('FEES.INVALID_INPUT', `unknown asset ${String(asset)}`);
  try {
    assertBps(parameters.reservationFeeBps, 'reservation fee');
    assertBps(parameters.paymentFeeBps[asset], `payment fee in ${asset}`);
    assertBps(parameters.reservationFeeBps + parameters.paymentFeeBps[asset], `fees in ${asset} together`);
  } catch (error) {
    throw new TokenomicsError('FEES.INVALID_INPUT', (error as Error).message);
  }
  const reservationFeeBaseUnits = bpsOfFloor(amountBaseUnits, parameters.reservationFeeBps);
  const paymentFeeBaseUnits = bpsOfFloor(amountBaseUnits, parameters.paymentFeeBps[asset]);
  return { reservationFeeBaseUnits, paymentFeeBaseUnits, totalFeeBaseUnits: reservationFeeBaseUnits + paymentFeeBaseUnits };
}

/**
 * The fees of DOMAIN.md on a lease amount, charged to both sides: the reservation fee (0.25%) and the
 * payment fee (2% in USDC and credits, 0% in IO). Both sides pay the same fees on the same amount.
 * Rounding: each fee is floor(amount * bps / 10,000); the fraction below one base unit is not charged,
 * so there is no remainder to place.
 */
export const leaseFees: FeeCalculator = (amountBaseUnits, asset, parameters) => {
  const side = sideFees(amountBaseUnits, asset, parameters);
  return {
    asset,
    amountBaseUnits,
    customer: side,
    supplier: side,
    customerPaysBaseUnits: amountBaseUnits + side.totalFeeBaseUnits,
    supplierReceivesBaseUnits: amountBaseUnits - side.totalFeeBaseUnits,
    platformFeesBaseUnits: 2n * side.totalFeeBaseUnits,
  };
};

/**
 * A price in US dollars (USDC base units, micro-dollars) expressed in the payment asset. USDC and
 * credits are 1:1 with six decimals each. IO is converted at the oracle price and rounded up, so the
 * supplier never receives less than the dollar value asked; the excess is below one IO base unit.
 */
export function usdMicrosInAsset(usdMicros: bigint, asset: Asset, ioPriceUsdMicrosPerIo: bigint): bigint {
  if (usdMicros < 0n) throw new TokenomicsError('FEES.INVALID_INPUT', 'price cannot be negative');
  switch (asset) {
    case 'USDC':
    case 'CREDIT':
      return usdMicros;
    case 'IO':
      if (ioPriceUsdMicrosPerIo <= 0n) throw new TokenomicsError('FEES.INVALID_INPUT', 'IO price must be positive');
      return mulDivCeil(usdMicros, baseUnitsPerWhole('IO'), ioPriceUsdMicrosPerIo);
    default: {
      const unhandled: never = asset;
      throw new TokenomicsError('FEES.INVALID_INPUT', `unknown asset ${String(unhandled)}`);
    }
  }
}

/** Credits bought with USDC: 1 credit = 1 USD and both have six decimals, so nothing rounds. */
export function creditsForUsdc(usdcBaseUnits: bigint): bigint {
  return mulDivFloor(usdcBaseUnits, baseUnitsPerWhole('CREDIT'), baseUnitsPerWhole('USDC'));
}
