// Decimals are fixed here because the ledger must agree with the chain; the chain gateway checks the
// mint's decimals against this table at start-up instead of trusting it blindly.
export const ASSET_DECIMALS = {
  IO: 8,
  USDC: 6,
  // One credit is one US dollar; six decimals make one credit base unit equal one USDC base unit,
  // so converting between them never rounds.
  CREDIT: 6,
} as const;

export type Asset = keyof typeof ASSET_DECIMALS;

export const ASSETS: readonly Asset[] = ['IO', 'USDC', 'CREDIT'];

export function isAsset(value: string): value is Asset {
  return Object.prototype.hasOwnProperty.call(ASSET_DECIMALS, value);
}

export function baseUnitsPerWhole(asset: Asset): bigint {
  return 10n ** BigInt(ASSET_DECIMALS[asset]);
}

/** Exact decimal text of an amount, e.g. `formatAmount('IO', 456621004566n)` is `4566.21004566`. */
export function formatAmount(asset: Asset, amountBaseUnits: bigint): string {
  const decimals = ASSET_DECIMALS[asset];
  const negative = amountBaseUnits < 0n;
  const magnitude = negative ? -amountBaseUnits : amountBaseUnits;
  const unit = baseUnitsPerWhole(asset);
  const whole = magnitude / unit;
  const fraction = (magnitude % unit).toString().padStart(decimals, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Parses decimal text (no exponent, at most the asset's decimals) into base units. */
export function parseAmount(asset: Asset, text: string): bigint {
  const decimals = ASSET_DECIMALS[asset];
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim().replace(/_/g, ''));
  if (!match) throw new RangeError(`not a decimal amount of ${asset}: "${text}"`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > decimals) throw new RangeError(`${asset} has ${decimals} decimals; "${text}" has more`);
  const magnitude = BigInt(whole) * baseUnitsPerWhole(asset) + BigInt(fraction.padEnd(decimals, '0') || '0');
  return sign === '-' ? -magnitude : magnitude;
}
