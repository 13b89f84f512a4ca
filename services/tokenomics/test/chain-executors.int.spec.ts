import { timestampMs } from '@bufbuild/protobuf/wkt';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Keypair, Transaction } from '@solana/web3.js';
import { CUSTODY } from '@ionet/chain';
import { Asset, billingV1, commonV1, inventoryV1, ledgerV1, money, newEventId, tokenomicsV1, verificationV1 } from '@ionet/contracts';
import { PG_POOL } from '@ionet/platform';
import { deleteTestTopics, sendFact, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { emissionForEpoch, GENESIS_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { ChainRuntime } from '../src/chain';
import type { TokenSupplyView } from '../src/chain/chain-executor';
import { tokenomicsService } from '../src/tokenomics.module';
import type { TokenomicsConfig } from '../src/tokenomics.config';

const IO = 100_000_000n;

describe('chain executors: the ledger\'s and billing\'s decisions executed on the embedded chain, each once', () => {
  const ns = testNamespace('tokenomics-chain');
  const dataDir = mkdtempSync(join(tmpdir(), `ionet-tokenomics-chain-${ns.id}-`));
  let svc: RunningTestService<TokenomicsConfig>;
  let producer: Producer;
  let pool: Pool;

  beforeAll(async () => {
    svc = await startTestService(tokenomicsService, {
      schema: ns.schema,
      serviceName: 'tokenomics',
      topicPrefix: ns.topicPrefix,
      env: { QUEUE_PREFIX: ns.queuePrefix, CHAIN_DATA_DIR: dataDir, CHAIN_SWEEP_EVERY_MS: '1000', CHAIN_RECONCILE_EVERY_MS: '1000', TOKENOMICS_EPOCH_SWEEP_EVERY_MS: '3600000' },
    });
    pool = svc.app.get<Pool>(PG_POOL);
    producer = testKafka(`chain-executors-${ns.id}`).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const chainEvents = async () => {
    const { rows } = await pool.query<{ event_type: string; payload: Buffer; stream_id: string }>(`select event_type, payload, stream_id from events where stream_type = 'chain-execution' order by position`);
    return rows;
  };
  const getSupply = async (): Promise<TokenSupplyView> => {
    const res = await fetch(`${svc.baseUrl}/v1/token/supply`, { headers: { authorization: `Bearer ${svc.opsKey}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as TokenSupplyView;
  };

  jest.setTimeout(180_000);

  it('mints an epoch\'s emission, pays a payout to the supplier\'s wallet, buys back and burns, anchors the hour\'s proof root, each once, with the books equal to the chain', async () => {
    const supplierId = newEventId();
    const wallet = Keypair.generate().publicKey.toBase58();
    const now = timestampFromDate(new Date());
    const epoch = 5;
    const emission = emissionForEpoch(epoch);
    const payoutId = newEventId();
    const buybackRequestId = newEventId();
    await sendFact(producer, ns.topicPrefix, 'inventory', inventoryV1.SupplierRegisteredSchema, supplierId, { supplierId, displayName: 'gpu farm', source: commonV1.SupplySource.DATA_CENTER, payoutWallet: wallet, registeredAt: now, tenantId: newEventId() });
    const decisions = [
      () => sendFact(producer, ns.topicPrefix, 'ledger', ledgerV1.EmissionMintRequestedSchema, `emission-${epoch}`, { epochNumber: BigInt(epoch), amount: money(emission, Asset.IO), epochEnd: now, sourceEventId: newEventId(), requestedAt: now }),
      () =>
        sendFact(producer, ns.topicPrefix, 'billing', billingV1.PayoutScheduledSchema, payoutId, {
          payoutId,
          supplierId,
          amount: money(12_500_000n, Asset.USDC),
          periodStart: now,
          periodEnd: now,
          chargeIds: [newEventId()],
          deviceHours: 3,
          dueAt: now,
        }),
      () =>
        sendFact(producer, ns.topicPrefix, 'ledger', ledgerV1.BuybackRequestedSchema, buybackRequestId, {
          buybackRequestId,
          revenue: money(20_000_000n, Asset.USDC),
          buybackShareBasisPoints: 5_000,
          buybackAmount: money(10_000_000n, Asset.USDC),
          sourceEventId: newEventId(),
          requestedAt: now,
        }),
      () =>
        sendFact(producer, ns.topicPrefix, 'verification', verificationV1.EpochProofRootCommittedSchema, `proof-${epoch}`, {
          epochNumber: BigInt(epoch),
          merkleRoot: Buffer.alloc(32, 0xab),
          leafCount: 42n,
          chainTransactionSignature: '',
          epochStart: now,
          committedAt: now,
          merkleAlgorithm: 'sha256-sorted-leaves-v1',
          epochEnd: now,
        }),
    ];
    // Each decision delivered twice (a redelivery, a replay): executed once.
    for (const send of [...decisions, ...decisions]) await send();

    const events = await waitFor('the five result events', async () => {
      const rows = await chainEvents();
      return rows.length >= 5 ? rows : undefined;
    }, 120_000, 250);
    expect(events.map((e) => e.event_type).sort()).toEqual(
      ['ionet.tokenomics.v1.BuybackExecuted', 'ionet.tokenomics.v1.EmissionMinted', 'ionet.tokenomics.v1.PayoutTransferred', 'ionet.tokenomics.v1.ProofRootAnchored', 'ionet.tokenomics.v1.TokensBurned'].sort(),
    );
    const payload = <S extends Parameters<typeof fromBinary>[0]>(type: string, schema: S) => fromBinary(schema, events.find((e) => e.event_type === type)!.payload);
    const minted = payload('ionet.tokenomics.v1.EmissionMinted', tokenomicsV1.EmissionMintedSchema);
    const paid = payload('ionet.tokenomics.v1.PayoutTransferred', tokenomicsV1.PayoutTransferredSchema);
    const burned = payload('ionet.tokenomics.v1.TokensBurned', tokenomicsV1.TokensBurnedSchema);
    const bought = payload('ionet.tokenomics.v1.BuybackExecuted', tokenomicsV1.BuybackExecutedSchema);
    expect({ epoch: minted.epochNumber, amount: minted.amount?.amountBaseUnits, total: minted.totalEmitted?.amountBaseUnits }).toEqual({ epoch: 5n, amount: emission.toString(), total: emission.toString() });
    expect({ payout: paid.payoutId, wallet: paid.wallet, amount: paid.amount?.amountBaseUnits }).toEqual({ payout: payoutId, wallet, amount: '12500000' });
    // $10 at the development price of $0.50 buys 20 IO, all burned.
    expect({ spent: bought.spent?.amountBaseUnits, bought: bought.bought?.amountBaseUnits }).toEqual({ spent: '10000000', bought: (20n * IO).toString() });
    expect({ amount: burned.amount?.amountBaseUnits, total: burned.totalBurned?.amountBaseUnits, source: burned.sourceId }).toEqual({ amount: (20n * IO).toString(), total: (20n * IO).toString(), source: buybackRequestId });
    // The burn follows the purchase in time, so the ledger's journal in time order never burns first.
    expect(timestampMs(burned.burnedAt!)).toBeGreaterThan(timestampMs(bought.executedAt!));

    const anchored = payload('ionet.tokenomics.v1.ProofRootAnchored', tokenomicsV1.ProofRootAnchoredSchema);
    const memo = `ionet:heartbeat-root:v1:5:42:${'ab'.repeat(32)}`;
    expect({ epoch: anchored.epochNumber, memo: anchored.memo }).toEqual({ epoch: 5n, memo });
    // The signed transaction behind the signature carries the memo, and the chain confirmed it.
    const { rows: recorded } = await pool.query<{ transaction: Buffer; status: string }>(`select transaction, status from chain_operations where operation_id = 'proof-root:5'`);
    const memoTexts = Transaction.from(recorded[0]!.transaction).instructions.map((ix) => ix.data.toString('utf8'));
    expect({ status: recorded[0]!.status, hasMemo: memoTexts.includes(memo) }).toEqual({ status: 'confirmed', hasMemo: true });

    // The chain agrees: each signature confirmed, the wallet paid once, the supply as booked.
    const gateway = await svc.app.get(ChainRuntime).gateway();
    expect(await gateway.balance('USDC', { wallet })).toBe(12_500_000n);
    expect(await gateway.balance('IO', { custody: CUSTODY.emissionReserve })).toBe(emission);
    expect(await gateway.operation(`payout:${payoutId}`)).toMatchObject({ status: 'confirmed', signature: paid.chainTransactionSignature, attempt: 1 });
    expect(await gateway.operation(`emission-mint:${epoch}`)).toMatchObject({ status: 'confirmed', signature: minted.chainTransactionSignature, attempt: 1 });

    const supply = await getSupply();
    const books = GENESIS_SUPPLY_BASE_UNITS + emission - 20n * IO;
    expect(supply).toMatchObject({
      decimals: 8,
      mintedBaseUnits: emission.toString(),
      burnedBaseUnits: (20n * IO).toString(),
      ledgerSupplyBaseUnits: books.toString(),
      chainSupplyBaseUnits: books.toString(),
      differenceBaseUnits: '0',
      inSync: true,
    });

    // A later sweep executes nothing again.
    await waitFor('a sweep after the executions', async () => ((await pool.query(`select count(*)::int as n from chain_supply_checks`)).rows[0].n >= 2 ? true : undefined), 60_000, 250);
    expect((await chainEvents()).length).toBe(5);
    expect(await gateway.balance('USDC', { wallet })).toBe(12_500_000n);
  });

  it('raises SupplyMismatchDetected when the chain\'s supply moves outside the books', async () => {
    const gateway = await svc.app.get(ChainRuntime).gateway();
    // An out-of-band burn: the chain now holds less than the books say.
    await gateway.burn({ operationId: 'out-of-band-burn', asset: 'IO', from: { custody: CUSTODY.genesis }, amountBaseUnits: 3n * IO });
    const alert = await waitFor('a supply mismatch alert', async () => {
      const { rows } = await pool.query<{ payload: Buffer }>(`select payload from events where event_type = 'ionet.tokenomics.v1.SupplyMismatchDetected' limit 1`);
      return rows[0] ? fromBinary(tokenomicsV1.SupplyMismatchDetectedSchema, rows[0].payload) : undefined;
    }, 60_000, 250);
    expect(alert.differenceBaseUnits).toBe((-3n * IO).toString());
    const supply = await getSupply();
    expect({ inSync: supply.inSync, difference: supply.differenceBaseUnits }).toEqual({ inSync: false, difference: (-3n * IO).toString() });
  });
});
