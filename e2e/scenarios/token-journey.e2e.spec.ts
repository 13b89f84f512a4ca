import { encodeSolanaAddress } from '@ionet/contracts';
import { waitFor } from '@ionet/testing';
import { epochAt } from '@ionet/tokenomics';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningAgent, agentCli } from '../support/agent-cli';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 240_000;
/** Ten platform hours a wall minute: five hours of uptime in half a minute, an epoch every six seconds. */
const CLOCK_RATE = 600;
const IO = 100_000_000n;
const DAY_MS = 86_400_000;

/**
 * The IO token as far as its pieces exist (issue 12): a supplier's agent joins and its device
 * qualifies; the supplier stakes the device's minimum through the gateway; the accelerated clock
 * closes epochs in which the device counts as eligible; the supplier asks to unstake and gets the
 * 14-day cooldown. Minting and allocation wait for the chain executor (EmissionMinted), which is
 * not in the stack yet: tokenomics' own process test covers the allocation from that fact.
 */
describe('the token journey: device eligible, epochs closed, a stake and an unstake request', () => {
  let stack: RunningStack;
  let agent: RunningAgent | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ionet-token-journey-'));
  const originMs = Date.now();
  const clockNowMs = () => originMs + (Date.now() - originMs) * CLOCK_RATE;
  const wallet = encodeSolanaAddress(randomBytes(32));

  beforeAll(async () => {
    stack = await launchStack({
      label: 'e2e-token-journey',
      services: ['billing', 'inventory', 'verification', 'ledger', 'tokenomics'],
      env: {
        ALLOW_SIMULATED_DEVICES: 'true',
        CLOCK_RATE: String(CLOCK_RATE),
        CLOCK_ORIGIN: new Date(originMs).toISOString(),
        VERIFICATION_QUALIFY_UPTIME_MS: '600000',
        VERIFICATION_CHALLENGE_EVERY_MS: String(7 * DAY_MS),
        TOKENOMICS_EPOCH_SWEEP_EVERY_MS: '300000',
      },
    });
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('closes epochs that count the qualified, staked device, and starts the unstake cooldown', async () => {
    const { key } = await keyIssuer(stack).organizationWithKey('Northwind GPUs', 'supplier', 'supplier');
    const api = gatewayClient(stack.gatewayUrl, key);
    const supplier = await api.call('POST', '/v1/suppliers', { name: 'Northwind GPUs', source: 'data_center', payoutWallet: wallet });
    expect(supplier.status).toBe(201);
    const token = await api.call('POST', `/v1/suppliers/${supplier.body.supplierId as string}/enrollment-tokens`, {});
    expect(token.status).toBe(201);
    expect((await agentCli(['keygen', '--dir', dir])).code).toBe(0);
    const joined = await agentCli(['join', '--dir', dir, '--token', token.body.token as string, '--api', stack.gatewayUrl, '--country', 'DE', '--region', 'eu-central', '--simulate-gpus', 'H100x8', '--download-mbps', '900', '--upload-mbps', '700']);
    expect(joined.code).toBe(0);
    const deviceId = /device (\S+) of supplier/.exec(joined.stdout)?.[1];
    expect(deviceId).toBeDefined();
    agent = RunningAgent.start(['--dir', dir, '--heartbeat-interval', '1', '--work-wait-ms', '5000']);
    await waitFor('the device cluster_ready', async () => ((await api.call('GET', `/v1/devices/${deviceId}`)).body.status === 'cluster_ready' ? true : undefined), 180_000, 500);

    // The minimum stake of 8x H100: 200 IO x 10 x 8. Tokenomics learns the device through Kafka.
    const staked = await waitFor('the stake accepted', async () => {
      const res = await api.call('POST', '/v1/stakes', { deviceId, amountBaseUnits: (16_000n * IO).toString() });
      if (res.status === 404) return undefined;
      return res;
    }, 60_000, 500);
    expect(staked.status).toBe(201);
    expect(staked.body).toMatchObject({ deviceId, stakerWallet: wallet, role: 'owner', staked: { amountBaseUnits: (16_000n * IO).toString(), asset: 'IO' } });
    const stakedAtEpoch = epochAt(clockNowMs());

    // Five hours of uptime later, an epoch closes with the device eligible: one GPU device-hour.
    const eligible = await waitFor('an epoch closed with the device eligible', async () => {
      for (let epoch = stakedAtEpoch + 1; epoch < epochAt(clockNowMs()); epoch++) {
        const res = await api.call('GET', `/v1/epochs/${epoch}`);
        if (res.status === 200 && (res.body.eligibleDeviceHours as { gpu: number }).gpu >= 1) return res.body;
      }
      return undefined;
    }, 180_000, 1_000);
    expect(eligible).toMatchObject({ status: expect.stringMatching(/closed|minted|allocated/) });
    expect(Date.parse(eligible.epochEnd as string)).toBeLessThanOrEqual(clockNowMs());

    const unstakeAtMs = clockNowMs();
    const unstaked = await api.call('POST', `/v1/stakes/${staked.body.stakeId as string}/unstake`, {});
    expect(unstaked.status).toBe(201);
    expect(unstaked.body.amount).toEqual({ amountBaseUnits: (16_000n * IO).toString(), asset: 'IO' });
    expect(Date.parse(unstaked.body.cooldownEndsAt as string) - unstakeAtMs).toBeGreaterThanOrEqual(14 * DAY_MS);
    const stakes = await api.call('GET', '/v1/stakes');
    expect(stakes.body.items).toEqual([expect.objectContaining({ stakeId: staked.body.stakeId, staked: { amountBaseUnits: '0', asset: 'IO' }, unbonding: { amountBaseUnits: (16_000n * IO).toString(), asset: 'IO' } })]);
  }, 600_000);
});
