import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { GENESIS_SUPPLY_BASE_UNITS, MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import { ChainError, CUSTODY, type ChainGateway } from '../src';
import { chainTestEnv, type ChainTestEnv } from './support/chain-test-kit';

const IO = 100_000_000n;

describe('the embedded chain gateway (LiteSVM, SPL Token, operations recorded in PostgreSQL)', () => {
  let env: ChainTestEnv;
  let gateway: ChainGateway;

  beforeAll(async () => {
    env = await chainTestEnv('chain_gateway');
    gateway = await env.open();
  });

  afterAll(async () => {
    await gateway?.close();
    await env?.dispose();
  });

  it('creates the IO mint with 8 decimals and its genesis supply, and USDC with 6, read back from the mints', async () => {
    const io = await gateway.mintInfo('IO');
    const usdc = await gateway.mintInfo('USDC');
    expect({ decimals: io.decimals, supply: io.supplyBaseUnits }).toEqual({ decimals: 8, supply: GENESIS_SUPPLY_BASE_UNITS });
    expect({ decimals: usdc.decimals, supply: usdc.supplyBaseUnits }).toEqual({ decimals: 6, supply: 0n });
    expect(await gateway.balance('IO', { custody: CUSTODY.genesis })).toBe(GENESIS_SUPPLY_BASE_UNITS);
  });

  it('keeps its keys in files only the owner may read', () => {
    for (const key of ['mint-authority', 'fee-payer', 'custody-genesis']) {
      expect({ key, mode: (statSync(join(env.dataDir, 'keys', `${key}.json`)).mode & 0o777).toString(8) }).toEqual({ key, mode: '600' });
    }
  });

  it('transfers to a wallet, creating its token account, and a repeated id sends nothing again', async () => {
    const wallet = Keypair.generate().publicKey.toBase58();
    const request = { operationId: 'transfer-once', asset: 'IO' as const, from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: 1_234n * IO };
    const first = await gateway.transfer(request);
    const again = await gateway.transfer(request);
    expect(first).toMatchObject({ status: 'confirmed', attempt: 1, kind: 'transfer', asset: 'IO', amountBaseUnits: 1_234n * IO });
    expect(again).toEqual(first);
    expect(await gateway.balance('IO', { wallet })).toBe(1_234n * IO);
    expect(await gateway.balance('IO', { custody: CUSTODY.genesis })).toBe(GENESIS_SUPPLY_BASE_UNITS - 1_234n * IO);
    await expect(gateway.transfer({ ...request, amountBaseUnits: 1n })).rejects.toMatchObject({ code: 'CHAIN.OPERATION_CONFLICT' });
    expect(await gateway.operation('transfer-once')).toEqual(first);
  });

  it('mints and burns, moving the on-chain supply, and refuses a mint past the 800M cap', async () => {
    const before = (await gateway.mintInfo('IO')).supplyBaseUnits;
    await gateway.mint({ operationId: 'mint-epoch-1', asset: 'IO', to: { custody: CUSTODY.emissionReserve }, amountBaseUnits: 4_566n * IO });
    await gateway.burn({ operationId: 'burn-1', asset: 'IO', from: { custody: CUSTODY.emissionReserve }, amountBaseUnits: 66n * IO });
    expect((await gateway.mintInfo('IO')).supplyBaseUnits).toBe(before + 4_500n * IO);
    expect(await gateway.balance('IO', { custody: CUSTODY.emissionReserve })).toBe(4_500n * IO);
    const room = MAX_SUPPLY_BASE_UNITS - (before + 4_500n * IO);
    await expect(gateway.mint({ operationId: 'mint-too-much', asset: 'IO', to: { custody: CUSTODY.emissionReserve }, amountBaseUnits: room + 1n })).rejects.toMatchObject({
      code: 'CHAIN.SUPPLY_CAP_EXCEEDED',
    });
    expect(await gateway.operation('mint-too-much')).toBeUndefined();
    expect((await gateway.mintInfo('IO')).supplyBaseUnits).toBe(before + 4_500n * IO);
  });

  it('settles the same operation built again from a lost record as landed: the chain refuses the bytes it has seen, and mints once', async () => {
    const before = (await gateway.mintInfo('IO')).supplyBaseUnits;
    const request = { operationId: 'mint-record-lost', asset: 'IO' as const, to: { custody: CUSTODY.emissionReserve }, amountBaseUnits: 333n * IO };
    expect(await gateway.mint(request)).toMatchObject({ status: 'confirmed', attempt: 1 });
    // The record is gone (a fresh database beside a chain that kept its state): attempt 1 is built
    // again from the same blockhash, so the very same signed bytes, which the chain has processed.
    await env.pool.query(`delete from "${env.schema}".chain_operations where operation_id = $1`, ['mint-record-lost']);
    expect(await gateway.mint(request)).toMatchObject({ status: 'confirmed', attempt: 1 });
    expect((await gateway.mintInfo('IO')).supplyBaseUnits).toBe(before + 333n * IO);
  });

  it('records a refused transfer as failed, then retries the same id as a new attempt once funded', async () => {
    const wallet = Keypair.generate().publicKey.toBase58();
    const request = { operationId: 'payout-underfunded', asset: 'USDC' as const, from: { custody: CUSTODY.payouts }, to: { wallet }, amountBaseUnits: 25_000_000n };
    const refused = await gateway.transfer(request).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChainError);
    expect(refused).toMatchObject({ code: 'CHAIN.INSUFFICIENT_FUNDS' });
    expect(await gateway.operation('payout-underfunded')).toMatchObject({ status: 'failed', attempt: 1, errorCode: 'CHAIN.INSUFFICIENT_FUNDS' });
    await gateway.mint({ operationId: 'fund-payouts', asset: 'USDC', to: { custody: CUSTODY.payouts }, amountBaseUnits: 30_000_000n });
    const paid = await gateway.transfer(request);
    expect(paid).toMatchObject({ status: 'confirmed', attempt: 2 });
    expect(await gateway.balance('USDC', { wallet })).toBe(25_000_000n);
    expect(await gateway.balance('USDC', { custody: CUSTODY.payouts })).toBe(5_000_000n);
  });

  it('moves several legs in one transaction, all or nothing', async () => {
    await gateway.mint({ operationId: 'fund-buyback', asset: 'USDC', to: { custody: CUSTODY.buyback }, amountBaseUnits: 10_000_000n });
    await gateway.transfer({ operationId: 'fund-market', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { custody: 'market' }, amountBaseUnits: 100n * IO });
    const legs = (io: bigint) => [
      { asset: 'USDC' as const, from: { custody: CUSTODY.buyback }, to: { custody: 'market' }, amountBaseUnits: 10_000_000n },
      { asset: 'IO' as const, from: { custody: 'market' }, to: { custody: CUSTODY.buyback }, amountBaseUnits: io },
    ];
    await expect(gateway.transferAtomically({ operationId: 'swap-too-big', legs: legs(101n * IO) })).rejects.toMatchObject({ code: 'CHAIN.INSUFFICIENT_FUNDS' });
    expect(await gateway.balance('USDC', { custody: CUSTODY.buyback })).toBe(10_000_000n);
    await gateway.transferAtomically({ operationId: 'swap-ok', legs: legs(20n * IO) });
    expect(await gateway.balance('USDC', { custody: CUSTODY.buyback })).toBe(0n);
    expect(await gateway.balance('IO', { custody: CUSTODY.buyback })).toBe(20n * IO);
    expect(await gateway.balance('USDC', { custody: 'market' })).toBe(10_000_000n);
  });

  it('writes memos and refuses malformed requests with CHAIN.INVALID_REQUEST', async () => {
    const memo = await gateway.memo({ operationId: 'proof-epoch-1', text: 'ionet:proof:1:ab12' });
    expect(memo).toMatchObject({ status: 'confirmed', kind: 'memo' });
    const bad = [
      () => gateway.memo({ operationId: 'memo-empty', text: '' }),
      () => gateway.memo({ operationId: 'has space', text: 'x' }),
      () => gateway.transfer({ operationId: 'neg', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { custody: 'market' }, amountBaseUnits: -1n }),
      () => gateway.transfer({ operationId: 'float', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { custody: 'market' }, amountBaseUnits: 1.5 as unknown as bigint }),
      () => gateway.transfer({ operationId: 'bad-wallet', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { wallet: 'not-an-address' }, amountBaseUnits: 1n }),
      () => gateway.transfer({ operationId: 'bad-asset', asset: 'SOL' as 'IO', from: { custody: CUSTODY.genesis }, to: { custody: 'market' }, amountBaseUnits: 1n }),
      () => gateway.burn({ operationId: 'bad-custody', asset: 'IO', from: { custody: '../etc' }, amountBaseUnits: 1n }),
    ];
    for (const [index, call] of bad.entries()) {
      expect({ index, error: await call().catch((e: { code?: string }) => e.code) }).toEqual({ index, error: 'CHAIN.INVALID_REQUEST' });
    }
  });

  it('keeps every account, balance and record across a restart', async () => {
    const wallet = Keypair.generate().publicKey.toBase58();
    await gateway.transfer({ operationId: 'before-restart', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: 7n * IO });
    const supply = await gateway.mintInfo('IO');
    const genesis = await gateway.balance('IO', { custody: CUSTODY.genesis });
    await expect(env.open()).rejects.toMatchObject({ code: 'CHAIN.UNAVAILABLE' });
    await gateway.close();
    gateway = await env.open();
    expect(await gateway.mintInfo('IO')).toEqual(supply);
    expect(await gateway.balance('IO', { custody: CUSTODY.genesis })).toBe(genesis);
    expect(await gateway.balance('IO', { wallet })).toBe(7n * IO);
    const again = await gateway.transfer({ operationId: 'before-restart', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: 7n * IO });
    expect(again.status).toBe('confirmed');
    expect(await gateway.balance('IO', { wallet })).toBe(7n * IO);
  });
});
