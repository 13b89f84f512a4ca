import { CodedError } from '@ionet/errors';
import { ContractError } from '@ionet/contracts';
import { EventingError, EventStoreConcurrencyError } from '@ionet/eventing';
import { LedgerError } from '@ionet/ledger';
import { TokenomicsError } from '@ionet/tokenomics';
import { ConfigError } from '../config/config';
import { DomainError } from './domain-error';
import { ProblemError } from './problem';
import { ProblemMapper } from './problem-mapper';

describe('every error class of the libraries is a CodedError, mapped by its kind', () => {
  const mapper = new ProblemMapper();
  const cases: [Error, string, number][] = [
    [new DomainError('LEASE.NOT_FUNDED', 'no escrow'), 'refused', 422],
    [ProblemError.of('forbidden', 'AUTH.INSUFFICIENT_SCOPE', 'ops only'), 'forbidden', 403],
    [new ConfigError([{ variable: 'CLOCK_RATE', message: 'must be a number' }]), 'fault', 500],
    [new ContractError('CONTRACT.MISSING_FIELD', 'DeviceRegistered.spec is missing'), 'fault', 500],
    [new EventingError('TRANSACTION.ROLLED_BACK', 'the transaction rolled back'), 'fault', 500],
    [new EventingError('EVENT_STORE.UNKNOWN_EVENT_TYPE', 'ionet.x.v1.Y is not registered'), 'fault', 500],
    [new EventingError('DEAD_LETTER.NOT_FOUND', 'no dead letter'), 'not_found', 404],
    [new EventingError('DEAD_LETTER.REDRIVE_FAILED', 'the consumer refused it again'), 'conflict', 409],
    [new EventStoreConcurrencyError('device-1', 3n, 4n), 'conflict', 409],
    [new LedgerError('LEDGER.INSUFFICIENT_FUNDS', 'customer:1:available has 0'), 'refused', 422],
    [new LedgerError('LEDGER.ACCOUNT_NOT_FOUND', 'no account x'), 'not_found', 404],
    [new TokenomicsError('STAKE.BELOW_MINIMUM', 'needs 16000 IO'), 'refused', 422],
    [new TokenomicsError('SLASH.NOT_FOUND', 'no slash 7'), 'not_found', 404],
  ];

  it.each(cases)('%p is a CodedError of kind %s, answered %i', (error, kind, status) => {
    expect(error).toBeInstanceOf(CodedError);
    expect((error as CodedError).kind).toBe(kind);
    const { problem, internal } = mapper.toProblem(error);
    expect(problem.status).toBe(status);
    expect(internal).toBe(status >= 500);
    if (status >= 500) expect(problem.code).toBe('INTERNAL');
    else expect(problem.code).toBe((error as CodedError).code);
  });
});
