import { AgentKeyError } from '@ionet/agent-protocol';
import { parseCli, USAGE, UsageError } from './cli-args';
import { joinCommand } from './commands/join.command';
import { runCommand } from './commands/run.command';
import { statusCommand } from './commands/status.command';
import { SpecError } from './hardware/detect-spec';
import { SimulatedGpuSpecError } from './hardware/simulated-gpus';
import { createLogger } from './log';
import { PlatformError } from './platform/api-client';
import { AgentStateError, StateDir, defaultStateDir } from './state/state-dir';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The `ionet-agent` entry point; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { command, options } = parseCli(argv);
    if (command === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    const state = new StateDir(options.dir ?? defaultStateDir());
    switch (command) {
      case 'keygen': {
        const key = state.createKey();
        if (options.json) out(JSON.stringify({ address: key.address, keyFile: state.keyPath }));
        else out(`${key.address}\n  key file ${state.keyPath} (mode 600; it is this device's identity: back it up, never share it)`);
        return 0;
      }
      case 'join':
        return await joinCommand(state, options, out);
      case 'run':
        return await runCommand(state, options, createLogger(options.json));
      case 'status':
        return await statusCommand(state, options, out);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ionet-agent: ${err.message}\n(ionet-agent --help for usage)\n`);
      return 2;
    }
    if (err instanceof PlatformError) {
      process.stderr.write(err.status === 0 ? `ionet-agent: the platform is unreachable: ${err.detail}\n` : `ionet-agent: refused by the platform: ${err.status} ${err.code}: ${err.detail}\n`);
      return 1;
    }
    if (err instanceof AgentStateError || err instanceof AgentKeyError || err instanceof SpecError || err instanceof SimulatedGpuSpecError) {
      process.stderr.write(`ionet-agent: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
