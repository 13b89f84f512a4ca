import { GENESIS_SUPPLY_BASE_UNITS, MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
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
