import { parseArgs } from 'node:util';

export const COMMANDS = ['keygen', 'join', 'run', 'status'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface AgentOptions {
  dir: string | undefined;
  api: string | undefined;
  token: string | undefined;
  json: boolean;
  simulateGpus: string | undefined;
  heartbeatIntervalSeconds: number;
  downloadMbps: number | undefined;
  uploadMbps: number | undefined;
  country: string | undefined;
  region: string | undefined;
  runtime: 'auto' | 'process' | 'container';
  workWaitMs: number;
  unsafeTestCorruptProof: boolean;
  unsafeTestProofDelayMs: number;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `ionet-agent: connects this machine's GPUs to the ionet platform

  ionet-agent keygen                      create this agent's ed25519 key (its address is a Solana address)
  ionet-agent join --token T --api URL    enroll this machine with a supplier's single-use token
  ionet-agent run                         send heartbeats, prove work, run jobs (until stopped)
  ionet-agent status [--json]             what the platform thinks of this device, and why

Options
  --dir PATH                 the agent's state directory (default ~/.ionet-agent); one per agent
  --api URL                  the platform's URL (or IONET_API_URL)
  --token T                  enrollment token (join)
  --country CC --region R    where the machine is (join; or IONET_AGENT_COUNTRY, IONET_AGENT_REGION)
  --download-mbps N --upload-mbps N   declared connectivity (join; checked by the platform later)
  --simulate-gpus SPEC       a declared simulated GPU set for demos and tests: H100x8, A100-80GBx2,RTX4090x1
                             (accepted only by a platform that allows simulated devices)
  --heartbeat-interval S     seconds between heartbeats (run; default 30)
  --runtime auto|process|container   how jobs run (run; default auto: containers where Docker answers)
  --json                     machine-readable output
`;

function positiveNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} is a number from ${min} to ${max}; got "${value}"`);
  return n;
}

function optionalInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,7}$/.test(value)) throw new UsageError(`--${name} is a whole number; got "${value}"`);
  return Number(value);
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): { command: CommandName | 'help'; options: AgentOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        dir: { type: 'string' },
        api: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        'simulate-gpus': { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'download-mbps': { type: 'string' },
        'upload-mbps': { type: 'string' },
        country: { type: 'string' },
        region: { type: 'string' },
        runtime: { type: 'string' },
        'work-wait-ms': { type: 'string' },
        'unsafe-test-corrupt-proof': { type: 'boolean', default: false },
        'unsafe-test-proof-delay-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const name = positionals[0];
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  if (values.help || name === undefined || name === 'help') return { command: 'help', options: undefined as unknown as AgentOptions };
  if (!(COMMANDS as readonly string[]).includes(name)) throw new UsageError(`unknown command "${name}" (one of ${COMMANDS.join(', ')})`);
  const runtime = values.runtime ?? 'auto';
  if (runtime !== 'auto' && runtime !== 'process' && runtime !== 'container') throw new UsageError('--runtime is auto, process or container');
  return {
    command: name as CommandName,
    options: {
      dir: values.dir,
      api: values.api ?? (env.IONET_API_URL || undefined),
      token: values.token,
      json: values.json ?? false,
      simulateGpus: values['simulate-gpus'],
      heartbeatIntervalSeconds: positiveNumber('heartbeat-interval', values['heartbeat-interval'], 30, 0.2, 3_600),
      downloadMbps: optionalInteger('download-mbps', values['download-mbps']),
      uploadMbps: optionalInteger('upload-mbps', values['upload-mbps']),
      country: values.country ?? (env.IONET_AGENT_COUNTRY || undefined),
      region: values.region ?? (env.IONET_AGENT_REGION || undefined),
      runtime,
      workWaitMs: positiveNumber('work-wait-ms', values['work-wait-ms'], 25_000, 0, 30_000),
      unsafeTestCorruptProof: values['unsafe-test-corrupt-proof'] ?? false,
      unsafeTestProofDelayMs: positiveNumber('unsafe-test-proof-delay-ms', values['unsafe-test-proof-delay-ms'], 0, 0, 600_000),
    },
  };
}
