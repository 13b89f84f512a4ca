import { AccountNames, Ledger, NO_FLAGS, standardAccountFlags, type Asset, type Leg } from '@ionet/ledger';
import { AcceleratedClock } from '@ionet/platform';
import { DEFAULT_TOKENOMICS_PARAMETERS, leaseFees, type LeaseFees } from '@ionet/tokenomics';
import { waitFor } from '@ionet/testing';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { RunningAgent, agentCli } from './agent-cli';
import { gatewayClient } from './gateway-client';
import { keyIssuer, type IssuedKey } from './keys';
import type { RunningStack } from './stack-launcher';
import { startWebhookReceiver, type WebhookReceiver as LocalReceiver } from './webhook-receiver';

type Json = Record<string, unknown>;

/** One hour's money of a device as `@ionet/tokenomics` computes it (what billing must book). */
export function hourMoney(gpuCount: number, pricePerGpuHourBaseUnits: bigint, asset: Asset = 'USDC'): LeaseFees {
  return leaseFees(BigInt(gpuCount) * pricePerGpuHourBaseUnits, asset, DEFAULT_TOKENOMICS_PARAMETERS);
}

/** The platform's accelerated clock as every service of the stack computes it (same origin, rate). */
export function platformClock(origin: Date, rate: number): AcceleratedClock {
  return new AcceleratedClock(origin, rate);
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The payload as the official standardwebhooks package verified it; undefined if it did not. */
  verified?: { type: string; timestamp: string; data: Json };
  error?: string;
}

/** A customer's webhook receiver on 127.0.0.1: every delivery is verified with the official
 *  `standardwebhooks` package against the endpoint's secret (each time it is read). */
export class WebhookReceiver {
  private secret: string | undefined;

  private constructor(private readonly local: LocalReceiver) {}

  get url(): string {
    return this.local.url;
  }

  /** Every delivery so far, each verified with the endpoint's secret. */
  get received(): ReceivedWebhook[] {
    return this.local.received.map((d) => this.verify(d));
  }

  static async start(path = '/ionet-webhooks'): Promise<WebhookReceiver> {
    return new WebhookReceiver(await startWebhookReceiver(path));
  }

  /** The endpoint's `whsec_` secret, which every delivery is verified with. */
  useSecret(secret: string): void {
    this.secret = secret;
  }

  private verify(delivery: ReceivedWebhook): ReceivedWebhook {
    if (!this.secret) return { ...delivery, error: 'no secret yet' };
    try {
      const verified = new Webhook(this.secret).verify(delivery.body, delivery.headers as Record<string, string>) as ReceivedWebhook['verified'];
      return { ...delivery, verified };
    } catch (err) {
      return { ...delivery, error: (err as Error).message };
    }
  }

  /** Verified deliveries of one type, in arrival order. */
  ofType(type: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.verified?.type === type);
  }

  async waitForType(type: string, match: (data: Json) => boolean = () => true, timeoutMs = 60_000): Promise<ReceivedWebhook> {
    return waitFor(`a verified ${type} webhook`, () => this.ofType(type).find((r) => match(r.verified!.data)), timeoutMs, 100);
  }

  stop(): Promise<void> {
    return this.local.close();
  }
}

export interface SupplierAgent {
  supplier: IssuedKey;
  supplierId: string;
  deviceId: string;
  agent: RunningAgent;
}

/**
 * A supplier organization with its key, a supplier, and one real `ionet-agent` with simulated GPUs,
 * joined with an enrollment token, asking `pricePerGpuHourBaseUnits` USDC, running until its device is
 * `cluster_ready` through the gateway.
 */
export async function supplierWithReadyAgent(
  stack: RunningStack,
  options: { name: string; dir: string; simulateGpus: string; country: string; pricePerGpuHourBaseUnits: bigint; readyWithinMs: number },
): Promise<SupplierAgent> {
  const supplier = await keyIssuer(stack).organizationWithKey(options.name, 'supplier', 'supplier');
  const api = gatewayClient(stack.gatewayUrl, supplier.key);
  const created = await api.call('POST', '/v1/suppliers', { name: options.name, source: 'individual', payoutWallet: '11111111111111111111111111111111' });
  if (created.status !== 201) throw new Error(`POST /v1/suppliers answered ${created.status}: ${JSON.stringify(created.body)}`);
  const supplierId = created.body.supplierId as string;
  const token = await api.call('POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, {});
  if (token.status !== 201) throw new Error(`POST enrollment-tokens answered ${token.status}: ${JSON.stringify(token.body)}`);
  const joined = await agentCli(['join', '--dir', options.dir, '--token', token.body.token as string, '--api', stack.gatewayUrl, '--country', options.country, '--simulate-gpus', options.simulateGpus, '--download-mbps', '900', '--upload-mbps', '700']);
  const deviceId = /device (\S+) of supplier/.exec(joined.stdout)?.[1];
  if (joined.code !== 0 || !deviceId) throw new Error(`ionet-agent join failed (${joined.code}): ${joined.stdout}${joined.stderr}`);
  await waitFor('the device in the catalogue', async () => ((await api.call('GET', `/v1/devices/${deviceId}`)).status === 200 ? true : undefined), 30_000, 200);
  const price = await api.call('PUT', `/v1/devices/${deviceId}/price`, { askPricePerGpuHour: { amountBaseUnits: options.pricePerGpuHourBaseUnits.toString(), asset: 'USDC' } });
  if (price.status !== 200) throw new Error(`PUT /v1/devices/${deviceId}/price answered ${price.status}: ${JSON.stringify(price.body)}`);
  const agent = RunningAgent.start(['--dir', options.dir, '--heartbeat-interval', '0.5', '--work-wait-ms', '5000', '--runtime', 'process']);
  await waitFor(
    'the device cluster_ready at its price',
    async () => {
      const d = (await api.call('GET', `/v1/devices/${deviceId}`)).body as { status?: string; askPricePerGpuHour?: { amountBaseUnits: string } };
      return d.status === 'cluster_ready' && d.askPricePerGpuHour?.amountBaseUnits === options.pricePerGpuHourBaseUnits.toString() ? true : undefined;
    },
    options.readyWithinMs,
    250,
  );
  return { supplier, supplierId, deviceId, agent };
}

export interface JournalEntry {
  entryId: string;
  at: string;
  sourceEventId: string;
  sourceEventType: string;
  legs: Array<{ account: string; side: 'debit' | 'credit'; amount: { amountBaseUnits: string; asset: Asset } }>;
}

/** Every entry of the ledger service's journal, oldest first, through the gateway (ops). */
export async function journal(stack: RunningStack): Promise<JournalEntry[]> {
  const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
  const entries: JournalEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await ops.call('GET', `/v1/ledger/entries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status !== 200) throw new Error(`GET /v1/ledger/entries answered ${page.status}: ${JSON.stringify(page.body)}`);
    entries.push(...(page.body.items as JournalEntry[]));
    cursor = page.body.nextCursor as string | undefined;
  } while (cursor);
  return entries;
}

/**
 * The journal replayed entry by entry into `@ionet/ledger` with the standard account flags (the outside
 * world's `external:*` accounts free, as the service reports them): each entry must be applied (it
 * balances, overdraws no holder) and the invariants must hold after every one of them, not only at the
 * end. Returns the ledger, whose state hash the service's must equal.
 */
export function replayCheckingEveryEntry(entries: JournalEntry[]): { ledger: Ledger; checkedAfter: number } {
  const ledger = new Ledger();
  let checkedAfter = 0;
  entries.forEach((entry, index) => {
    const legs: Leg[] = entry.legs.map((l) => ({ account: l.account, side: l.side, asset: l.amount.asset, amountBaseUnits: BigInt(l.amount.amountBaseUnits) }));
    for (const leg of legs) if (!ledger.hasAccount(leg.account)) ledger.openAccount(leg.account, leg.account.startsWith('external:') ? NO_FLAGS : standardAccountFlags(leg.account));
    const result = ledger.submit({ type: 'entry', id: entry.entryId, atMs: index, legs });
    if (result.status !== 'applied') throw new Error(`entry ${index} (${entry.sourceEventType}) was not applied: ${result.status}`);
    const violations = ledger.checkInvariants();
    if (violations.length) throw new Error(`after entry ${index} (${entry.sourceEventType}): ${JSON.stringify(violations)}`);
    checkedAfter++;
  });
  return { ledger, checkedAfter };
}

/** An account's balance (credits minus debits) in one asset as the ledger service answers it. */
export async function ledgerBalance(stack: RunningStack, account: string, asset: Asset = 'USDC'): Promise<bigint> {
  const res = await gatewayClient(stack.gatewayUrl, stack.opsKey).call('GET', `/v1/ledger/accounts/${account}`);
  if (res.status === 404) return 0n;
  const row = (res.body.balances as Array<{ asset: string; balance: { amountBaseUnits: string } }>).find((b) => b.asset === asset);
  return row ? BigInt(row.balance.amountBaseUnits) : 0n;
}

export { AccountNames };
