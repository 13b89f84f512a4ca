import { BadRequestException, NotFoundException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { ProblemError } from './problem';
import { ProblemMapper } from './problem-mapper';

describe('ProblemMapper', () => {
  const mapper = new ProblemMapper({ NOT_FUNDED: 'conflict' });

  it('maps a domain error by its reason to a status, keeping the stable code and context', () => {
    const { problem, internal } = mapper.toProblem(new DomainError('LEASE.NOT_FUNDED', 'lease l-1 has no escrow', { leaseId: 'l-1' }), '/v1/leases/l-1');
    expect(internal).toBe(false);
    expect(problem).toMatchObject({ status: 409, code: 'LEASE.NOT_FUNDED', detail: 'lease l-1 has no escrow', instance: '/v1/leases/l-1', context: { leaseId: 'l-1' } });
    expect(problem.type).toMatch(/lease-not-funded$/);
  });

  it('maps default reasons and treats unknown reasons as 422', () => {
    expect(mapper.toProblem(new DomainError('DEVICE.NOT_FOUND', 'x')).problem.status).toBe(404);
    expect(mapper.toProblem(new DomainError('STAKE.BELOW_MINIMUM', 'x')).problem.status).toBe(422);
  });

  it('maps any error with an AREA.REASON code the same way, but not system error codes', () => {
    class StakeError extends Error {
      constructor(readonly code: string, message: string) {
        super(message);
      }
    }
    expect(mapper.toProblem(new StakeError('STAKE.BELOW_MINIMUM', 'needs 16000 IO')).problem).toMatchObject({ status: 422, code: 'STAKE.BELOW_MINIMUM', detail: 'needs 16000 IO' });
    const system = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(mapper.toProblem(system)).toMatchObject({ internal: true, problem: { status: 500 } });
    const pg = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(mapper.toProblem(pg).problem.status).toBe(500);
  });

  it('passes platform problems through unchanged', () => {
    const err = ProblemError.of('unauthenticated', 'AUTH.MISSING_API_KEY', 'send an API key');
    expect(mapper.toProblem(err).problem).toMatchObject({ status: 401, code: 'AUTH.MISSING_API_KEY', title: 'Unauthorized' });
  });

  it('gives Nest HTTP exceptions a stable code', () => {
    expect(mapper.toProblem(new NotFoundException('Cannot GET /nope')).problem).toMatchObject({ status: 404, code: 'ROUTE.NOT_FOUND' });
    expect(mapper.toProblem(new BadRequestException(['a', 'b'])).problem).toMatchObject({ status: 400, code: 'REQUEST.INVALID', detail: 'a; b' });
  });

  it('keeps the code of an HTTP exception whose body names one', () => {
    const err = new NotFoundException({ code: 'DEAD_LETTER.NOT_FOUND', detail: 'no dead letter 7' });
    expect(mapper.toProblem(err).problem).toMatchObject({ status: 404, code: 'DEAD_LETTER.NOT_FOUND', detail: 'no dead letter 7' });
  });

  it('hides the internals of an unexpected error and flags it for logging', () => {
    const { problem, internal } = mapper.toProblem(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(internal).toBe(true);
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(JSON.stringify(problem)).not.toContain('undefined');
  });

  it('maps fastify body errors to 4xx problems, not 500', () => {
    const malformed = Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(mapper.toProblem(malformed).problem).toMatchObject({ status: 400, code: 'REQUEST.MALFORMED' });
    const media = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    expect(mapper.toProblem(media).problem).toMatchObject({ status: 415, code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' });
  });
});
