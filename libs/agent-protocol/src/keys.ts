import bs58 from 'bs58';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

/** An agent's identity: an ed25519 keypair whose public key, in base58, is its Solana address. */
export interface AgentKey {
  readonly address: string;
  readonly publicKey: Uint8Array;
  /** The 32-byte private seed. */
  readonly seed: Uint8Array;
}

/** The key file's JSON: Solana's layout, the secret key being seed || public key (64 bytes). */
export interface AgentKeyJson {
  publicKey: string;
  secretKey: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_BYTES = 32;

export class AgentKeyError extends Error {
  override readonly name = 'AgentKeyError';
}

export function generateAgentKey(): AgentKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  return agentKeyFromSeed(new Uint8Array(seed));
}

export function agentKeyFromSeed(seed: Uint8Array): AgentKey {
  if (seed.length !== KEY_BYTES) throw new AgentKeyError(`an ed25519 seed is ${KEY_BYTES} bytes, not ${seed.length}`);
  const privateKey = privateKeyObject(seed);
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length));
  return Object.freeze({ address: bs58.encode(publicKey), publicKey, seed: new Uint8Array(seed) });
}

export function agentKeyToJson(key: AgentKey): AgentKeyJson {
  const secret = new Uint8Array(KEY_BYTES * 2);
  secret.set(key.seed, 0);
  secret.set(key.publicKey, KEY_BYTES);
  return { publicKey: key.address, secretKey: bs58.encode(secret) };
}

/** Reads a key file's JSON, checking that its public key is the one its secret derives. */
export function agentKeyFromJson(json: unknown): AgentKey {
  const value = json as Partial<AgentKeyJson> | null;
  if (!value || typeof value.publicKey !== 'string' || typeof value.secretKey !== 'string') throw new AgentKeyError('a key file holds {publicKey, secretKey}');
  const secret = bs58.decodeUnsafe(value.secretKey);
  if (!secret || secret.length !== KEY_BYTES * 2) throw new AgentKeyError('secretKey is not 64 bytes of base58');
  const key = agentKeyFromSeed(secret.subarray(0, KEY_BYTES));
  if (key.address !== value.publicKey || bs58.encode(secret.subarray(KEY_BYTES)) !== value.publicKey) {
    throw new AgentKeyError('publicKey does not match the secret key');
  }
  return key;
}

/** The 32 raw bytes of an address, or undefined when the text is not a base58 ed25519 public key. */
export function decodeAgentAddress(address: string): Uint8Array | undefined {
  if (typeof address !== 'string' || address.length < 32 || address.length > 44) return undefined;
  const bytes = bs58.decodeUnsafe(address);
  return bytes && bytes.length === KEY_BYTES ? bytes : undefined;
}

export function signBytes(key: AgentKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(edSign(null, message, signingKeyOf(key)));
}

/** Verifies an ed25519 signature by an address. Public key objects are cached (a verifier sees the
 *  same agents again and again); a malformed address or signature is simply not valid. */
export function verifyBytes(address: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const publicKey = publicKeyObject(address);
  if (!publicKey) return false;
  try {
    return edVerify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

const signingKeys = new WeakMap<AgentKey, KeyObject>();
function signingKeyOf(key: AgentKey): KeyObject {
  let object = signingKeys.get(key);
  if (!object) {
    object = privateKeyObject(key.seed);
    signingKeys.set(key, object);
  }
  return object;
}

const PUBLIC_KEY_CACHE_MAX = 100_000;
const publicKeys = new Map<string, KeyObject>();
function publicKeyObject(address: string): KeyObject | undefined {
  const cached = publicKeys.get(address);
  if (cached) return cached;
  const raw = decodeAgentAddress(address);
  if (!raw) return undefined;
  let object: KeyObject;
  try {
    object = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
  if (publicKeys.size >= PUBLIC_KEY_CACHE_MAX) publicKeys.delete(publicKeys.keys().next().value as string);
  publicKeys.set(address, object);
  return object;
}
