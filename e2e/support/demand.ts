import { waitFor } from '@ionet/testing';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningAgent, agentCli } from './agent-cli';
import { gatewayClient, type Answer } from './gateway-client';

const WALLET = '11111111111111111111111111111111';

/** One enrolled `ionet-agent`: its state directory, its device, its running process. */
export interface DemandAgent {
  name: string;
  dir: string;
  deviceId: string;
  process?: RunningAgent;
}

export interface AgentFleetOptions {
  /** `--simulate-gpus` of every agent, e.g. H100x2. */
  gpus: string;
  country: string;
  region: string;
  /** Wall seconds between heartbeats (`--heartbeat-interval`). */
  heartbeatIntervalS: number;
  /** Wall milliseconds of each work long poll (`--work-wait-ms`). */
  workWaitMs: number;
}

/**
 * A supplier's fleet of real `ionet-agent` processes with simulated GPUs: the supplier, one
 * single-use enrollment token per agent, `keygen` + `join` + `run --runtime process` for each. Jobs
 * run as local processes the agents supervise; `stopAll` stops the agents and then any job process
 * an agent left behind (a job outlives a SIGKILLed agent by design: its supervisor is detached).
 */
export class AgentFleet {
  readonly agents: DemandAgent[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'ionet-demand-agents-'));

  constructor(
    private readonly apiUrl: string,
    private readonly supplierKey: string,
    private readonly options: AgentFleetOptions,
  ) {}

  /** Registers the supplier and enrolls `count` agents (in parallel); none runs yet. */
  async enroll(supplierName: string, count: number): Promise<DemandAgent[]> {
    const api = gatewayClient(this.apiUrl, this.supplierKey);
    const supplier = await api.call('POST', '/v1/suppliers', { name: supplierName, source: 'individual', payoutWallet: WALLET });
    if (supplier.status !== 201) throw new Error(`POST /v1/suppliers answered ${supplier.status}: ${JSON.stringify(supplier.body)}`);
    const supplierId = supplier.body.supplierId as string;
    const enrolled = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `agent-${this.agents.length + i + 1}`;
        const dir = join(this.root, name);
        const token = await api.call('POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, {});
        if (token.status !== 201) throw new Error(`enrollment token answered ${token.status}: ${JSON.stringify(token.body)}`);
        const keygen = await agentCli(['keygen', '--dir', dir]);
        if (keygen.code !== 0) throw new Error(`ionet-agent keygen failed: ${keygen.stdout}${keygen.stderr}`);
        const { country, region, gpus } = this.options;
        const joined = await agentCli(['join', '--dir', dir, '--token', token.body.token as string, '--api', this.apiUrl, '--country', country, '--region', region, '--simulate-gpus', gpus, '--download-mbps', '900', '--upload-mbps', '700']);
        const deviceId = /device (\S+) of supplier/.exec(joined.stdout)?.[1];
        if (joined.code !== 0 || !deviceId) throw new Error(`ionet-agent join failed (${joined.code}): ${joined.stdout}${joined.stderr}`);
        return { name, dir, deviceId };
      }),
    );
    this.agents.push(...enrolled);
    return enrolled;
  }

  /** `ionet-agent run` for an enrolled agent. */
  run(agent: DemandAgent): RunningAgent {
    agent.process = RunningAgent.start(['--dir', agent.dir, '--heartbeat-interval', String(this.options.heartbeatIntervalS), '--work-wait-ms', String(this.options.workWaitMs), '--runtime', 'process']);
    return agent.process;
  }

  byDevice(deviceId: string): DemandAgent {
    const agent = this.agents.find((a) => a.deviceId === deviceId);
    if (!agent) throw new Error(`no agent of this fleet runs device ${deviceId}`);
    return agent;
  }

  /** The output of every agent, for a failing test's message. */
  output(): string {
    return this.agents.map((a) => `--- ${a.name} (${a.deviceId})\n${a.process?.output().split('\n').slice(-30).join('\n') ?? '(not running)'}`).join('\n');
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.process?.stop()));
    for (const a of this.agents) killJobProcesses(a.dir);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The job processes an agent started (their supervisors lead a process group each), killed. */
export function killJobProcesses(agentDir: string): void {
  const jobs = join(agentDir, 'jobs');
  if (!existsSync(jobs)) return;
  for (const name of readdirSync(jobs)) {
    try {
      const record = JSON.parse(readFileSync(join(jobs, name, 'job.json'), 'utf8')) as { pid?: number };
      if (record.pid) process.kill(-record.pid, 'SIGKILL');
    } catch {
      // no record, or the process is gone already
    }
  }
}

/** Waits until every device shows `status` through the gateway (inventory's device view). */
export async function devicesReach(apiUrl: string, key: string, deviceIds: string[], status: string, timeoutMs: number): Promise<void> {
  const api = gatewayClient(apiUrl, key);
  await waitFor(
    `${deviceIds.length} device(s) ${status}`,
    async () => {
      const views = await Promise.all(deviceIds.map((id) => api.call('GET', `/v1/devices/${id}`)));
      return views.every((v) => v.status === 200 && v.body.status === status) ? true : undefined;
    },
    timeoutMs,
    500,
  );
}

/** Polls a gateway read until `accept` says yes; the last answer is in the timeout's message. */
export async function untilAnswer(what: string, read: () => Promise<Answer>, accept: (a: Answer) => boolean, timeoutMs: number): Promise<Answer> {
  let last: Answer | undefined;
  try {
    return await waitFor(
      what,
      async () => {
        last = await read();
        return accept(last) ? last : undefined;
      },
      timeoutMs,
      300,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer: ${JSON.stringify(last)}`);
  }
}
