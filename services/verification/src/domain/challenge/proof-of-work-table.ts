import { PROOF_OF_WORK_LIMITS } from '@ionet/agent-protocol';

/** The size of a proof of work for one GPU model and the time it must be solved in (ADR 0412). */
export interface ProofOfWorkSizing {
  difficultyBits: number;
  memoryMib: number;
  memoryReads: number;
  /** The reported solve time above which the device is too slow for its claim (wall ms). */
  solveMsMax: number;
  /** From issue to the result's arrival (wall ms; platform time = this x the clock rate). At most
   *  15 minutes: the load cap of DOMAIN.md. */
  deadlineMs: number;
}

export type ProofOfWorkTable = Readonly<Record<string, ProofOfWorkSizing>>;

/** Keys besides canonical GPU model names (libs/tokenomics catalogue). */
export const SIMULATED_SIZING = 'simulated';
export const CPU_SIZING = 'cpu';
export const DEFAULT_SIZING = 'default';
const DEADLINE_MS_MAX = 15 * 60_000;

/**
 * Sized for the agent's solver, which runs on the CPU (libs/agent-protocol): memory grows with the
 * claimed VRAM class, difficulty with the claimed compute, within the verifier's own budget (it
 * recomputes the walk). Measured on a 2-core build machine: 8 MiB / 50k reads / 12 bits ~0.35 s,
 * 64 MiB / 200k reads / 16 bits ~2.7 s, 256 MiB / 1M reads / 18 bits ~11 s.
 */
export const DEFAULT_PROOF_OF_WORK_TABLE: ProofOfWorkTable = Object.freeze({
  [SIMULATED_SIZING]: { difficultyBits: 12, memoryMib: 8, memoryReads: 50_000, solveMsMax: 30_000, deadlineMs: 120_000 },
  [CPU_SIZING]: { difficultyBits: 12, memoryMib: 8, memoryReads: 50_000, solveMsMax: 30_000, deadlineMs: 120_000 },
  [DEFAULT_SIZING]: { difficultyBits: 16, memoryMib: 64, memoryReads: 200_000, solveMsMax: 60_000, deadlineMs: 300_000 },
  'RTX-4090': { difficultyBits: 16, memoryMib: 128, memoryReads: 400_000, solveMsMax: 60_000, deadlineMs: 300_000 },
  L40S: { difficultyBits: 17, memoryMib: 192, memoryReads: 600_000, solveMsMax: 60_000, deadlineMs: 600_000 },
  'A100-80GB': { difficultyBits: 18, memoryMib: 256, memoryReads: 1_000_000, solveMsMax: 90_000, deadlineMs: 900_000 },
  'H100-80GB': { difficultyBits: 18, memoryMib: 256, memoryReads: 1_000_000, solveMsMax: 60_000, deadlineMs: 900_000 },
});

/** Reads a table from configuration: every entry checked against the protocol's limits. */
export function parseProofOfWorkTable(value: unknown): ProofOfWorkTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('must be a JSON object of GPU model -> sizing');
  const table: Record<string, ProofOfWorkSizing> = { ...DEFAULT_PROOF_OF_WORK_TABLE };
  for (const [model, raw] of Object.entries(value as Record<string, unknown>)) {
    const s = raw as Partial<ProofOfWorkSizing>;
    const int = (v: unknown, min: number, max: number) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
    if (
      !int(s?.difficultyBits, 0, PROOF_OF_WORK_LIMITS.difficultyBitsMax) ||
      !int(s?.memoryMib, 1, PROOF_OF_WORK_LIMITS.memoryMibMax) ||
      !int(s?.memoryReads, 1, PROOF_OF_WORK_LIMITS.memoryReadsMax) ||
      !int(s?.solveMsMax, 1, DEADLINE_MS_MAX) ||
      !int(s?.deadlineMs, 1, DEADLINE_MS_MAX)
    ) {
      throw new Error(`entry ${model}: needs integer difficultyBits (0..${PROOF_OF_WORK_LIMITS.difficultyBitsMax}), memoryMib (1..${PROOF_OF_WORK_LIMITS.memoryMibMax}), memoryReads, solveMsMax and deadlineMs (at most 15 minutes)`);
    }
    table[model] = { difficultyBits: s.difficultyBits!, memoryMib: s.memoryMib!, memoryReads: s.memoryReads!, solveMsMax: s.solveMsMax!, deadlineMs: s.deadlineMs! };
  }
  return Object.freeze(table);
}

/** The sizing of a device: simulated GPUs get CPU-sized work; a GPU model by its canonical name. */
export function sizingFor(table: ProofOfWorkTable, device: { hasGpu: boolean; canonicalGpuModel: string | null; simulated: boolean }): { key: string; sizing: ProofOfWorkSizing } {
  const key = device.simulated
    ? SIMULATED_SIZING
    : !device.hasGpu
      ? CPU_SIZING
      : device.canonicalGpuModel !== null && table[device.canonicalGpuModel]
        ? device.canonicalGpuModel
        : DEFAULT_SIZING;
  return { key, sizing: table[key] ?? table[DEFAULT_SIZING]! };
}
