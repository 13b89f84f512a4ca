import type { DescMessage, Message } from '@bufbuild/protobuf';
import { moneyProblem } from './money';
import type { Money } from './gen/ionet/common/v1/money_pb';
import { CONTRACT_ERROR_CODES, ContractError } from './contract-error';

const MONEY_TYPE = 'ionet.common.v1.Money';
/** Nested messages are walked to this depth at most; our contracts nest three levels. */
const DEPTH_MAX = 8;

/** Proto3 has no required fields, so the catalogue's rules are checked here on publish and on
 *  consume: a singular message field (times, money, specs) must be set unless declared `optional`
 *  or part of a oneof; a string field named `*_id` must not be empty; an enum must not be its
 *  `_UNSPECIFIED` zero value; every Money must be a canonical integer with a known asset. */
export function eventContractProblem(schema: DescMessage, message: Message, path = '', depth = 0): { code: string; message: string } | undefined {
  // The checks compiled per schema answer the common case (no problem) without building paths;
  // only a message that fails them is walked again to describe its first problem (ADR 0208).
  if (compiledCheck(schema)(message as unknown as Record<string, unknown>, depth)) return undefined;
  return describeEventContractProblem(schema, message, path, depth);
}

/** The reflective walk behind eventContractProblem: names the first problem. Exported as the
 *  reference its compiled checks are tested against. */
export function describeEventContractProblem(schema: DescMessage, message: Message, path = '', depth = 0): { code: string; message: string } | undefined {
  if (depth > DEPTH_MAX) return { code: CONTRACT_ERROR_CODES.violation, message: `${path || schema.typeName} nests deeper than ${DEPTH_MAX}` };
  if (schema.typeName === MONEY_TYPE) {
    const problem = moneyProblem(message as unknown as Money);
    return problem ? { code: CONTRACT_ERROR_CODES.invalidMoney, message: `${path}: ${problem}` } : undefined;
  }
  const record = message as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    const value = field.oneof ? oneofValue(record[field.oneof.localName], field.localName) : record[field.localName];
    const explicitlyOptional = field.oneof !== undefined || field.proto.proto3Optional === true;
    switch (field.fieldKind) {
      case 'message': {
        if (value === undefined) {
          if (!explicitlyOptional) return { code: CONTRACT_ERROR_CODES.missingField, message: `${schema.typeName}: ${fieldPath} is required` };
          break;
        }
        const nested = describeEventContractProblem(field.message, value as Message, fieldPath, depth + 1);
        if (nested) return nested;
        break;
      }
      case 'list': {
        if (field.listKind !== 'message') break;
        const items = value as Message[];
        for (let i = 0; i < items.length; i++) {
          const nested = describeEventContractProblem(field.message, items[i], `${fieldPath}[${i}]`, depth + 1);
          if (nested) return nested;
        }
        break;
      }
      case 'enum':
        if (!explicitlyOptional && value === 0) return { code: CONTRACT_ERROR_CODES.missingField, message: `${schema.typeName}: ${fieldPath} is unspecified` };
        break;
      case 'scalar':
        if (!explicitlyOptional && field.name.endsWith('_id') && value === '') {
          return { code: CONTRACT_ERROR_CODES.missingField, message: `${schema.typeName}: ${fieldPath} is empty` };
        }
        break;
      case 'map':
        break;
    }
  }
  return undefined;
}

export function assertEventContract(schema: DescMessage, message: Message): void {
  const problem = eventContractProblem(schema, message);
  if (problem) throw new ContractError(problem.code, problem.message);
}

function oneofValue(oneof: unknown, localName: string): unknown {
  const selected = oneof as { case?: string; value?: unknown } | undefined;
  return selected?.case === localName ? selected.value : undefined;
}

/** true when describeEventContractProblem finds nothing: the same rules, as closures built once per schema. */
type Check = (record: Record<string, unknown>, depth: number) => boolean;

const compiledChecks = new WeakMap<DescMessage, Check>();

function compiledCheck(schema: DescMessage): Check {
  let check = compiledChecks.get(schema);
  if (!check) {
    check = compileCheck(schema);
    compiledChecks.set(schema, check);
  }
  return check;
}

function compileCheck(schema: DescMessage): Check {
  if (schema.typeName === MONEY_TYPE) return (record, depth) => depth <= DEPTH_MAX && moneyProblem(record as unknown as Money) === undefined;
  const checks: Check[] = [];
  for (const field of schema.fields) {
    const explicitlyOptional = field.oneof !== undefined || field.proto.proto3Optional === true;
    const localName = field.localName;
    const oneofName = field.oneof?.localName;
    const valueOf = oneofName === undefined ? (record: Record<string, unknown>) => record[localName] : (record: Record<string, unknown>) => oneofValue(record[oneofName], localName);
    switch (field.fieldKind) {
      case 'message': {
        const nestedSchema = field.message;
        checks.push((record, depth) => {
          const value = valueOf(record);
          if (value === undefined) return explicitlyOptional;
          return compiledCheck(nestedSchema)(value as Record<string, unknown>, depth + 1);
        });
        break;
      }
      case 'list': {
        if (field.listKind !== 'message') break;
        const nestedSchema = field.message;
        checks.push((record, depth) => {
          const items = valueOf(record) as Array<Record<string, unknown>>;
          const nested = compiledCheck(nestedSchema);
          for (let i = 0; i < items.length; i++) if (!nested(items[i], depth + 1)) return false;
          return true;
        });
        break;
      }
      case 'enum':
        if (!explicitlyOptional) checks.push((record) => valueOf(record) !== 0);
        break;
      case 'scalar':
        if (!explicitlyOptional && field.name.endsWith('_id')) checks.push((record) => valueOf(record) !== '');
        break;
      case 'map':
        break;
    }
  }
  return (record, depth) => {
    if (depth > DEPTH_MAX) return false;
    for (let i = 0; i < checks.length; i++) if (!checks[i](record, depth)) return false;
    return true;
  };
}
