import type { DetectedGpu, DeviceSpecReport } from '@ionet/agent-protocol';
import type { HostFacts } from './host';
import type { NvidiaGpu } from './nvidia-smi';
import { simulatedGpus, type SimulatedGpuGroup } from './simulated-gpus';

export interface SpecInputs {
  address: string;
  host: HostFacts;
  nvidiaGpus: NvidiaGpu[];
  simulated: SimulatedGpuGroup[] | undefined;
  countryCode: string;
  region: string;
  downloadMbps: number | undefined;
  uploadMbps: number | undefined;
  agentVersion: string;
}

export class SpecError extends Error {
  override readonly name = 'SpecError';
}

/** The spec sent at enrollment. Simulated GPUs replace (never join) real ones: a spec is either what
 *  the machine has or a declared demo machine, and the platform marks the latter everywhere. */
export function deviceSpec(input: SpecInputs): DeviceSpecReport {
  if (!/^[A-Z]{2}$/.test(input.countryCode)) throw new SpecError(`the country is an ISO 3166 alpha-2 code (--country DE); got "${input.countryCode}"`);
  if (!input.region.trim() || input.region.length > 64) throw new SpecError('the region is 1..64 characters (--region eu-central)');
  const simulated = input.simulated !== undefined;
  const gpus: DetectedGpu[] = simulated
    ? simulatedGpus(input.address, input.simulated ?? [])
    : input.nvidiaGpus.map((g) => ({ model: g.name, vramMib: g.memoryTotalMib, uuid: g.uuid }));
  for (const [flag, value] of [['--download-mbps', input.downloadMbps], ['--upload-mbps', input.uploadMbps]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 1_000_000)) throw new SpecError(`${flag} is a whole number of megabits per second`);
  }
  return {
    gpus,
    simulated,
    cpuCores: input.host.cpuCores,
    ramMib: input.host.ramMib,
    diskGib: input.host.diskGib,
    countryCode: input.countryCode,
    region: input.region.trim(),
    // Declared, never measured here: the platform checks a declared figure later (ADR 0420).
    connectivity: { downloadMbps: input.downloadMbps ?? 0, uploadMbps: input.uploadMbps ?? 0, measured: false },
    agentVersion: input.agentVersion,
    hostname: input.host.hostname,
  };
}
