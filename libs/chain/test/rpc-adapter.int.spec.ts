import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { Keypair } from '@solana/web3.js';
import { createTestSchema, dropTestSchema, testNamespace } from '@ionet/testing';
import { GENESIS_SUPPLY_BASE_UNITS, MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import { ChainError, ChainOperationStore, CUSTODY, embeddedMintKey, ensureEmbeddedGenesis, KeyStore, LiteSvmChain, RpcChain, SolanaGateway } from '../src';
import { JsonRpcOverLiteSvm } from './support/json-rpc-over-litesvm';

const IO = 100_000_000n;

/** The RPC adapter (web3.js v1 Connection) through the gateway, against Solana's JSON-RPC served
 *  from LiteSVM. A real validator cannot be reached here: this checks the requests, the answers'
 *  parsing, and the expiry and lost-answer paths that only a cluster has. */
describe('the RPC adapter through the gateway', () => {
  const ns = testNamespace('chain_rpc');
  const dir = mkdtempSync(join(tmpdir(), `ionet-chain-rpc-${ns.id}-`));
  let pool: Pool;
  let chain: LiteSvmChain;
  let rpc: JsonRpcOverLiteSvm;
  let gateway: SolanaGateway;

  beforeAll(async () => {
    pool = new Pool({ ...(await createTestSchema(ns.schema)), max: 3 });
    const keys = new KeyStore(join(dir, 'keys'), true);
    chain = LiteSvmChain.open({ dataDir: join(dir, 'chain') });
    await ensureEmbeddedGenesis(chain, keys, GENESIS_SUPPLY_BASE_UNITS);
    rpc = new JsonRpcOverLiteSvm(chain);
    const store = new ChainOperationStore(pool, ns.schema);
    await store.ensureTable();
    gateway = new SolanaGateway({
      backend: new RpcChain({ url: 'http://127.0.0.1:1/rpc', commitment: 'confirmed', fetch: rpc.fetch as never }),
      store,
      // A cluster's keys are provisioned, never created by the gateway.
      keys: new KeyStore(join(dir, 'keys'), false),
      mints: { IO: keys.keypair(embeddedMintKey('IO')).publicKey.toBase58(), USDC: keys.keypair(embeddedMintKey('USDC')).publicKey.toBase58() },
      ioMaxSupplyBaseUnits: MAX_SUPPLY_BASE_UNITS,
      confirmPollMs: 1,
    });
    await gateway.verifyMints();
  });

  afterAll(async () => {
    await chain?.close();
    await pool?.end();
    await dropTestSchema(ns.schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the mints over JSON-RPC and transfers with a signed transaction the cluster confirms', async () => {
    expect((await gateway.mintInfo('IO')).decimals).toBe(8);
    const wallet = Keypair.generate().publicKey.toBase58();
    const op = await gateway.transfer({ operationId: 'rpc-transfer', asset: 'IO', from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: 5n * IO });
    expect(op).toMatchObject({ status: 'confirmed', attempt: 1 });
    expect(await gateway.balance('IO', { wallet })).toBe(5n * IO);
    expect(rpc.calls).toEqual(expect.arrayContaining(['getAccountInfo', 'getLatestBlockhash', 'sendTransaction', 'getSignatureStatuses']));
  });

  it('fails an attempt the cluster dropped once its blockhash expires, and the retry lands once', async () => {
    const wallet = Keypair.generate().publicKey.toBase58();
    const request = { operationId: 'rpc-dropped', asset: 'IO' as const, from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: 2n * IO };
    rpc.dropSends = 1;
    const expired = await gateway.transfer(request).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(ChainError);
    expect(expired).toMatchObject({ code: 'CHAIN.TRANSACTION_EXPIRED' });
    expect(await gateway.balance('IO', { wallet })).toBe(0n);
    const landed = await gateway.transfer(request);
    expect(landed).toMatchObject({ status: 'confirmed', attempt: 2 });
    expect(await gateway.balance('IO', { wallet })).toBe(2n * IO);
  });

  it('keeps an operation whose send answer was lost signed, and settles it by its signature without sending again', async () => {
    const wallet = Keypair.generate().publicKey.toBase58();
    const request = { operationId: 'rpc-lost-answer', asset: 'IO' as const, from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: 3n * IO };
    rpc.loseSendAnswers = 1;
    await expect(gateway.transfer(request)).rejects.toMatchObject({ code: 'CHAIN.UNAVAILABLE' });
    const pending = await gateway.operation('rpc-lost-answer');
    expect(pending?.status).toBe('signed');
    const sendsBefore = rpc.calls.filter((c) => c === 'sendTransaction').length;
    const settled = await gateway.transfer(request);
    expect(settled).toMatchObject({ status: 'confirmed', attempt: 1, signature: pending?.signature });
    expect(rpc.calls.filter((c) => c === 'sendTransaction').length).toBe(sendsBefore);
    expect(await gateway.balance('IO', { wallet })).toBe(3n * IO);
  });

  it('refuses to start where it does not hold the mint authority, and never creates a cluster key', async () => {
    const strangerKeys = new KeyStore(mkdtempSync(join(dir, 'stranger-')), false);
    expect(() => strangerKeys.keypair('fee-payer')).toThrow(expect.objectContaining({ code: 'CHAIN.MISCONFIGURED' }));
    const stranger = new KeyStore(mkdtempSync(join(dir, 'stranger-')), true);
    stranger.keypair('mint-authority');
    const misconfigured = new SolanaGateway({
      backend: new RpcChain({ url: 'http://127.0.0.1:1/rpc', commitment: 'confirmed', fetch: rpc.fetch as never }),
      store: new ChainOperationStore(pool, ns.schema),
      keys: stranger,
      mints: { IO: gateway.mintAddress('IO'), USDC: gateway.mintAddress('USDC') },
      ioMaxSupplyBaseUnits: MAX_SUPPLY_BASE_UNITS,
    });
    await expect(misconfigured.verifyMints()).rejects.toMatchObject({ code: 'CHAIN.MISCONFIGURED' });
  });
});
