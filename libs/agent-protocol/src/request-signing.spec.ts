import { generateAgentKey } from './keys';
import { AGENT_AUTH_CODES, AGENT_HEADERS, signAgentRequest, verifyAgentRequest } from './request-signing';

describe('signed agent requests', () => {
  const key = generateAgentKey();
  const now = 1_764_600_000_000;
  const body = JSON.stringify({ heartbeats: [] });
  const headers = signAgentRequest({ key, method: 'post', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: now });
  const check = (over: Partial<Parameters<typeof verifyAgentRequest>[0]> = {}) =>
    verifyAgentRequest({ headers, method: 'POST', pathAndQuery: '/v1/agent/heartbeats', rawBody: Buffer.from(body), nowMs: now + 1_000, ...over });

  it('verifies the request as signed and names the agent', () => {
    expect(check()).toEqual({ ok: true, address: key.address, nonce: headers[AGENT_HEADERS.nonce], timestampMs: now });
  });

  it.each([
    ['another path', { pathAndQuery: '/v1/agent/work' }],
    ['a query added', { pathAndQuery: '/v1/agent/heartbeats?x=1' }],
    ['another method', { method: 'PUT' }],
    ['a changed body', { rawBody: Buffer.from(body + ' ') }],
  ])('refuses %s', (_, over) => {
    expect(check(over)).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.invalid });
  });

  it('refuses a signature by another key under this key', () => {
    const forged = signAgentRequest({ key: generateAgentKey(), method: 'POST', pathAndQuery: '/v1/agent/heartbeats', body, nowMs: now });
    expect(check({ headers: { ...forged, [AGENT_HEADERS.key]: key.address } })).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.invalid });
  });

  it('refuses a stale or future timestamp and missing or repeated headers', () => {
    expect(check({ nowMs: now + 5 * 60_000 + 1 })).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.stale });
    expect(check({ nowMs: now - 5 * 60_000 - 1 })).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.stale });
    const { [AGENT_HEADERS.nonce]: _nonce, ...withoutNonce } = headers;
    expect(check({ headers: withoutNonce })).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.missing });
    expect(check({ headers: { ...headers, [AGENT_HEADERS.key]: [key.address, key.address] } })).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.missing });
    expect(check({ headers: { ...headers, [AGENT_HEADERS.nonce]: 'short' } })).toMatchObject({ ok: false, code: AGENT_AUTH_CODES.invalid });
  });

  it('signs an empty body as the hash of nothing', () => {
    const get = signAgentRequest({ key, method: 'GET', pathAndQuery: '/v1/agent/work?waitMs=100', nowMs: now });
    expect(verifyAgentRequest({ headers: get, method: 'GET', pathAndQuery: '/v1/agent/work?waitMs=100', rawBody: undefined, nowMs: now })).toMatchObject({ ok: true });
    expect(verifyAgentRequest({ headers: get, method: 'GET', pathAndQuery: '/v1/agent/work?waitMs=100', rawBody: Buffer.alloc(0), nowMs: now })).toMatchObject({ ok: true });
  });
});
