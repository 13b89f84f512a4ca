import { formatAmount } from '@ionet/ledger';
import { parseSeeds, runEconomySimulation, runSeeds, SimulationResult, SIMULATION_LIMITS } from '@ionet/simulation';
import { nonNegativeInteger, parseArgs, positiveInteger, UsageError } from './cli-args';
import { CommandIo } from './tokenomics-schedule.command';

export const SIMULATE_USAGE = `usage: ionet simulate economy (--seed N | --seeds A..B | --seeds N) [--steps M]
  --seed    run one seed and print its outcome (state hash, supply, actions)
  --seeds   run seeds A..B inclusive, or seeds 1..N; each seed is run twice and must replay to the same state hash
  --steps   steps per seed (default 200, at most ${SIMULATION_LIMITS.stepsMax})
  Exits 1 when a seed breaks an invariant, printing the command that replays it.`;

function printFailure(result: SimulationResult, io: CommandIo): void {
  io.stderr(`FAIL seed ${result.seed} at step ${result.violations[0]?.step ?? result.stepsRun}:\n`);
  for (const v of result.violations) io.stderr(`  ${v.code}: ${v.message}\n`);
  io.stderr(`  replay: ${result.replayCommand}\n`);
}

export function simulateEconomyCommand(argv: readonly string[], io: CommandIo, nowMs: () => number): number {
  const { positionals, options } = parseArgs(argv, ['seed', 'seeds', 'steps']);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const steps = options.has('steps') ? positiveInteger(options.get('steps')!, 'steps', SIMULATION_LIMITS.stepsMax) : 200;
  if (options.has('seed') === options.has('seeds')) throw new UsageError('give exactly one of --seed N or --seeds A..B');
  const started = nowMs();

  if (options.has('seed')) {
    const seed = nonNegativeInteger(options.get('seed')!, 'seed');
    const result = runEconomySimulation({ seed, steps });
    const replay = runEconomySimulation({ seed, steps });
    if (!result.ok) {
      printFailure(result, io);
      return 1;
    }
    if (replay.stateHash !== result.stateHash) {
      io.stderr(`FAIL seed ${seed}: replay gave state hash ${replay.stateHash}, first run ${result.stateHash}\n  replay: ${result.replayCommand}\n`);
      return 1;
    }
    const { supply } = result;
    io.stdout(
      [
        `ok: seed ${seed}, ${result.stepsRun} steps, every invariant held after every step; replay gives the same state hash`,
        `state hash        ${result.stateHash}`,
        `ledger entries    ${result.ledgerSequence}`,
        `epochs            ${result.startEpoch}..${result.lastClosedEpoch}`,
        `supply (IO)       ${formatAmount('IO', supply.supplyBaseUnits)} = genesis ${formatAmount('IO', supply.genesisBaseUnits)} + minted ${formatAmount('IO', supply.mintedBaseUnits)} - burned ${formatAmount('IO', supply.burnedBaseUnits)}`,
        'actions:',
        ...Object.entries(result.actions)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, n]) => `  ${name.padEnd(36)} ${n}`),
        `time              ${((nowMs() - started) / 1000).toFixed(2)} s`,
        '',
      ].join('\n'),
    );
    return 0;
  }

  const seedsText = options.get('seeds')!;
  // "--seeds N" alone means the first N seeds.
  const range = /^\d+$/.test(seedsText) ? { from: 1, to: positiveInteger(seedsText, 'seeds') } : parseSeedsOrUsage(seedsText);
  const summary = runSeeds({ ...range, steps, replay: true });
  for (const failure of summary.failures) printFailure(failure, io);
  for (const d of summary.diverged) io.stderr(`FAIL seed ${d.seed}: replay diverged (${d.first} then ${d.second})\n  replay: npm run simulate -- economy --seed ${d.seed} --steps ${steps}\n`);
  const failed = summary.failedSeeds + summary.diverged.length;
  if (summary.failedSeeds > summary.failures.length) io.stderr(`(details of the first ${summary.failures.length} failing seeds shown)\n`);
  const seconds = ((nowMs() - started) / 1000).toFixed(2);
  io.stdout(`${failed === 0 ? 'ok' : 'FAILED'}: seeds ${range.from}..${range.to} (${summary.seeds}) x ${steps} steps, ${summary.stepsRun} steps run, ${summary.failedSeeds} failing, ${summary.diverged.length} not replayable, ${seconds} s\n`);
  return failed === 0 ? 0 : 1;
}

function parseSeedsOrUsage(text: string): { from: number; to: number } {
  try {
    return parseSeeds(text);
  } catch (error) {
    throw new UsageError(`--seeds: ${(error as Error).message}`);
  }
}
