import { AGENT_PATHS, type EnrollResponse, type EnrollRequest } from '@ionet/agent-protocol';
import type { AgentOptions } from '../cli-args';
import { UsageError } from '../cli-args';
import { deviceSpec } from '../hardware/detect-spec';
import { hostFacts } from '../hardware/host';
import { queryGpus } from '../hardware/nvidia-smi';
import { parseSimulatedGpus } from '../hardware/simulated-gpus';
import { AgentApiClient } from '../platform/api-client';
import { PlatformClock } from '../platform/platform-clock';
import type { StateDir } from '../state/state-dir';
import { agentVersion } from '../version';

export async function joinCommand(state: StateDir, options: AgentOptions, out: (line: string) => void): Promise<number> {
  if (!options.token) throw new UsageError('join needs --token (an enrollment token from your supplier account)');
  if (!options.api) throw new UsageError('join needs --api URL (or IONET_API_URL)');
  const apiUrl = normaliseApiUrl(options.api);
  const country = (options.country ?? '').toUpperCase();
  if (!country) throw new UsageError('join needs --country (ISO 3166 alpha-2, e.g. DE) or IONET_AGENT_COUNTRY');
  let createdKey = false;
  if (!state.hasKey()) {
    state.createKey();
    createdKey = true;
  }
  const key = state.loadKey();
  const simulated = options.simulateGpus === undefined ? undefined : parseSimulatedGpus(options.simulateGpus);
  const nvidia = simulated ? { gpus: [] } : await queryGpus();
  const spec = deviceSpec({
    address: key.address,
    host: hostFacts(state.root),
    nvidiaGpus: nvidia.gpus,
    simulated,
    countryCode: country,
    region: options.region ?? country.toLowerCase(),
    downloadMbps: options.downloadMbps,
    uploadMbps: options.uploadMbps,
    agentVersion: agentVersion(),
  });
  const clock = new PlatformClock(undefined, Date.now, (sync) => state.saveClock(sync));
  const api = new AgentApiClient(apiUrl, key, clock);
  const body: EnrollRequest = { token: options.token, publicKey: key.address, spec };
  const answer = await api.post<EnrollResponse>(AGENT_PATHS.enroll, body);
  state.saveEnrollment({ apiUrl, deviceId: answer.deviceId, supplierId: answer.supplierId, enrolledAt: new Date().toISOString(), simulateGpus: options.simulateGpus ?? null });
  if (options.json) {
    out(JSON.stringify({ ...answer, address: key.address, stateDir: state.root, keyCreated: createdKey, spec }));
    return 0;
  }
  if (createdKey) out(`created a key in ${state.keyPath} (keep it: it is this device's identity)`);
  const gpuSummary = summariseGpus(spec.gpus.map((g) => g.model));
  out(`joined: device ${answer.deviceId} of supplier ${answer.supplierId}, status ${answer.status}`);
  out(`  address   ${key.address}`);
  out(`  gpus      ${gpuSummary || 'none (a CPU device)'}${spec.simulated ? ' (simulated)' : ''}${nvidia.note && !simulated ? `  [${nvidia.note}]` : ''}`);
  out(`  machine   ${spec.cpuCores} CPU cores, ${Math.round(spec.ramMib / 1024)} GiB RAM, ${spec.diskGib} GiB disk, ${spec.countryCode}/${spec.region}`);
  out(`  network   ${spec.connectivity.downloadMbps}/${spec.connectivity.uploadMbps} Mbit/s down/up (declared${spec.connectivity.downloadMbps === 0 ? ': pass --download-mbps and --upload-mbps' : ''})`);
  out(`  state     ${state.root}`);
  out(`next: ionet-agent run${state.root.endsWith('.ionet-agent') ? '' : ` --dir ${state.root}`}`);
  return 0;
}

export function summariseGpus(models: string[]): string {
  const counts = new Map<string, number>();
  for (const m of models) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([m, n]) => `${n} x ${m}`).join(', ');
}

export function normaliseApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--api is a URL like http://127.0.0.1:4000; got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--api is an http(s) URL');
  return url.toString().replace(/\/+$/, '');
}
