import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { Matches, type ValidationOptions } from 'class-validator';
import { ProblemError } from '../errors/problem';

/** 8-4-4-4-12 hexadecimal digits: what PostgreSQL's `uuid` type accepts from us, and nothing that
 *  merely has the right length (36 dashes reached the database before). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** A path or query id: a UUID (answered in lower case) or a 400 `REQUEST.INVALID_ID`. */
@Injectable()
export class ParseUuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (isUuid(value)) return value.toLowerCase();
    const field = metadata.data ?? 'id';
    throw ProblemError.of('invalid', 'REQUEST.INVALID_ID', `${field} must be a UUID.`, { errors: [{ field, message: `${field} must be a UUID` }] });
  }
}

/** A DTO field holding a UUID. A field documented with `format: 'uuid'` is held to the same rule by
 *  the platform's validation pipe even without this decorator. */
export function IsUuid(options: ValidationOptions = {}): PropertyDecorator {
  return Matches(UUID_PATTERN, { message: '$property must be a UUID', ...options });
}

/** Control characters (C0 and DEL) and unpaired surrogates: never meaningful in a path or query
 *  value, and NUL cannot be stored in a PostgreSQL text column at all. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TEXT_FORBIDDEN = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** In JSON bodies text may carry tabs and newlines; NUL and unpaired surrogates still cannot be stored. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const BODY_FORBIDDEN = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Values per request are bounded by the body limit; the walk is iterative so deep nesting cannot
 *  overflow the stack. */
const WALK_NODES_MAX = 200_000;

/** The first string (value or key) in a path, query or body value with a character the edge
 *  refuses, as the field path that holds it; undefined when all are clean. */
export function findForbiddenText(value: unknown, where: 'text' | 'body', root = ''): string | undefined {
  const forbidden = where === 'body' ? BODY_FORBIDDEN : TEXT_FORBIDDEN;
  const stack: [unknown, string][] = [[value, root]];
  let visited = 0;
  while (stack.length) {
    const [current, path] = stack.pop()!;
    if (++visited > WALK_NODES_MAX) return path || '(body)';
    if (typeof current === 'string') {
      if (forbidden.test(current)) return path || '(value)';
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        const child = path ? `${path}.${key}` : key;
        if (forbidden.test(key)) return child;
        stack.push([item, child]);
      }
    }
  }
  return undefined;
}
