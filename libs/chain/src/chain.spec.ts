import { getTransactionDecoder } from '@solana/kit';
import { Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import { GENESIS_SUPPLY_BASE_UNITS, MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import { kitTransactionOf } from './embedded/litesvm-chain';
import { memoInstruction } from './gateway/solana-gateway';
import { chainConfigIssues, chainConfigSchema } from './chain.config';
import { canonicalJson, requestHash } from './store/chain-operation-store';

describe('operation request hashes', () => {
  it('ignore key order and write bigints exactly, so a retry with the same request matches', () => {
    const a = { operationId: 'p-1', asset: 'IO', to: { wallet: 'w' }, amountBaseUnits: 123_456_789_012_345_678_901n };
    const b = { amountBaseUnits: 123_456_789_012_345_678_901n, to: { wallet: 'w' }, asset: 'IO', operationId: 'p-1' };
    expect(canonicalJson(a)).toBe('{"amountBaseUnits":"123456789012345678901","asset":"IO","operationId":"p-1","to":{"wallet":"w"}}');
    expect(requestHash(a)).toBe(requestHash(b));
  });

  it('differ when any parameter differs', () => {
    const base = { operationId: 'p-1', asset: 'IO', amountBaseUnits: 1n };
    expect(requestHash(base)).not.toBe(requestHash({ ...base, amountBaseUnits: 2n }));
    expect(requestHash(base)).not.toBe(requestHash({ ...base, asset: 'USDC' }));
    expect(requestHash({ legs: [1n, 2n] })).not.toBe(requestHash({ legs: [2n, 1n] }));
  });
});

describe('chain configuration', () => {
  it('defaults to the embedded chain with the token\'s genesis and cap', () => {
    const config = chainConfigSchema.parse({});
    expect(config).toMatchObject({ CHAIN_ADAPTER: 'embedded', CHAIN_IO_GENESIS_BASE_UNITS: GENESIS_SUPPLY_BASE_UNITS, CHAIN_IO_MAX_SUPPLY_BASE_UNITS: MAX_SUPPLY_BASE_UNITS });
    expect(chainConfigIssues(config)).toEqual([]);
  });

  it('names every variable an RPC deployment lacks, and refuses malformed ones', () => {
    const issues = chainConfigIssues(chainConfigSchema.parse({ CHAIN_ADAPTER: 'rpc', CHAIN_RPC_URL: 'https://api.devnet.solana.com' }));
    expect(issues.map((i) => i.variable)).toEqual(['CHAIN_IO_MINT', 'CHAIN_USDC_MINT', 'CHAIN_KEY_DIR']);
    for (const bad of [{ CHAIN_ADAPTER: 'devnet' }, { CHAIN_RPC_URL: 'ftp://x' }, { CHAIN_IO_MINT: 'not-base58!' }, { CHAIN_IO_GENESIS_BASE_UNITS: '1.5' }]) {
      expect({ bad, ok: chainConfigSchema.safeParse(bad).success }).toEqual({ bad, ok: false });
    }
  });
});

describe('web3.js wire bytes into LiteSVM', () => {
  it('slice into the same message and signatures as kit\'s decoder, signers in order', () => {
    const payer = Keypair.generate();
    const other = Keypair.generate();
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: Keypair.generate().publicKey.toBase58() });
    tx.add(SystemProgram.transfer({ fromPubkey: other.publicKey, toPubkey: payer.publicKey, lamports: 5 }), memoInstruction('ionet:op:x:1'));
    tx.sign(payer, other);
    const wire = tx.serialize();
    const ours = kitTransactionOf(wire) as unknown as { messageBytes: Uint8Array; signatures: Record<string, Uint8Array> };
    const kits = getTransactionDecoder().decode(wire);
    expect(Buffer.from(ours.messageBytes).equals(Buffer.from(kits.messageBytes))).toBe(true);
    expect(Object.keys(ours.signatures)).toEqual([payer.publicKey.toBase58(), other.publicKey.toBase58()]);
    for (const [key, signature] of Object.entries(kits.signatures)) expect(Buffer.from(ours.signatures[key]!).equals(Buffer.from(signature!))).toBe(true);
  });

  it('refuses truncated bytes with CHAIN.INVALID_REQUEST', () => {
    expect(() => kitTransactionOf(new Uint8Array([2, 1, 2, 3]))).toThrow(expect.objectContaining({ code: 'CHAIN.INVALID_REQUEST' }));
  });
});
