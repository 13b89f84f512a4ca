import { create } from '@bufbuild/protobuf';
import { Asset, MoneySchema, type Money } from './gen/ionet/common/v1/money_pb';
import { CONTRACT_ERROR_CODES, ContractError } from './contract-error';

/** Decimals of each asset's base unit. IO's on-chain decimals are read from the mint by the chain
 *  gateway, which asserts they equal this. */
export const ASSET_DECIMALS: Readonly<Record<Exclude<Asset, Asset.UNSPECIFIED>, number>> = {
  [Asset.IO]: 8,
  [Asset.USDC]: 6,
  [Asset.CREDIT]: 6,
};

const BASE_UNITS_PATTERN = /^-?(0|[1-9][0-9]*)$/;

export function money(amountBaseUnits: bigint, asset: Asset): Money {
  if (asset === Asset.UNSPECIFIED) throw new ContractError(CONTRACT_ERROR_CODES.invalidMoney, 'asset must be specified');
  return create(MoneySchema, { amountBaseUnits: amountBaseUnits.toString(), asset });
}

/** The exact amount of a Money, refusing anything that is not a canonical integer string. */
export function amountBaseUnitsOf(value: Money | undefined): bigint {
  const problem = moneyProblem(value);
  if (problem) throw new ContractError(CONTRACT_ERROR_CODES.invalidMoney, problem);
  return BigInt((value as Money).amountBaseUnits);
}

export function moneyProblem(value: Money | undefined): string | undefined {
  if (!value) return 'money is missing';
  if (value.asset === Asset.UNSPECIFIED || !(value.asset in ASSET_DECIMALS)) return `unknown asset ${value.asset}`;
  if (!BASE_UNITS_PATTERN.test(value.amountBaseUnits)) return `amount_base_units is not a canonical integer: "${value.amountBaseUnits}"`;
  return undefined;
}
