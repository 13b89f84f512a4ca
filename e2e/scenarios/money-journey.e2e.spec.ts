import { waitFor } from '@ionet/testing';
import { bpsOfFloor, DEFAULT_TOKENOMICS_PARAMETERS } from '@ionet/tokenomics';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer, type IssuedKey } from '../support/keys';
import { AccountNames as A, WebhookReceiver, hourMoney, journal, ledgerBalance, platformClock, replayCheckingEveryEntry, supplierWithReadyAgent, type SupplierAgent } from '../support/money';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;
/** Four platform hours a wall minute: a lease-hour is 15 s of waiting. */
const CLOCK_RATE = 240;
const HOUR_MS = 3_600_000;
/** Wall time per platform hour at that rate. */
const WALL_HOUR_MS = HOUR_MS / CLOCK_RATE;
const PRICE_PER_GPU_HOUR = 2_000_000n; // $2.00 per GPU-hour
const GPUS = 8;
const DEPOSIT = 100_000_000n; // $100
const JOURNEY_MS = 240_000;

type Json = Record<string, unknown>;
type Item = Record<string, unknown>;

/**
 * One cluster's money through the one front door, with a real agent on simulated GPUs and every
 * service as a process: the customer registers a webhook endpoint (a receiver here verifies each
 * delivery with the official standardwebhooks package), is credited a deposit, quotes and creates a
 * 2-hour cluster, whose escrow locks; hour 0 is proven by the agent's heartbeats and charged (the
 * customer debited, the supplier credited, the fees of @ionet/tokenomics booked); the agent is stopped
 * for hour 1, which is refunded; the invoice, the cost report and the supplier's payout follow; the
 * ledger balances after every entry it booked and a blue/green rebuild reaches the same state hash.
 */
describe('one cluster\'s money, end to end through the gateway', () => {
  let stack: RunningStack;
  let receiver: WebhookReceiver;
  let customer: IssuedKey;
  let supply: SupplierAgent | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ionet-money-journey-'));
  const origin = new Date();
  const clock = platformClock(origin, CLOCK_RATE);
  const hour = hourMoney(GPUS, PRICE_PER_GPU_HOUR);
  // The share of an hour's fees bought back and burned: floor(fees * share / 10,000), ADR 0104.
  const buybackBaseUnits = bpsOfFloor(hour.platformFeesBaseUnits, DEFAULT_TOKENOMICS_PARAMETERS.buybackShareBps);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    stack = await launchStack({
      label: 'e2e-money',
      env: {
        CLOCK_RATE: String(CLOCK_RATE),
        CLOCK_ORIGIN: origin.toISOString(),
        // Ten platform minutes of uptime and a passed proof of work qualify a device.
        VERIFICATION_QUALIFY_UPTIME_MS: '600000',
        // A quote (and so the payment window) held two platform hours: 30 s of waiting.
        QUOTE_HOLD_SECONDS: '7200',
        // Hourly invoices and a payout run every ten platform minutes.
        INVOICE_PERIOD_MS: String(HOUR_MS),
        PAYOUT_RUN_EVERY_MS: '600000',
      },
    });
    customer = await keyIssuer(stack).organizationWithKey('Acme Money', 'customer', 'customer');
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await supply?.agent.stop();
    await stack?.stop();
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const invariantsOk = async (when: string) => {
    const res = await gatewayClient(stack.gatewayUrl, stack.opsKey).call('GET', '/v1/ledger/invariants');
    expect({ when, status: res.status, ok: res.body.ok, violations: res.body.violations, negativeAccounts: res.body.negativeAccounts }).toEqual({ when, status: 200, ok: true, violations: [], negativeAccounts: [] });
    return res.body;
  };
  const ledgerHas = (what: string, account: string, amount: bigint) =>
    waitFor(`the ledger's ${what}`, async () => ((await ledgerBalance(stack, account)) === amount ? true : undefined), 60_000, 200);

  it('deposits, quotes, funds, charges a proven hour, refunds an unproven one, invoices, pays out, and the ledger balances throughout', async () => {
    try {
      await journey();
    } catch (err) {
      // The processes' own words beside the failed expectation (an answer of 500 says little alone).
      throw Object.assign(err as Error, { message: `${(err as Error).message}\n${stack.logs()}\n--- agent\n${supply?.agent.output() ?? ''}` });
    }
  }, JOURNEY_MS);

  async function journey(): Promise<void> {
    const api = gatewayClient(stack.gatewayUrl, customer.key);
    const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
    const org = customer.tenantId;
    const usdcBalance = async () => ((await api.call('GET', '/v1/balances')).body.balances as Item[]).find((b) => b.asset === 'USDC');

    // The customer's webhook endpoint, verified by the receiver from its first delivery on.
    const endpoint = await api.call('POST', '/v1/webhook-endpoints', { url: receiver.url, eventTypes: ['cluster.funded', 'cluster.running', 'cluster.hour_charged', 'cluster.terminated', 'invoice.issued'] });
    expect(endpoint.status).toBe(201);
    receiver.useSecret(endpoint.body.secret as string);

    // Supply: one agent with 8 simulated H100s at $2.00 per GPU-hour, cluster-ready.
    supply = await supplierWithReadyAgent(stack, { name: 'Money Farm', dir, simulateGpus: 'H100x8', country: 'DE', pricePerGpuHourBaseUnits: PRICE_PER_GPU_HOUR, readyWithinMs: 120_000 });
    const { deviceId, supplierId } = supply;

    // Deposit (ops), then a quote: 8 GPUs for 2 hours, priced by @ionet/tokenomics.
    const deposit = await ops.call('POST', '/v1/deposits', { organizationId: org, asset: 'USDC', amountBaseUnits: DEPOSIT.toString(), externalReference: 'money-journey' });
    expect(deposit.status).toBe(201);
    const lease = hourMoney(GPUS, PRICE_PER_GPU_HOUR * 2n);
    const quote = await api.call('POST', '/v1/quotes', { clusterType: 'container', gpuModel: 'H100-80GB', gpuCount: GPUS, countryCodes: ['DE'], durationHours: 2, paymentAsset: 'USDC' });
    expect(quote.status).toBe(201);
    expect(quote.body.price).toMatchObject({
      compute: { amountBaseUnits: lease.amountBaseUnits.toString(), asset: 'USDC' },
      reservationFee: { amountBaseUnits: lease.customer.reservationFeeBaseUnits.toString() },
      paymentFee: { amountBaseUnits: lease.customer.paymentFeeBaseUnits.toString() },
      total: { amountBaseUnits: lease.customerPaysBaseUnits.toString(), asset: 'USDC' },
    });

    // The cluster: created, its escrow locked (cluster.funded), then running.
    const cluster = await api.call('POST', '/v1/clusters', { quoteId: quote.body.quoteId, name: 'money-journey', image: 'ionet/sleep', command: ['sleep', '60'] });
    expect(cluster.status).toBe(201);
    const clusterId = cluster.body.clusterId as string;
    const funded = await waitFor('the cluster funded', async () => {
      const c = (await api.call('GET', `/v1/clusters/${clusterId}`)).body;
      return c.fundedAt ? c : undefined;
    }, 60_000, 100);
    const fundedAt = new Date(funded.fundedAt as string);
    expect(await usdcBalance()).toEqual({ asset: 'USDC', availableBaseUnits: (DEPOSIT - lease.customerPaysBaseUnits).toString(), escrowBaseUnits: lease.customerPaysBaseUnits.toString() });
    const fundedHook = await receiver.waitForType('cluster.funded', (d) => d.clusterId === clusterId);
    expect(fundedHook.verified!.data).toMatchObject({ amount: { amountBaseUnits: lease.customerPaysBaseUnits.toString(), asset: 'USDC' } });
    await ledgerHas('escrow', A.customerEscrow(org), lease.customerPaysBaseUnits);
    await invariantsOk('escrow locked');

    // Hour 0: the agent runs the job and beats until well into the hour, then stops for hour 1.
    await waitFor('the job started', async () => ((await api.call('GET', `/v1/clusters/${clusterId}`)).body.status === 'running' ? true : undefined), 60_000, 100);
    const stopAt = fundedAt.getTime() + 0.6 * HOUR_MS;
    await waitFor('40 platform minutes into hour 0', () => (clock.now().getTime() >= stopAt ? true : undefined), 2 * WALL_HOUR_MS, 50);
    expect(clock.now().getTime()).toBeLessThan(fundedAt.getTime() + HOUR_MS);
    await supply.agent.stop();

    const charged = await receiver.waitForType('cluster.hour_charged', (d) => d.clusterId === clusterId);
    expect(charged.verified!.data).toMatchObject({
      deviceId,
      hourIndex: 0,
      gross: { amountBaseUnits: hour.customerPaysBaseUnits.toString(), asset: 'USDC' },
      supplierEarnings: { amountBaseUnits: hour.supplierReceivesBaseUnits.toString(), asset: 'USDC' },
      platformFee: { amountBaseUnits: hour.platformFeesBaseUnits.toString(), asset: 'USDC' },
    });
    await ledgerHas('supplier earnings', A.supplierEarnings(supplierId), hour.supplierReceivesBaseUnits);
    // The hour's fees are revenue: the ledger asks for the governed share to be bought back (ADR 0330),
    // tokenomics spends it from platform:fees and burns the IO it bought (ADR 0601).
    await ledgerHas('platform fees after the buyback', A.platformFees, hour.platformFeesBaseUnits - buybackBaseUnits);
    await waitFor('the bought IO burned', async () => ((await ledgerBalance(stack, A.tokenBurned, 'IO')) > 0n ? true : undefined), 60_000, 200);
    await invariantsOk('hour 0 charged');

    // Hour 1 had no heartbeats: refunded (compute and the customer's fees on it), nobody paid.
    const refund = await waitFor('hour 1 refunded', async () => {
      const page = await api.call('GET', '/v1/transactions?type=refund');
      return (page.body.items as Item[]).find((t) => t.leaseId === clusterId && t.hourIndex === 1);
    }, 3 * WALL_HOUR_MS + 30_000, 250);
    expect(refund).toMatchObject({ amountBaseUnits: hour.customerPaysBaseUnits.toString(), asset: 'USDC', availableDeltaBaseUnits: hour.customerPaysBaseUnits.toString(), escrowDeltaBaseUnits: (-hour.customerPaysBaseUnits).toString() });
    const charges = (await api.call('GET', '/v1/transactions?type=charge')).body.items as Item[];
    expect(charges.filter((t) => t.leaseId === clusterId)).toMatchObject([{ hourIndex: 0, deviceId, amountBaseUnits: hour.customerPaysBaseUnits.toString(), computeBaseUnits: hour.amountBaseUnits.toString(), feeBaseUnits: hour.customer.totalFeeBaseUnits.toString() }]);
    const spent = hour.customerPaysBaseUnits;
    const balances = await waitFor('the escrow emptied', async () => {
      const b = await usdcBalance();
      return b?.escrowBaseUnits === '0' ? b : undefined;
    }, 2 * WALL_HOUR_MS + 30_000, 250);
    expect(balances).toEqual({ asset: 'USDC', availableBaseUnits: (DEPOSIT - spent).toString(), escrowBaseUnits: '0' });
    await ledgerHas('customer balance', A.customerAvailable(org), DEPOSIT - spent);
    expect(await ledgerBalance(stack, A.customerEscrow(org))).toBe(0n);
    expect(await ledgerBalance(stack, A.supplierEarnings(supplierId))).toBe(hour.supplierReceivesBaseUnits);
    expect(await ledgerBalance(stack, A.platformFees)).toBe(hour.platformFeesBaseUnits - buybackBaseUnits);
    await invariantsOk('hour 1 refunded');

    // The invoice: the charged hour as a line, its fees, the refund for the record; the totals.
    const invoice = await waitFor('the invoice with the charged hour', async () => {
      const page = await api.call('GET', '/v1/invoices');
      return (page.body.items as Array<{ invoiceId: string; lines: Item[] }>).find((i) => i.lines.some((l) => l.kind === 'charge' && l.leaseId === clusterId));
    }, 3 * WALL_HOUR_MS + 30_000, 250);
    const one = await api.call('GET', `/v1/invoices/${invoice.invoiceId}`);
    expect(one.status).toBe(200);
    expect(one.body.lines as Item[]).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'charge', leaseId: clusterId, deviceId, hourIndex: 0, quantity: GPUS, unitPriceBaseUnits: PRICE_PER_GPU_HOUR.toString(), amountBaseUnits: hour.amountBaseUnits.toString() }),
        expect.objectContaining({ kind: 'fee', leaseId: clusterId, amountBaseUnits: hour.customer.totalFeeBaseUnits.toString() }),
      ]),
    );
    expect(one.body).toMatchObject({ chargesBaseUnits: hour.amountBaseUnits.toString(), feesBaseUnits: hour.customer.totalFeeBaseUnits.toString(), totalBaseUnits: hour.customerPaysBaseUnits.toString() });
    await receiver.waitForType('invoice.issued', (d) => d.invoiceId === invoice.invoiceId);

    // The cost report: hour 0 billed, hour 1 refunded, beside the public clouds' list prices.
    const report = await api.call('GET', `/v1/clusters/${clusterId}/cost-report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ asset: 'USDC', totalCostBaseUnits: hour.customerPaysBaseUnits.toString() });
    expect((report.body.hours as Item[]).map((h) => [h.hourIndex, h.gpuHours, h.refundedGpuHours, h.costBaseUnits])).toEqual([
      [0, GPUS, 0, hour.customerPaysBaseUnits.toString()],
      [1, 0, GPUS, '0'],
    ]);

    // The supplier's payout falls due once the 2-hour lease ended: its earnings, one payout.
    const supplierApi = gatewayClient(stack.gatewayUrl, supply.supplier.key);
    const payout = await waitFor('the payout due', async () => ((await supplierApi.call('GET', '/v1/payouts')).body.items as Item[])[0], 3 * WALL_HOUR_MS + 30_000, 250);
    expect(payout).toMatchObject({ payoutId: expect.any(String), supplierId, status: 'due', asset: 'USDC', amountBaseUnits: hour.supplierReceivesBaseUnits.toString(), deviceHours: 1, chainTransactionSignature: null });

    // Webhooks: every delivery verified; the cluster's story in order.
    await receiver.waitForType('cluster.terminated', (d) => d.clusterId === clusterId);
    expect(receiver.received.filter((r) => !r.verified)).toEqual([]);
    expect(receiver.ofType('cluster.hour_charged')).toHaveLength(1);
    const log = (await api.call('GET', `/v1/webhook-endpoints/${endpoint.body.webhookEndpointId as string}/deliveries`)).body.items as Array<{ webhookId: string; status: string }>;
    expect(new Set(log.map((d) => d.webhookId))).toEqual(new Set(receiver.received.map((r) => r.headers['webhook-id'])));

    // The ledger: every entry balanced and every invariant held after each one; the service's state
    // hash is the replay's; a blue/green rebuild reaches it again.
    const entries = await journal(stack);
    const replay = replayCheckingEveryEntry(entries);
    expect(replay.checkedAfter).toBe(entries.length);
    expect(entries.map((e) => e.sourceEventType.replace(/^ionet\.billing\.v1\./, ''))).toEqual(expect.arrayContaining(['DepositReceived', 'EscrowLocked', 'UsageCharged', 'RefundIssued']));
    const invariants = await invariantsOk('the journey');
    expect(invariants.stateHash).toBe(replay.ledger.stateHash());
    const live = (await ops.call('GET', '/v1/ledger/state-hash')).body;
    expect(live.stateHash).toBe(replay.ledger.stateHash());
    expect((await ops.call('POST', '/v1/ops/ledger/projections/ledger/rebuild')).status).toBe(202);
    const rebuilt = await waitFor('the ledger rebuild', async () => {
      const res = await ops.call('GET', '/v1/ops/ledger/projections/ledger');
      return (res.body.rebuild as Json | undefined)?.state === 'running' ? undefined : res.body;
    }, 60_000, 250);
    expect(rebuilt).toMatchObject({ rebuild: { state: 'succeeded', result: { hashVerified: true } } });
    // Tokenomics keeps booking (each platform hour's mint and allocation), so the rebuilt generation is
    // compared with a replay of its own journal read at the same moment, not with the hash from before.
    await waitFor('the rebuilt generation equal to a replay of its journal', async () => {
      const now = (await ops.call('GET', '/v1/ledger/state-hash')).body;
      const again = replayCheckingEveryEntry(await journal(stack)).ledger.stateHash();
      const after = (await ops.call('GET', '/v1/ledger/state-hash')).body;
      return now.stateHash === after.stateHash && now.generation === (live.generation as number) + 1 && now.stateHash === again ? true : undefined;
    }, 30_000, 250);
  }
});
