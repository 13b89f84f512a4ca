import type { DescEnum } from '@bufbuild/protobuf';
import { CONTRACT_ERROR_CODES, ContractError } from '../contract-error';

export const UNKNOWN_ENUM_VALUE = 'CONTRACT.UNKNOWN_ENUM_VALUE';

/** A protobuf enum <-> its domain names, derived from the descriptor: `SUPPLY_SOURCE_MINING_FARM`
 *  is 'mining_farm' (the shared prefix dropped, lower case). The zero value is "unspecified" and
 *  has no domain name (akash convention: zero is invalid). */
export interface EnumCodec<D extends string = string> {
  readonly typeName: string;
  readonly domainValues: readonly D[];
  toWire(value: D): number;
  /** Throws a ContractError (dead-letter, never retry) for zero or a number this build does not know. */
  fromWire(value: number): D;
}

const CACHE = new Map<DescEnum, EnumCodec>();

export function domainNameOf(descriptor: DescEnum, valueName: string): string {
  // buf lint's ENUM_VALUE_PREFIX: every value starts with the enum's name in UPPER_SNAKE_CASE.
  const prefix = `${descriptor.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_`;
  return (valueName.startsWith(prefix) ? valueName.slice(prefix.length) : valueName).toLowerCase();
}

/** The codec of one enum. Pass the domain's own list of values to assert at start-up that domain
 *  and contract name the same set (a drift fails loudly at boot, not on the first event). */
export function enumCodec<D extends string = string>(descriptor: DescEnum, domainValues?: readonly D[]): EnumCodec<D> {
  let codec = CACHE.get(descriptor) as EnumCodec<D> | undefined;
  if (!codec) {
    const byName = new Map<string, number>();
    const byNumber = new Map<number, D>();
    for (const value of descriptor.values) {
      if (value.number === 0) continue;
      const name = domainNameOf(descriptor, value.name) as D;
      byName.set(name, value.number);
      byNumber.set(value.number, name);
    }
    codec = {
      typeName: descriptor.typeName,
      domainValues: [...byName.keys()] as D[],
      toWire(value: D): number {
        const wire = byName.get(value);
        if (wire === undefined) throw new ContractError(UNKNOWN_ENUM_VALUE, `${descriptor.typeName} has no value "${String(value)}"`);
        return wire;
      },
      fromWire(value: number): D {
        const name = byNumber.get(value);
        if (name === undefined) {
          throw new ContractError(value === 0 ? CONTRACT_ERROR_CODES.missingField : UNKNOWN_ENUM_VALUE, `${descriptor.typeName} value ${value} is ${value === 0 ? 'unspecified' : 'unknown to this build'}`);
        }
        return name;
      },
    };
    CACHE.set(descriptor, codec);
  }
  if (domainValues) {
    const contract = [...codec.domainValues].sort().join(',');
    const domain = [...domainValues].sort().join(',');
    if (contract !== domain) throw new Error(`domain values of ${descriptor.typeName} (${domain}) differ from the contract's (${contract})`);
  }
  return codec;
}
