import { create, type DescField, type DescMessage, type Message, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Asset, AssetSchema, type Money } from '../gen/ionet/common/v1/money_pb';
import { CONTRACT_ERROR_CODES, ContractError } from '../contract-error';
import { amountBaseUnitsOf, money } from '../money';
import { enumCodec } from './enum-codec';

/** Money as domain code holds it: exact base units and the asset's upper-case name. */
export interface DomainMoney {
  amountBaseUnits: bigint;
  asset: string;
}

/** The domain shape of a generated message type, derived from it: enums become their domain names
 *  (strings), Money becomes DomainMoney, Timestamps become Dates, nested messages recurse. */
export type DomainOf<T> = T extends Timestamp
  ? Date
  : T extends Money
    ? DomainMoney
    : T extends Uint8Array
      ? Uint8Array
      : T extends Message
        ? { -readonly [K in Exclude<keyof T, '$typeName' | '$unknown'>]: DomainOf<T[K]> }
        : T extends readonly (infer U)[]
          ? DomainOf<U>[]
          : T extends number
            ? IsExactly<T, number> extends true
              ? number
              : string
            : T;

/** Numbers are assignable to numeric enums, so only an exact match tells a uint32 from an enum. */
type IsExactly<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

const TIMESTAMP = 'google.protobuf.Timestamp';
const MONEY = 'ionet.common.v1.Money';
const assets = () => enumCodec(AssetSchema);

/** Wire message -> its domain shape, walking the descriptor. An unknown enum value, bad money or a
 *  missing timestamp throws a ContractError (the consumer dead-letters it; it never retries). */
export function toDomain<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): DomainOf<MessageShape<Desc>> {
  const out: Record<string, unknown> = {};
  const source = message as unknown as Record<string, unknown>;
  for (const field of schema.fields) out[field.localName] = valueToDomain(schema, field, source[field.localName]);
  return out as DomainOf<MessageShape<Desc>>;
}

/** Domain shape -> the init shape of the wire message (the inverse of toDomain). */
export function toWire<Desc extends DescMessage>(schema: Desc, value: DomainOf<MessageShape<Desc>>): MessageInitShape<Desc> {
  const out: Record<string, unknown> = {};
  const source = value as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    const v = source[field.localName];
    if (v === undefined || v === null) continue;
    out[field.localName] = valueToWire(field, v);
  }
  return out as MessageInitShape<Desc>;
}


function valueToDomain(schema: DescMessage, field: DescField, value: unknown): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return value;
    case 'enum':
      try {
        return value === undefined ? undefined : enumCodec(field.enum).fromWire(value as number);
      } catch (err) {
        throw new ContractError((err as ContractError).code, `${schema.typeName}.${field.name}: ${(err as Error).message}`);
      }
    case 'message':
      return messageToDomain(schema, field, field.message, value);
    case 'list':
      return (value as unknown[]).map((item) =>
        field.listKind === 'enum' ? enumCodec(field.enum).fromWire(item as number) : field.listKind === 'message' ? messageToDomain(schema, field, field.message, item) : item,
      );
    case 'map':
      throw new ContractError(CONTRACT_ERROR_CODES.violation, `${schema.typeName}.${field.name}: map fields have no domain mapping yet`);
    default: {
      const unhandled: never = field;
      throw new Error(`unhandled field kind ${JSON.stringify(unhandled)}`);
    }
  }
}

function messageToDomain(parent: DescMessage, field: DescField, descriptor: DescMessage, value: unknown): unknown {
  // A field declared `optional` (or in a oneof) may be absent, also when it is a time or money.
  if (value === undefined && (field.proto.proto3Optional === true || field.oneof !== undefined)) return undefined;
  if (descriptor.typeName === TIMESTAMP) {
    if (!value) throw new ContractError(CONTRACT_ERROR_CODES.missingField, `${parent.typeName}.${field.name} is missing`);
    return timestampDate(value as Timestamp);
  }
  if (descriptor.typeName === MONEY) {
    const m = value as Money | undefined;
    const amountBaseUnits = amountBaseUnitsOf(m);
    return { amountBaseUnits, asset: assets().fromWire(m!.asset).toUpperCase() } satisfies DomainMoney;
  }
  if (value === undefined) return undefined;
  return toDomain(descriptor, value as MessageShape<DescMessage>);
}

function valueToWire(field: DescField, value: unknown): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return value;
    case 'enum':
      return enumCodec(field.enum).toWire(value as string);
    case 'message':
      return messageToWire(field.message, value);
    case 'list':
      return (value as unknown[]).map((item) => (field.listKind === 'enum' ? enumCodec(field.enum).toWire(item as string) : field.listKind === 'message' ? messageToWire(field.message, item) : item));
    case 'map':
      throw new ContractError(CONTRACT_ERROR_CODES.violation, `${field.name}: map fields have no domain mapping yet`);
    default: {
      const unhandled: never = field;
      throw new Error(`unhandled field kind ${JSON.stringify(unhandled)}`);
    }
  }
}

function messageToWire(descriptor: DescMessage, value: unknown): unknown {
  if (descriptor.typeName === TIMESTAMP) return timestampFromDate(value as Date);
  if (descriptor.typeName === MONEY) {
    const m = value as DomainMoney;
    return money(m.amountBaseUnits, assets().toWire(m.asset.toLowerCase()) as Asset);
  }
  return create(descriptor, toWire(descriptor, value as never) as never);
}
