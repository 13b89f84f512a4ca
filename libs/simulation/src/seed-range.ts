import { runEconomySimulation, SimulationHooks, SimulationResult } from './economy.simulation';

export const SEEDS_PER_RUN_MAX = 1_000_000;

/** "7" is seed 7; "1..1000" (or "1-1000") is seeds 1 to 1000 inclusive. */
export function parseSeeds(text: string): { readonly from: number; readonly to: number } {
  const match = /^(\d+)(?:(?:\.\.|-)(\d+))?$/.exec(text.trim());
  if (!match) throw new RangeError(`seeds must look like 7 or 1..1000, got "${text}"`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) throw new RangeError(`bad seed range "${text}"`);
  if (to - from + 1 > SEEDS_PER_RUN_MAX) throw new RangeError(`at most ${SEEDS_PER_RUN_MAX} seeds per run`);
  return { from, to };
}

export interface SeedRunSummary {
  readonly seeds: number;
  /** All failing seeds, also those beyond `failuresMax` whose details were not kept. */
  readonly failedSeeds: number;
  readonly failures: readonly SimulationResult[];
  /** Seeds whose second run gave another state hash: determinism broke. */
  readonly diverged: ReadonlyArray<{ readonly seed: number; readonly first: string; readonly second: string }>;
  readonly stepsRun: number;
}

/**
 * Runs seeds from..to; with `replay`, runs each seed a second time and compares state hashes. Stops
 * collecting details after `failuresMax` failures so a systematically broken rule stays readable.
 */
export function runSeeds(input: {
  readonly from: number;
  readonly to: number;
  readonly steps: number;
  readonly replay?: boolean;
  readonly hooks?: Partial<SimulationHooks>;
  readonly failuresMax?: number;
  readonly onResult?: (result: SimulationResult) => void;
}): SeedRunSummary {
  const failures: SimulationResult[] = [];
  const diverged: { seed: number; first: string; second: string }[] = [];
  const failuresMax = input.failuresMax ?? 20;
  let stepsRun = 0;
  let failedSeeds = 0;
  for (let seed = input.from; seed <= input.to; seed += 1) {
    const result = runEconomySimulation({ seed, steps: input.steps, hooks: input.hooks });
    stepsRun += result.stepsRun;
    input.onResult?.(result);
    if (!result.ok) {
      failedSeeds += 1;
      if (failures.length < failuresMax) failures.push(result);
    }
    if (input.replay) {
      const again = runEconomySimulation({ seed, steps: input.steps, hooks: input.hooks });
      if (again.stateHash !== result.stateHash) diverged.push({ seed, first: result.stateHash, second: again.stateHash });
    }
  }
  return { seeds: input.to - input.from + 1, failedSeeds, failures, diverged, stepsRun };
}
