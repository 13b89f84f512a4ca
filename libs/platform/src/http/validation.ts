import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemError } from '../errors/problem';

/** Rejects unknown fields and wrong types with one 400 problem listing every field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors: ValidationError[]) =>
      ProblemError.of('invalid', 'VALIDATION.FAILED', 'The request does not match the schema.', { errors: flatten(errors) }),
  });
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
