import { CodedError, errorArea, errorReason, ERROR_CODE_PATTERN, isCodedError, kindOfReason, type ErrorKind } from './coded-error';

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

  it('names the kind a reason conventionally stands for, whole or as a suffix', () => {
    expect(kindOfReason('DEVICE.NOT_FOUND')).toBe('not_found');
    expect(kindOfReason('LEDGER.ACCOUNT_NOT_FOUND')).toBe('not_found');
    expect(kindOfReason('STAKE.DEVICE_EXISTS')).toBe('conflict');
    expect(kindOfReason('LEDGER.ID_CONFLICT')).toBe('conflict');
    expect(kindOfReason('LEDGER.INSUFFICIENT_FUNDS')).toBe('refused');
    expect(kindOfReason('PARAMS.INVALID')).toBe('invalid');
    expect(kindOfReason('TRANSACTION.ROLLED_BACK', 'fault')).toBe('fault');
    // A reason that merely contains a known word is not it.
    expect(kindOfReason('SLASH.NOT_FOUNDED')).toBe('refused');
  });
});
