import { API_KEY_LENGTH_MAX, displayPrefixOf, generateApiKey, looksLikeApiKey } from './api-key-hash';
import { ApiKeyMap } from './api-key-map';
import { MALFORMED, presentedApiKey } from './api-key.guard';

const KEY = `ionet_customer_${'A'.repeat(43)}`;

describe('the presented API key', () => {
  const headers = (h: Record<string, string | string[]>) => ({ headers: h });

  it('takes a well-formed Bearer header, or X-API-Key when there is no Authorization header', () => {
    expect(presentedApiKey(headers({ authorization: `Bearer ${KEY}` }))).toBe(KEY);
    expect(presentedApiKey(headers({ authorization: `bearer ${KEY}` }))).toBe(KEY);
    expect(presentedApiKey(headers({ 'x-api-key': ` ${KEY} ` }))).toBe(KEY);
    expect(presentedApiKey(headers({}))).toBeUndefined();
  });

  it('refuses a malformed Authorization header instead of falling back to X-API-Key', () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', `Bearer`, `Bearer ${KEY} extra`, `Token ${KEY}`, `Bearer ${'x'.repeat(513)}`, '']) {
      expect(presentedApiKey(headers({ authorization, 'x-api-key': KEY }))).toBe(MALFORMED);
    }
    expect(presentedApiKey(headers({ 'x-api-key': ['a', 'b'] }))).toBe(MALFORMED);
    expect(presentedApiKey(headers({ 'x-api-key': 'has space' }))).toBe(MALFORMED);
  });
});

describe('the key format check', () => {
  it('accepts every issued shape and nothing else', () => {
    for (const scope of ['ops', 'supplier', 'customer', 'partner_network'] as const) {
      const key = generateApiKey(scope);
      expect(looksLikeApiKey(key)).toBe(true);
      expect(key.length).toBeLessThanOrEqual(API_KEY_LENGTH_MAX);
      expect(displayPrefixOf(key)).toBe(key.slice(0, `ionet_${scope}_`.length + 4));
    }
    for (const bad of ['', 'ionet_customer_short', `ionet_admin_${'A'.repeat(43)}`, `${KEY}A`, `ionet_customer_${'A'.repeat(42)}!`, 'x'.repeat(10_000)]) {
      expect(looksLikeApiKey(bad)).toBe(false);
    }
  });
});

describe('the key map', () => {
  it('serves live keys and forgets revoked ones, whatever order rows come in', () => {
    const map = new ApiKeyMap();
    const live = { id: 'k1', key_hash: 'h1', tenant_id: 'org', scopes: ['customer'], revoked_at: null };
    map.apply(live);
    expect(map.get('h1')).toEqual({ keyId: 'k1', tenantId: 'org', scopes: ['customer'] });
    map.apply({ ...live, revoked_at: new Date() });
    expect(map.get('h1')).toBeUndefined();
    map.apply({ ...live, scopes: ['revoked'] });
    expect(map.get('h1')).toBeUndefined();
    expect(map.size).toBe(0);
  });
});
