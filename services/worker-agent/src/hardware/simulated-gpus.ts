import type { DetectedGpu } from '@ionet/agent-protocol';
import { resolveGpuModel } from '@ionet/tokenomics';
import { createHash } from 'node:crypto';

export interface SimulatedGpuGroup {
  /** The catalogue's canonical name (ADR 0107), e.g. "H100-80GB" for "H100". */
  model: string;
  vramMib: number;
  count: number;
}

export class SimulatedGpuSpecError extends Error {
  override readonly name = 'SimulatedGpuSpecError';
}

const SIMULATED_GPUS_MAX = 16;
const GROUP_PATTERN = /^(.+?)\s*[xX*]\s*(\d{1,2})$/;

/** Parses `--simulate-gpus` ("H100x8", "A100-80GBx2,RTX4090x1"; a group without a count is one GPU).
 *  Models resolve through the platform's GPU catalogue, so a typo is refused here, not at enrollment. */
export function parseSimulatedGpus(spec: string): SimulatedGpuGroup[] {
  const groups: SimulatedGpuGroup[] = [];
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new SimulatedGpuSpecError('--simulate-gpus names at least one model, e.g. H100x8 or A100-80GBx2,RTX4090x1');
  for (const item of items) {
    const match = GROUP_PATTERN.exec(item);
    const name = match ? match[1] : item;
    const count = match ? Number(match[2]) : 1;
    const model = resolveGpuModel(name);
    if (!model) throw new SimulatedGpuSpecError(`--simulate-gpus: "${name}" is not a GPU model the platform knows (e.g. H100, A100-80GB, L40S, RTX4090)`);
    if (count < 1) throw new SimulatedGpuSpecError(`--simulate-gpus: "${item}" asks for ${count} GPUs`);
    groups.push({ model: model.name, vramMib: model.vramMib, count });
  }
  const total = groups.reduce((n, g) => n + g.count, 0);
  if (total > SIMULATED_GPUS_MAX) throw new SimulatedGpuSpecError(`--simulate-gpus: ${total} GPUs; a simulated machine has at most ${SIMULATED_GPUS_MAX}`);
  return groups;
}

/** The simulated GPUs of one agent: their uuids derive from the agent's address, the model and the
 *  position, so a restart (or a re-join) reports the same GPUs and two agents never share one. */
export function simulatedGpus(address: string, groups: readonly SimulatedGpuGroup[]): DetectedGpu[] {
  const gpus: DetectedGpu[] = [];
  let index = 0;
  for (const group of groups) {
    for (let i = 0; i < group.count; i++, index++) {
      const h = createHash('sha256').update(`ionet-simulated-gpu\n${address}\n${group.model}\n${index}`).digest('hex');
      gpus.push({ model: group.model, vramMib: group.vramMib, uuid: `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}` });
    }
  }
  return gpus;
}
