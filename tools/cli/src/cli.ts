import { UsageError } from './cli-args';
import { simulateEconomyCommand, SIMULATE_USAGE } from './simulate-economy.command';
import { CommandIo, SCHEDULE_USAGE, tokenomicsScheduleCommand } from './tokenomics-schedule.command';

export const USAGE = `usage: ionet <command>
  tokenomics schedule   print the IO emission schedule (table, csv or json) and optionally a supply chart
  simulate economy      run seeded economic simulations and check every invariant

${SCHEDULE_USAGE}

${SIMULATE_USAGE}`;

/** Runs a command line and returns the exit code: 0 ok, 1 a check failed, 2 bad arguments. */
export function runCli(argv: readonly string[], io: CommandIo, nowMs: () => number): number {
  const [group, command, ...rest] = argv;
  try {
    if (group === 'tokenomics' && command === 'schedule') return tokenomicsScheduleCommand(rest, io);
    if (group === 'simulate' && command === 'economy') return simulateEconomyCommand(rest, io, nowMs);
    if (group === 'help' || group === '--help' || group === undefined) {
      io.stdout(`${USAGE}\n`);
      return group === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${[group, command].filter(Boolean).join(' ')}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}
