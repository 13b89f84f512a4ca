import { CodedError, errorArea, errorReason, ERROR_CODE_PATTERN, isCodedError, type ErrorKind } from './coded-error';

class StakeError extends CodedError {
  readonly kind: ErrorKind = 'refused';
  constructor(
    readonly code: 'STAKE.BELOW_MINIMUM' | 'STAKE.NOT_FOUND',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

describe('CodedError', () => {
  it('is an Error with a stable code, a kind and the subclass name', () => {
    const err = new StakeError('STAKE.BELOW_MINIMUM', 'needs 16000 IO');
    expect(err).toBeInstanceOf(Error);
    expect(isCodedError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'STAKE.BELOW_MINIMUM', kind: 'refused', name: 'StakeError', message: 'STAKE.BELOW_MINIMUM: needs 16000 IO' });
    expect(isCodedError(Object.assign(new Error('x'), { code: 'STAKE.NOT_FOUND', kind: 'not_found' }))).toBe(false);
  });

  it('keeps the cause it wraps', () => {
    const cause = new Error('connection reset');
    class StoreFault extends CodedError {
      readonly code = 'EVENT_STORE.UNAVAILABLE';
      readonly kind = 'fault' as const;
    }
    expect(new StoreFault('append failed', { cause }).cause).toBe(cause);
  });

  it('splits a code into area and reason, and recognises the AREA.REASON form', () => {
    expect(errorArea('LEDGER.UNBALANCED')).toBe('LEDGER');
    expect(errorReason('DEAD_LETTER.NOT_FOUND')).toBe('NOT_FOUND');
    expect(ERROR_CODE_PATTERN.test('EVENT_STORE.VERSION_CONFLICT')).toBe(true);
    for (const bad of ['ECONNREFUSED', '23505', 'lease.not_funded', 'LEASE.']) expect(ERROR_CODE_PATTERN.test(bad)).toBe(false);
  });
});
