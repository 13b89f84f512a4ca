import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config/config';
import { assertOpsKeyFitFor, estimatedEntropyBits, opsKeyWeakness } from './ops-key-policy';

describe('the production ops key policy', () => {
  it('accepts a key of 32 random bytes', () => {
    for (let i = 0; i < 50; i++) expect(opsKeyWeakness(`ionet_ops_${randomBytes(32).toString('base64url')}`)).toBeUndefined();
  });

  it('refuses published keys, words and repetition', () => {
    expect(opsKeyWeakness('ionet_ops_compose-development-key-change-me-000000')).toMatch(/published/);
    expect(opsKeyWeakness('ionet_ops_test-bootstrap-key-0000000000000000000000')).toMatch(/published/);
    expect(opsKeyWeakness(`ionet_ops_mysecret${randomBytes(32).toString('base64url')}`)).toMatch(/secret/);
    expect(opsKeyWeakness(`ionet_ops_${'ab'.repeat(22)}`)).toMatch(/pattern/);
    expect(opsKeyWeakness('0123456789abcdef0123456789abcdef')).toMatch(/pattern/);
    expect(opsKeyWeakness(`ionet_ops_${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'}abcdefghijklmnopq`)).toMatch(/pattern/);
    expect(opsKeyWeakness('ionet_ops_Zq8rT2mW')).toMatch(/predictable/);
    expect(estimatedEntropyBits('aaaaaaaa')).toBe(0);
  });

  it('applies in production only, naming the variable', () => {
    expect(() => assertOpsKeyFitFor('development', 'ionet_ops_compose-development-key-change-me-000000')).not.toThrow();
    expect(() => assertOpsKeyFitFor('production', undefined)).not.toThrow();
    expect(() => assertOpsKeyFitFor('production', 'ionet_ops_compose-development-key-change-me-000000')).toThrow(ConfigError);
    expect(() => assertOpsKeyFitFor('production', 'ionet_ops_compose-development-key-change-me-000000')).toThrow(/OPS_BOOTSTRAP_API_KEY/);
  });
});
