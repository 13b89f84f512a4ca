import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { testConnections } from '@ionet/testing';
import { CUSTODY } from '../src';
import { chainTestEnv, type ChainTestEnv } from './support/chain-test-kit';

const ROOT = resolve(__dirname, '../../..');
const AMOUNT = 3n * 100_000_000n;

function runChild(plan: Record<string, unknown>): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const child = spawn(process.execPath, ['-r', join(ROOT, 'libs/testing/src/ts-register.cjs'), join(__dirname, 'support/crash-child.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, CHAIN_CRASH_PLAN: JSON.stringify(plan) },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, output })));
}

describe.each(['beforeSubmit', 'afterSubmit'] as const)('a gateway process killed %s, mid-run', (crashAt) => {
  let env: ChainTestEnv;

  beforeAll(async () => {
    env = await chainTestEnv(`chain_crash_${crashAt}`);
  });

  afterAll(async () => {
    await env?.dispose();
  });

  it('leaves the operation signed; the next gateway settles it and the chain shows each transfer once', async () => {
    const wallet = Keypair.generate().publicKey.toBase58();
    const transfers = 7;
    // Snapshots every 3 transactions: the kill lands with journaled transactions past the last one.
    const exit = await runChild({
      dataDir: env.dataDir,
      postgresUrl: testConnections().postgresUrl,
      schema: env.schema,
      wallet,
      transfers,
      amountBaseUnits: AMOUNT.toString(),
      crashAt,
      crashOperationId: `crash-transfer-${transfers}`,
      snapshotEveryTransactions: 3,
    });
    expect({ signal: exit.signal, output: exit.output }).toEqual({ signal: 'SIGKILL', output: '' });

    const killed = await env.pool.query<{ status: string; signature: string }>(`select status, signature from chain_operations where operation_id = $1`, [`crash-transfer-${transfers}`]);
    expect(killed.rows).toEqual([{ status: 'signed', signature: expect.any(String) }]);

    const gateway = await env.open(undefined, { snapshotEveryTransactions: 3 });
    try {
      // Opening settled the signed operation: sent again (killed before) or found on chain (after).
      const settled = await gateway.operation(`crash-transfer-${transfers}`);
      expect(settled).toMatchObject({ status: 'confirmed', attempt: 1, signature: killed.rows[0]!.signature });
      expect(await gateway.balance('IO', { wallet })).toBe(AMOUNT * BigInt(transfers));

      // The process that died would retry its work: every id is answered from the record.
      for (let i = 1; i <= transfers; i += 1) {
        const again = await gateway.transfer({ operationId: `crash-transfer-${i}`, asset: 'IO', from: { custody: CUSTODY.genesis }, to: { wallet }, amountBaseUnits: AMOUNT });
        expect(again.status).toBe('confirmed');
      }
      expect(await gateway.balance('IO', { wallet })).toBe(AMOUNT * BigInt(transfers));
      const { rows } = await env.pool.query<{ n: string }>(`select count(*) as n from chain_operations where status = 'confirmed' and attempt = 1`);
      expect(Number(rows[0]!.n)).toBe(transfers);
    } finally {
      await gateway.close();
    }
  });
});
