import { baseUnitsPerWhole } from '@ionet/ledger';
import { assertBps, bpsOfFloor, mulDivCeil, mulDivFloor } from '../math/exact';
import { TokenomicsError } from '../tokenomics.errors';

export interface BuybackPlan {
  /** floor(revenue * share): moved to treasury:buyback. */
  readonly toBuybackUsdcBaseUnits: bigint;
  /** revenue - toBuyback: the rounding remainder of the share goes to treasury:operations. */
  readonly toOperationsUsdcBaseUnits: bigint;
  /** floor(available USDC / price), in IO base units, bought and burned. */
  readonly ioToBurnBaseUnits: bigint;
  /** ceil(ioToBurn * price): what the IO costs at the given price, never more than is available. */
  readonly usdcSpentBaseUnits: bigint;
  /** USDC left in treasury:buyback for the next buyback (less than the price of one IO base unit). */
  readonly usdcCarriedBaseUnits: bigint;
}

/**
 * Splits fee revenue between buyback and operations and converts the buyback USDC (plus what an
 * earlier buyback carried) into IO at the given price. Amounts are exact: spent + carried equals
 * what the treasury had for the buyback.
 */
export function planBuyback(input: {
  readonly revenueUsdcBaseUnits: bigint;
  readonly carriedUsdcBaseUnits: bigint;
  readonly buybackShareBps: number;
  readonly ioPriceUsdMicrosPerIo: bigint;
}): BuybackPlan {
  const { revenueUsdcBaseUnits, carriedUsdcBaseUnits, buybackShareBps, ioPriceUsdMicrosPerIo } = input;
  if (revenueUsdcBaseUnits < 0n || carriedUsdcBaseUnits < 0n) throw new TokenomicsError('FEES.INVALID_INPUT', 'buyback amounts cannot be negative');
  if (ioPriceUsdMicrosPerIo <= 0n) throw new TokenomicsError('FEES.INVALID_INPUT', 'IO price must be positive');
  try {
    assertBps(buybackShareBps, 'buyback share');
  } catch (error) {
    throw new TokenomicsError('FEES.INVALID_INPUT', (error as Error).message);
  }
  const toBuybackUsdcBaseUnits = bpsOfFloor(revenueUsdcBaseUnits, buybackShareBps);
  const available = carriedUsdcBaseUnits + toBuybackUsdcBaseUnits;
  const io = baseUnitsPerWhole('IO');
  const ioToBurnBaseUnits = mulDivFloor(available, io, ioPriceUsdMicrosPerIo);
  const usdcSpentBaseUnits = mulDivCeil(ioToBurnBaseUnits, ioPriceUsdMicrosPerIo, io);
  return {
    toBuybackUsdcBaseUnits,
    toOperationsUsdcBaseUnits: revenueUsdcBaseUnits - toBuybackUsdcBaseUnits,
    ioToBurnBaseUnits,
    usdcSpentBaseUnits,
    usdcCarriedBaseUnits: available - usdcSpentBaseUnits,
  };
}
