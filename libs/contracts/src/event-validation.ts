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
        const nested = eventContractProblem(field.message, value as Message, fieldPath, depth + 1);
        if (nested) return nested;
        break;
      }
      case 'list': {
        if (field.listKind !== 'message') break;
        const items = value as Message[];
        for (let i = 0; i < items.length; i++) {
          const nested = eventContractProblem(field.message, items[i], `${fieldPath}[${i}]`, depth + 1);
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
