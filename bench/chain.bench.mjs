// The chain bench: payout transfers per second through the gateway (@ionet/chain) on the embedded
// LiteSVM chain (journal + snapshots on disk, each operation recorded in PostgreSQL before and
// after it is sent), beside LiteSVM's raw rate for the same transactions in the same run (built and
// signed with web3.js v1, sent in-process, nothing recorded). Each payout goes to a new wallet, so
// its associated token account is created in the same transaction, as in production.
//   npm run bench -- chain [--runs=3] [--transfers=1000] [--concurrency=8]
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_URL, benchDatabase, median, table } from './support.mjs';

const require = createRequire(import.meta.url);
const { Pool } = require('pg');
const web3 = require('@solana/web3.js');
const spl = require('@solana/spl-token');
const { LiteSVM } = require('litesvm');

export async function run({ root, flags }) {
  const chain = require('@ionet/chain');
  const runs = Number(flags.runs ?? 3);
  const opts = { transfers: Number(flags.transfers ?? 1_000), concurrency: Number(flags.concurrency ?? 8) };
  const results = [];
  for (let i = 0; i < runs; i++) {
    const load = os.loadavg().map((l) => Math.round(l * 100) / 100);
    console.log(`run ${i + 1} of ${runs}, load average ${load.join(' ')}`);
    results.push({ load, ...(await runOnce(chain, opts)) });
  }
  const rows = results[0].rows.map((row, i) => {
    const values = results.map((r) => r.rows[i].value);
    return { ...row, value: median(values), runs: values };
  });
  const result = {
    bench: 'chain', at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadAverageBeforeEachRun: results.map((r) => r.load), loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    options: opts, runs, rows,
  };
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'chain.json'), JSON.stringify(result, null, 2) + '\n');
  console.log('\n' + (runs > 1 ? `median of ${runs} runs\n` : '') + table(rows));
  console.log('\nwrote bench/results/chain.json');
}

async function runOnce(chain, opts) {
  const rows = [];
  const add = (group, name, value, unit) => {
    const rounded = Math.round(value * 10) / 10;
    rows.push({ group, name, value: rounded, unit, target: '' });
    console.log(`  ${group.padEnd(8)} ${name.padEnd(72)} ${String(rounded).padStart(10)} ${unit}`);
  };

  const raw = rawLiteSvm(opts.transfers);
  add('raw', 'LiteSVM: build + sign (web3.js v1) + send, tx/s', raw.buildSignSendRate, 'tx/s');
  add('raw', 'LiteSVM: send of pre-signed transactions only, tx/s', raw.sendRate, 'tx/s');

  const schema = `bench_chain_${Date.now().toString(36)}`;
  const { db, dbUrl } = await benchDatabase(ADMIN_URL, schema);
  const pool = new Pool({ connectionString: dbUrl.toString(), options: `-c search_path=${schema}`, max: opts.concurrency + 2 });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ionet-chain-bench-'));
  try {
    const gateway = await chain.openChainGateway(chain.chainConfigSchema.parse({ CHAIN_DATA_DIR: dataDir }), { pool, schema });
    const total = BigInt(opts.transfers) * 2n * 1_000_000n;
    await gateway.mint({ operationId: 'bench-fund-payouts', asset: 'USDC', to: { custody: chain.CUSTODY.payouts }, amountBaseUnits: total });
    const wallets = { seq: [], par: [] };
    for (const list of Object.values(wallets)) for (let i = 0; i < opts.transfers; i++) list.push(web3.Keypair.generate().publicKey.toBase58());
    const payout = (i, prefix) =>
      gateway.transfer({ operationId: `${prefix}-${i}`, asset: 'USDC', from: { custody: chain.CUSTODY.payouts }, to: { wallet: wallets[prefix][i] }, amountBaseUnits: 1_000_000n });

    let started = performance.now();
    for (let i = 0; i < opts.transfers; i++) await payout(i, 'seq');
    add('gateway', 'payout transfers through the gateway, one at a time, /s', opts.transfers / ((performance.now() - started) / 1000), 'tx/s');

    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < opts.transfers) await payout(next++, 'par');
      }),
    );
    add('gateway', `payout transfers through the gateway, ${opts.concurrency} in flight, /s`, opts.transfers / ((performance.now() - started) / 1000), 'tx/s');

    started = performance.now();
    for (let i = 0; i < opts.transfers; i++) await payout(i, 'seq');
    add('gateway', 'the same ids again (answered from the record, nothing sent), /s', opts.transfers / ((performance.now() - started) / 1000), 'ops/s');
    const expected = total - 2n * BigInt(opts.transfers) * 1_000_000n;
    const left = await gateway.balance('USDC', { custody: chain.CUSTODY.payouts });
    if (left !== expected) throw new Error(`the payout float holds ${left}, expected ${expected}: something was paid twice or not at all`);
    await gateway.close();
  } finally {
    await pool.end();
    await db.query(`drop schema "${schema}" cascade`);
    await db.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { rows };
}

/** The same payout transactions (create the wallet's token account, transferChecked) straight into
 *  LiteSVM: the limit the gateway is measured beside. */
function rawLiteSvm(count) {
  const svm = new LiteSVM();
  const payer = web3.Keypair.generate();
  const source = web3.Keypair.generate();
  const mint = web3.Keypair.generate();
  svm.airdrop(payer.publicKey.toBase58(), 10_000_000_000_000n);
  const send = (tx) => {
    const signatures = {};
    for (const s of tx.signatures) signatures[s.publicKey.toBase58()] = new Uint8Array(s.signature);
    const result = svm.sendTransaction({ messageBytes: new Uint8Array(tx.serializeMessage()), signatures });
    if (result.constructor.name !== 'TransactionMetadata') throw new Error(`raw LiteSVM refused: ${String(result)}`);
  };
  const build = (instructions, signers) => {
    const tx = new web3.Transaction({ feePayer: payer.publicKey, recentBlockhash: svm.latestBlockhash() });
    tx.add(...instructions);
    tx.sign(payer, ...signers);
    return tx;
  };
  const sourceAta = spl.getAssociatedTokenAddressSync(mint.publicKey, source.publicKey);
  send(
    build(
      [
        web3.SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: mint.publicKey, lamports: Number(svm.minimumBalanceForRentExemption(BigInt(spl.MINT_SIZE))), space: spl.MINT_SIZE, programId: spl.TOKEN_PROGRAM_ID }),
        spl.createInitializeMint2Instruction(mint.publicKey, 6, payer.publicKey, null),
        spl.createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, sourceAta, source.publicKey, mint.publicKey),
        spl.createMintToCheckedInstruction(mint.publicKey, sourceAta, payer.publicKey, BigInt(count) * 2_000_000n, 6),
      ],
      [mint],
    ),
  );
  const payoutTx = () => {
    const wallet = web3.Keypair.generate().publicKey;
    const ata = spl.getAssociatedTokenAddressSync(mint.publicKey, wallet);
    return build(
      [spl.createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, ata, wallet, mint.publicKey), spl.createTransferCheckedInstruction(sourceAta, mint.publicKey, ata, source.publicKey, 1_000_000n, 6)],
      [source],
    );
  };
  let started = performance.now();
  for (let i = 0; i < count; i++) send(payoutTx());
  const buildSignSendRate = count / ((performance.now() - started) / 1000);
  const signed = Array.from({ length: count }, payoutTx);
  started = performance.now();
  for (const tx of signed) send(tx);
  const sendRate = count / ((performance.now() - started) / 1000);
  return { buildSignSendRate, sendRate };
}
