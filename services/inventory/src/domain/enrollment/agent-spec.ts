import type { DeviceSpecReport } from '@ionet/agent-protocol';
import { resolveGpuModel } from '@ionet/tokenomics';
import { GPU_COUNT_MAX, GPU_MODEL_LENGTH_MAX, VRAM_MIB_MAX, type AgentDetails, type ConnectivityTier, type DeviceSpec } from '../device/device.decider';
import { InventoryError } from '../shared/inventory.errors';
import type { EnrollmentDefaults } from './enrollment-token.decider';

/** The spec an agent detected and sends at enrollment (agent protocol, `POST /v1/agent/enroll`). */
export type AgentSpec = DeviceSpecReport;

/** DOMAIN.md's connectivity tiers (download/upload), highest first; below Low is still Low. */
const CONNECTIVITY_THRESHOLDS: [ConnectivityTier, number, number][] = [
  ['ultra_high', 1600, 1200],
  ['high', 800, 600],
  ['medium', 400, 300],
];

export function connectivityTierOf(downloadMbps: number, uploadMbps: number): ConnectivityTier {
  for (const [tier, down, up] of CONNECTIVITY_THRESHOLDS) if (downloadMbps >= down && uploadMbps >= up) return tier;
  return 'low';
}

/**
 * The device an enrollment registers, from what the agent detected and what its token presets
 * (ADR 0400, 0402): GPU names normalised through the catalogue (an unknown model keeps its reported
 * name), one model per device (a mixed machine is refused with the models it found), no GPU makes
 * a CPU device, simulated GPUs only where the platform allows them. Throws InventoryError.
 */
export function deviceFromAgentSpec(
  agent: AgentSpec,
  defaults: Pick<EnrollmentDefaults, 'connectivityTier' | 'securityTier'>,
  allowSimulated: boolean,
): { spec: DeviceSpec; simulated: boolean; details: AgentDetails } {
  if (agent.simulated && !allowSimulated) {
    throw new InventoryError('INVENTORY.SIMULATED_DEVICES_NOT_ALLOWED', 'this platform accepts only detected GPUs: run the agent without --simulate-gpus (simulated devices are for demos and tests)');
  }
  if (agent.gpus.length > GPU_COUNT_MAX) throw invalid('gpus', `at most ${GPU_COUNT_MAX} GPUs per device`);
  const uuids = agent.gpus.map((g) => g.uuid);
  if (new Set(uuids).size !== uuids.length) throw invalid('gpus', 'every GPU has its own uuid');
  const canonical = agent.gpus.map((g) => resolveGpuModel(g.model)?.name ?? g.model.trim());
  const models = [...new Set(canonical)];
  if (models.length > 1) {
    throw new InventoryError('INVENTORY.MIXED_GPU_MODELS', `one device is one GPU model; this machine has ${models.join(', ')}: run one agent per model`, { models });
  }
  const model = models[0];
  if (model !== undefined && (model.length === 0 || model.length > GPU_MODEL_LENGTH_MAX)) throw invalid('gpus.model', `a GPU model name is 1 to ${GPU_MODEL_LENGTH_MAX} characters`);
  const vramMib = Math.min(...agent.gpus.map((g) => g.vramMib));
  if (model !== undefined && (!Number.isSafeInteger(vramMib) || vramMib < 1 || vramMib > VRAM_MIB_MAX)) throw invalid('gpus.vramMib', `vramMib must be an integer from 1 to ${VRAM_MIB_MAX}`);
  return {
    spec: {
      deviceClass: model === undefined ? 'cpu' : 'gpu',
      gpu: model === undefined ? null : { model, vramMib, count: agent.gpus.length },
      cpuCores: agent.cpuCores,
      ramMib: agent.ramMib,
      diskGib: agent.diskGib,
      countryCode: agent.countryCode.toUpperCase(),
      region: agent.region,
      connectivityTier: defaults.connectivityTier ?? connectivityTierOf(agent.connectivity.downloadMbps, agent.connectivity.uploadMbps),
      securityTier: defaults.securityTier ?? 'standard',
    },
    simulated: agent.simulated,
    details: { gpuUuids: uuids, reportedGpuModel: agent.gpus[0]?.model ?? '', hostname: agent.hostname, agentVersion: agent.agentVersion },
  };
}

function invalid(field: string, message: string): InventoryError {
  return new InventoryError('DEVICE.INVALID_SPEC', message, { violations: [{ field, message }] });
}
