import { BadRequestException, ConflictException, InternalServerErrorException, NotFoundException } from '@nestjs/common';
import { CodedError, type ErrorKind } from '@ionet/errors';
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

  it('answers library, contract and transaction faults as logged 500s that name no internals', () => {
    class EventingLikeError extends Error {
      constructor(readonly code: string, message: string) {
        super(message);
      }
    }
    for (const code of ['TRANSACTION.ROLLED_BACK', 'EVENT_STORE.UNKNOWN_EVENT_TYPE', 'CONTRACT.MISSING_FIELD', 'OUTBOX.RELAY_FAILED']) {
      const { problem, internal } = mapper.toProblem(new EventingLikeError(code, `relation "events_7f3a" in schema inv_test: ${code}`), '/v1/devices');
      expect(internal).toBe(true);
      expect(problem).toEqual(expect.objectContaining({ status: 500, code: 'INTERNAL' }));
      expect(JSON.stringify(problem)).not.toMatch(/events_7f3a|inv_test|TRANSACTION|EVENT_STORE|CONTRACT|OUTBOX/);
    }
  });

  it('answers a rebuild already running as 409 and a version conflict as 409', () => {
    const rebuilding = Object.assign(new Error('projection catalog is rebuilding'), { code: 'PROJECTION.REBUILD_IN_PROGRESS' });
    expect(mapper.toProblem(rebuilding)).toMatchObject({ internal: false, problem: { status: 409, code: 'PROJECTION.REBUILD_IN_PROGRESS' } });
    const conflict = Object.assign(new Error('stream moved'), { code: 'EVENT_STORE.VERSION_CONFLICT' });
    expect(mapper.toProblem(conflict).problem.status).toBe(409);
  });

  it('maps a CodedError by its declared kind, and a fault kind to a logged 500 whatever its area', () => {
    class LeaseError extends CodedError {
      constructor(readonly code: string, readonly kind: ErrorKind, message: string) {
        super(message);
      }
    }
    const statuses = (['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'refused', 'rate_limited'] as const).map(
      (kind) => mapper.toProblem(new LeaseError('LEASE.SOMETHING', kind, 'x')).problem.status,
    );
    expect(statuses).toEqual([400, 401, 403, 404, 409, 422, 429]);
    const fault = mapper.toProblem(new LeaseError('LEASE.CHAIN_MISMATCH', 'fault', 'slot 7 of lease l-1 points at tx 5sd...'));
    expect(fault).toMatchObject({ internal: true, problem: { status: 500, code: 'INTERNAL' } });
    expect(JSON.stringify(fault.problem)).not.toContain('slot 7');
    // A code the library knows overrides a kind its thrower got wrong.
    expect(mapper.toProblem(new LeaseError('PROJECTION.REBUILD_IN_PROGRESS', 'fault', 'x')).problem.status).toBe(409);
  });

  it('lets a service map its own full codes and reasons', () => {
    const own = new ProblemMapper({ 'LEASE.EXPIRED': 'conflict', NOT_FUNDED: 'forbidden' });
    expect(own.toProblem(new DomainError('LEASE.EXPIRED', 'x')).problem.status).toBe(409);
    expect(own.toProblem(new DomainError('LEASE.NOT_FUNDED', 'x')).problem.status).toBe(403);
    expect(own.toProblem(new DomainError('LEASE.OTHER', 'x')).problem.status).toBe(422);
  });

  it('hides the detail of a 5xx HTTP exception', () => {
    const { problem, internal } = mapper.toProblem(new InternalServerErrorException({ code: 'DEAD_LETTER.REDRIVE_FAILED', detail: 'pg: deadlock on dead_letters_pkey' }));
    expect(internal).toBe(true);
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(JSON.stringify(problem)).not.toContain('dead_letters_pkey');
  });

  it('answers a fault that a library wrapped in a 4xx HTTP exception as a logged 500', () => {
    const wrapped = new ConflictException({ code: 'TRANSACTION.ROLLED_BACK', detail: 'current transaction is aborted (dead_letters_pkey)' });
    const { problem, internal } = mapper.toProblem(wrapped);
    expect(internal).toBe(true);
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(JSON.stringify(problem)).not.toContain('dead_letters_pkey');
    expect(mapper.toProblem(new BadRequestException({ code: 'DEAD_LETTER.BAD_LIMIT', detail: 'limit must be a positive integer' })).problem).toMatchObject({ status: 400, code: 'DEAD_LETTER.BAD_LIMIT' });
    expect(mapper.toProblem(new ConflictException({ code: 'DEAD_LETTER.NO_CONSUMER', detail: 'no consumer' })).problem.status).toBe(409);
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
