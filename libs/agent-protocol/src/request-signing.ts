import { createHash, randomBytes } from 'node:crypto';
import { signBytes, verifyBytes, type AgentKey } from './keys';

/** The headers every agent request carries (lower case, as Node presents them). */
export const AGENT_HEADERS = {
  key: 'x-ionet-agent-key',
  timestamp: 'x-ionet-agent-timestamp',
  nonce: 'x-ionet-agent-nonce',
  signature: 'x-ionet-agent-signature',
} as const;

export const AGENT_SIGNATURE_SCHEME = 'IONET-AGENT-V1';
/** A signature older or newer than this (wall clock, transport time) is refused. */
export const AGENT_SIGNATURE_MAX_SKEW_MS = 5 * 60_000;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;
const SIGNATURE_PATTERN = /^[A-Za-z0-9+/]{86}==$/;

export const AGENT_AUTH_CODES = {
  missing: 'AGENT.SIGNATURE_MISSING',
  invalid: 'AGENT.SIGNATURE_INVALID',
  stale: 'AGENT.SIGNATURE_STALE',
  replayed: 'AGENT.NONCE_REPLAYED',
  unknownDevice: 'AGENT.UNKNOWN_DEVICE',
} as const;
export type AgentAuthCode = (typeof AGENT_AUTH_CODES)[keyof typeof AGENT_AUTH_CODES];

export type AgentHeaders = Record<(typeof AGENT_HEADERS)[keyof typeof AGENT_HEADERS], string>;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The exact text an agent signs: scheme, method, path with query as sent, timestamp, nonce and the
 *  sha256 of the raw body bytes (of nothing for a request without a body). */
export function agentSigningString(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: Uint8Array | string | undefined): string {
  return `${AGENT_SIGNATURE_SCHEME}\n${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${sha256Hex(body ?? '')}`;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The four headers that authenticate one request. `nowMs` and `nonce` come from the caller (the CLI
 *  passes its wall clock and a random nonce; tests pass fixed ones). */
export function signAgentRequest(input: {
  key: AgentKey;
  method: string;
  pathAndQuery: string;
  body?: Uint8Array | string;
  nowMs: number;
  nonce?: string;
}): AgentHeaders {
  const timestamp = String(Math.trunc(input.nowMs));
  const nonce = input.nonce ?? newNonce();
  const signature = signBytes(input.key, Buffer.from(agentSigningString(input.method, input.pathAndQuery, timestamp, nonce, input.body), 'utf8'));
  return {
    [AGENT_HEADERS.key]: input.key.address,
    [AGENT_HEADERS.timestamp]: timestamp,
    [AGENT_HEADERS.nonce]: nonce,
    [AGENT_HEADERS.signature]: Buffer.from(signature).toString('base64'),
  } as AgentHeaders;
}

export type AgentRequestVerdict =
  | { ok: true; address: string; nonce: string; timestampMs: number }
  | { ok: false; code: AgentAuthCode; detail: string };

/** Checks one request's signature (not its nonce's freshness: that needs a shared store, see the
 *  platform's guard). Pure: the caller passes its wall clock. */
export function verifyAgentRequest(input: {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  pathAndQuery: string;
  rawBody: Uint8Array | string | undefined;
  nowMs: number;
  maxSkewMs?: number;
}): AgentRequestVerdict {
  const header = (name: string): string | undefined => {
    const value = input.headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  const address = header(AGENT_HEADERS.key);
  const timestamp = header(AGENT_HEADERS.timestamp);
  const nonce = header(AGENT_HEADERS.nonce);
  const signature = header(AGENT_HEADERS.signature);
  if (!address || !timestamp || !nonce || !signature) {
    return { ok: false, code: AGENT_AUTH_CODES.missing, detail: `an agent request carries ${Object.values(AGENT_HEADERS).join(', ')} (exactly once each)` };
  }
  if (!TIMESTAMP_PATTERN.test(timestamp) || !NONCE_PATTERN.test(nonce) || !SIGNATURE_PATTERN.test(signature)) {
    return { ok: false, code: AGENT_AUTH_CODES.invalid, detail: 'the timestamp is unix milliseconds, the nonce 16-64 base64url characters, the signature 64 bytes in base64' };
  }
  const timestampMs = Number(timestamp);
  const skew = input.maxSkewMs ?? AGENT_SIGNATURE_MAX_SKEW_MS;
  if (Math.abs(input.nowMs - timestampMs) > skew) {
    return { ok: false, code: AGENT_AUTH_CODES.stale, detail: `the signature's timestamp is more than ${skew / 1000} s from the platform's clock; check the machine's time` };
  }
  const message = Buffer.from(agentSigningString(input.method, input.pathAndQuery, timestamp, nonce, input.rawBody), 'utf8');
  if (!verifyBytes(address, message, Buffer.from(signature, 'base64'))) {
    return { ok: false, code: AGENT_AUTH_CODES.invalid, detail: 'the signature does not verify against the key for this method, path, timestamp, nonce and body' };
  }
  return { ok: true, address, nonce, timestampMs };
}
