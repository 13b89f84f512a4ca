import { QueryFailedError } from 'typeorm';
import { redactUrl, safeErrorSerializer, safeRequestSerializer } from './logger';

describe('the log serializers', () => {
  it('log a database fault with its message and stack but without SQL text, parameters or row values', () => {
    const driverError = Object.assign(new Error('relation "secrets" does not exist'), { detail: 'Key (owner)=(alice) already exists', where: 'PL/pgSQL', code: '42P01' });
    const err = new QueryFailedError('select * from secrets where owner = $1', ['alice-parameter'], driverError);
    const serialized = JSON.stringify(safeErrorSerializer(new Error('wrapped', { cause: err })));
    expect(serialized).toContain('wrapped');
    expect(serialized).toContain('does not exist');
    expect(serialized).not.toContain('select * from');
    expect(serialized).not.toContain('alice');
    expect(serialized).not.toContain('PL/pgSQL');
  });

  it('log request URLs without credentials in their query', () => {
    expect(redactUrl('/v1/devices?limit=5&api_key=ionet_customer_abc&cursor=x')).toBe('/v1/devices?limit=5&api_key=[redacted]&cursor=x');
    expect(redactUrl('/v1/devices?access_token=t&KEY=k')).toBe('/v1/devices?access_token=[redacted]&KEY=[redacted]');
    expect(safeRequestSerializer({ method: 'GET', url: '/a?token=abc', ip: '127.0.0.1' })).toEqual({ method: 'GET', url: '/a?token=[redacted]', id: undefined, hostname: undefined, remoteAddress: '127.0.0.1' });
  });
});
