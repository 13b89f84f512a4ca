import { waitFor } from '@ionet/testing';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningAgent, agentCli, type CliResult } from '../support/agent-cli';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;
const WALLET = '11111111111111111111111111111111';
/** Under an hour-a-minute clock, ten platform minutes of uptime qualify in about ten seconds. */
const QUALIFY_UPTIME_MS = 600_000;
const CLUSTER_READY_WITHIN_MS = 120_000;

/**
 * A supplier's first device, end to end through the gateway: the supplier organization and its key,
 * the supplier, an enrollment token, a simulated-GPU agent joining with it, the proof of work it
 * passes and the uptime it shows, until `GET /v1/devices/{id}` says `cluster_ready`. Set
 * E2E_AGENT_TRANSCRIPT=<file> to keep the commands and their output.
 */
describe('a supplier\'s agent joins and its device becomes cluster-ready', () => {
  let stack: RunningStack;
  let agent: RunningAgent | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ionet-agent-scenario-'));
  const transcript = (text: string) => {
    if (process.env.E2E_AGENT_TRANSCRIPT) appendFileSync(process.env.E2E_AGENT_TRANSCRIPT, text);
  };
  const cli = async (args: string[]): Promise<CliResult> => {
    const result = await agentCli(args);
    transcript(`$ ionet-agent ${args.join(' ')}\n${result.stdout}${result.stderr}`);
    return result;
  };

  beforeAll(async () => {
    stack = await launchStack({
      label: 'e2e-supplier-agent',
      env: { ALLOW_SIMULATED_DEVICES: 'true', CLOCK_RATE: '60', CLOCK_ORIGIN: new Date().toISOString(), VERIFICATION_QUALIFY_UPTIME_MS: String(QUALIFY_UPTIME_MS) },
    });
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('registers, enrolls, proves its work and reaches cluster_ready as the API reports it', async () => {
    const { key } = await keyIssuer(stack).organizationWithKey('First Light Compute', 'supplier', 'supplier');
    const supplierApi = gatewayClient(stack.gatewayUrl, key);
    const supplier = await supplierApi.call('POST', '/v1/suppliers', { name: 'First Light Compute', source: 'individual', payoutWallet: WALLET });
    expect(supplier.status).toBe(201);
    const token = await supplierApi.call('POST', `/v1/suppliers/${supplier.body.supplierId as string}/enrollment-tokens`, {});
    expect(token).toMatchObject({ status: 201, body: { token: expect.any(String) } });

    expect((await cli(['keygen', '--dir', dir])).code).toBe(0);
    const joined = await cli(['join', '--dir', dir, '--token', token.body.token as string, '--api', stack.gatewayUrl, '--country', 'DE', '--region', 'eu-central', '--simulate-gpus', 'H100x8', '--download-mbps', '900', '--upload-mbps', '700']);
    expect(joined.code).toBe(0);
    const deviceId = /device (\S+) of supplier/.exec(joined.stdout)?.[1];
    expect(deviceId).toBeDefined();

    const seen: string[] = [];
    const device = async () => (await supplierApi.call('GET', `/v1/devices/${deviceId}`)).body as { status: string; statusReason: string; simulated: boolean; gpu: { model: string; count: number } };
    // The device view is inventory's catalogue projection: it shows the device once the
    // registration has travelled through Kafka, a moment after the enrollment's answer.
    const pending = await waitFor('the enrolled device in the catalogue', async () => {
      const res = await supplierApi.call('GET', `/v1/devices/${deviceId}`);
      return res.status === 200 ? (res.body as Awaited<ReturnType<typeof device>>) : undefined;
    }, 30_000, 200);
    expect(pending).toMatchObject({ status: 'pending', simulated: true, gpu: { model: 'H100-80GB', count: 8 } });
    seen.push(`${pending.status} (${pending.statusReason})`);

    agent = RunningAgent.start(['--dir', dir, '--heartbeat-interval', '1', '--work-wait-ms', '5000']);
    transcript(`$ ionet-agent run --dir ${dir} --heartbeat-interval 1   (JSON lines, first ones)\n`);
    await agent.line('a passed proof of work', (l) => l.message === 'proof of work: passed', CLUSTER_READY_WITHIN_MS);
    const ready = await waitFor('the device cluster_ready through the gateway', async () => {
      const d = await device();
      if (seen[seen.length - 1] !== `${d.status} (${d.statusReason})`) seen.push(`${d.status} (${d.statusReason})`);
      return d.status === 'cluster_ready' ? d : undefined;
    }, CLUSTER_READY_WITHIN_MS, 500);
    expect(ready).toMatchObject({ status: 'cluster_ready', simulated: true });
    transcript(`${agent.lines.slice(0, 8).map((l) => JSON.stringify(l)).join('\n')}\n`);
    transcript(`GET /v1/devices/${deviceId} status as it changed:\n${seen.map((s) => `  ${s}`).join('\n')}\n`);
    const status = await cli(['status', '--dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('cluster_ready');
  }, 2 * CLUSTER_READY_WITHIN_MS + 60_000);
});
