import { createPublicKey, verify } from 'node:crypto';
import { agentKeyFromJson, agentKeyFromSeed, agentKeyToJson, decodeAgentAddress, generateAgentKey, signBytes, verifyBytes } from './keys';

describe('agent keys', () => {
  it('round-trips through the key file and signs what Node verifies against the raw public key', () => {
    const key = generateAgentKey();
    const restored = agentKeyFromJson(JSON.parse(JSON.stringify(agentKeyToJson(key))));
    expect(restored.address).toBe(key.address);
    const message = Buffer.from('hello');
    const signature = signBytes(restored, message);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(decodeAgentAddress(key.address)!)]);
    expect(verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature)).toBe(true);
    expect(verifyBytes(key.address, message, signature)).toBe(true);
  });

  it('derives the RFC 8032 public key from a known seed', () => {
    // RFC 8032 section 7.1, test 1.
    const key = agentKeyFromSeed(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
    expect(Buffer.from(key.publicKey).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  });

  it('refuses a key file whose public key is not its secret key', () => {
    const a = agentKeyToJson(generateAgentKey());
    const b = agentKeyToJson(generateAgentKey());
    expect(() => agentKeyFromJson({ publicKey: b.publicKey, secretKey: a.secretKey })).toThrow('does not match');
    expect(() => agentKeyFromJson({ publicKey: a.publicKey })).toThrow();
    expect(() => agentKeyFromJson({ publicKey: a.publicKey, secretKey: 'abc' })).toThrow('64 bytes');
  });

  it('does not verify another key, a changed message, a short signature or a malformed address', () => {
    const key = generateAgentKey();
    const other = generateAgentKey();
    const signature = signBytes(key, Buffer.from('m'));
    expect(verifyBytes(other.address, Buffer.from('m'), signature)).toBe(false);
    expect(verifyBytes(key.address, Buffer.from('n'), signature)).toBe(false);
    expect(verifyBytes(key.address, Buffer.from('m'), signature.subarray(1))).toBe(false);
    expect(verifyBytes('not-base58-0OIl', Buffer.from('m'), signature)).toBe(false);
  });
});
