import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes, type ValidatorOptions } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ProblemError } from '../errors/problem';
import { findForbiddenText, isUuid } from './edge-values';

/** Where @nestjs/swagger keeps a DTO property's documented schema. */
const SWAGGER_PROPERTY_METADATA = 'swagger/apiModelProperties';

/** Rejects unknown fields and wrong types with one 400 problem listing every field, and closes the
 *  gaps class-validator leaves open (STYLE.md rule 11: the edge decides what is the caller's fault):
 *  - a body that is not a JSON object (`null`, an array, a number) is a 400, not an empty DTO;
 *  - a `@ValidateNested` field is required unless marked optional, and must be an object (an array
 *    only with `each`): class-validator skips a missing nested field and walks an array in its place,
 *    so `{}` or `{"price":[]}` reached the handler and failed there with a TypeError (a 500);
 *  - a field documented as `format: 'uuid'` must be a UUID (8-4-4-4-12 hex digits);
 *  - a path, query or body string with a control character or NUL is a 400, not a database error. */
export class PlatformValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: (errors: ValidationError[]) => validationProblem(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' || metadata.type === 'param' || metadata.type === 'body') {
      const field = findForbiddenText(value, metadata.type === 'body' ? 'body' : 'text', metadata.data ?? '');
      if (field !== undefined) {
        throw ProblemError.of('invalid', 'REQUEST.INVALID_CHARACTERS', 'A value holds a control character, NUL or an unpaired surrogate.', {
          errors: [{ field, message: 'must not hold control characters, NUL or unpaired surrogates' }],
        });
      }
    }
    if (metadata.type === 'body' && !metadata.data && metadata.metatype && this.toValidate(metadata) && value !== undefined && !isJsonObject(value)) {
      throw validationProblem([{ field: '(body)', message: 'the body must be a JSON object' }]);
    }
    return super.transform(value, metadata);
  }

  protected override async validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> {
    const errors = await super.validate(object, options);
    return [...errors, ...strictErrors(object)];
  }
}

/** The platform's pipe (kept under its old name for the module that installs it). */
export function createValidationPipe(): ValidationPipe {
  return new PlatformValidationPipe();
}

function validationProblem(errors: { field: string; message: string }[]): ProblemError {
  return ProblemError.of('invalid', 'VALIDATION.FAILED', 'The request does not match the schema.', { errors });
}

function isJsonObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Bounded like the body: a DTO tree deeper than this is not one we declare. */
const NESTING_DEPTH_MAX = 32;

/** What the strict checks need to know of one DTO property, read once from its decorators. */
interface PropertyPlan {
  property: string;
  conditions: ((o: object, v: unknown) => boolean)[];
  nested: 'none' | 'object' | 'array';
  documentedUuid: boolean;
}

/** Decorators run when a class is defined, so a DTO's plan never changes: reading class-validator's
 *  metadata store and reflect-metadata for every property of every request was per-request work for
 *  a constant (ADR 0313). */
const plans = new WeakMap<object, PropertyPlan[]>();

function planOf(target: typeof Object.prototype.constructor): PropertyPlan[] {
  const known = plans.get(target);
  if (known) return known;
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const m of metadatas) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  const plan = [...byProperty].map(([property, own]): PropertyPlan => {
    const nested = own.find((m) => m.type === ValidationTypes.NESTED_VALIDATION);
    const declaredArray = Reflect.getMetadata('design:type', target.prototype, property) === Array;
    const documented = Reflect.getMetadata(SWAGGER_PROPERTY_METADATA, target.prototype, property) as { format?: string } | undefined;
    return {
      property,
      conditions: own.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.constraints[0] as (o: object, v: unknown) => boolean),
      nested: !nested ? 'none' : nested.each || declaredArray ? 'array' : 'object',
      documentedUuid: documented?.format === 'uuid',
    };
  });
  plans.set(target, plan);
  return plan;
}

function strictErrors(object: object, depth = 0): ValidationError[] {
  if (depth > NESTING_DEPTH_MAX || object === null || typeof object !== 'object') return [];
  const target = object.constructor;
  if (!target || target === Object) return [];
  const errors: ValidationError[] = [];
  const record = object as Record<string, unknown>;
  for (const { property, conditions, nested, documentedUuid } of planOf(target)) {
    const value = record[property];
    if (conditions.some((applies) => !applies(object, value))) continue;
    const constraints: Record<string, string> = {};
    const children: ValidationError[] = [];
    if (nested === 'array') {
      if (!Array.isArray(value)) constraints.isArray = `${property} must be an array`;
      else value.forEach((item, i) => pushChild(children, String(i), item, depth));
    } else if (nested === 'object') {
      if (!isJsonObject(value)) constraints.isObject = value === undefined ? `${property} is required` : `${property} must be a JSON object`;
      else children.push(...strictErrors(value as object, depth + 1));
    }
    if (documentedUuid && value !== undefined && value !== null && !isUuid(value)) constraints.isUuid = `${property} must be a UUID`;
    if (Object.keys(constraints).length || children.length) errors.push({ property, value, constraints, children } as ValidationError);
  }
  return errors;
}

function pushChild(children: ValidationError[], property: string, item: unknown, depth: number): void {
  const inner = isJsonObject(item) ? strictErrors(item as object, depth + 1) : [];
  if (inner.length) children.push({ property, value: item, constraints: {}, children: inner } as ValidationError);
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
