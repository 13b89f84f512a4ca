import type { DetectedGpu, HeartbeatGpu } from '@ionet/agent-protocol';
import { readFileSync } from 'node:fs';
import { queryComputeApps, queryGpus, type CommandRunner, runCommand } from '../hardware/nvidia-smi';

export interface GpuSample {
  gpus: HeartbeatGpu[];
  /** `process:<pid>:<name>` and `container:<id>:<image>` lines, digested into the heartbeat. */
  processLines: string[];
  foreignProcessCount: number;
}

/** What the agent itself runs on the GPUs: its jobs' process trees and containers. */
export interface OwnWork {
  pids: number[];
  containers: { id: string; image: string }[];
}

const ANCESTRY_DEPTH_MAX = 64;

/** The parent pid from /proc (Linux); undefined elsewhere or when the process is gone. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: read after its last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function cgroupOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return '';
  }
}

export function isOwnProcess(pid: number, own: OwnWork, parentOf: (pid: number) => number | undefined = parentPid, cgroup: (pid: number) => string = cgroupOf): boolean {
  if (own.containers.length > 0) {
    const groups = cgroup(pid);
    if (own.containers.some((c) => c.id.length >= 12 && groups.includes(c.id))) return true;
  }
  const roots = new Set(own.pids);
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && current > 1 && depth < ANCESTRY_DEPTH_MAX; depth++) {
    if (roots.has(current)) return true;
    current = parentOf(current);
  }
  return false;
}

/** Samples the GPUs for one heartbeat: real ones from nvidia-smi (utilisation in basis points, memory
 *  used), simulated ones as idle. Processes on the GPUs that are not this agent's work are foreign. */
export async function sampleGpus(input: { detected: DetectedGpu[]; simulated: boolean; own: OwnWork; run?: CommandRunner }): Promise<GpuSample> {
  const containerLines = input.own.containers.map((c) => `container:${c.id}:${c.image}`);
  if (input.simulated) {
    return { gpus: input.detected.map((g) => ({ uuid: g.uuid, utilisationBasisPoints: 0, memoryUsedMib: 0 })), processLines: containerLines, foreignProcessCount: 0 };
  }
  const run = input.run ?? runCommand;
  const [{ gpus }, apps] = await Promise.all([queryGpus(run), queryComputeApps(run)]);
  const byUuid = new Map(gpus.map((g) => [g.uuid, g]));
  const sampled = input.detected.map((d) => {
    const g = byUuid.get(d.uuid);
    // A GPU that stopped answering is reported idle and empty: the platform sees it in the digest's
    // absence of work and in utilisation, not as a missing identity.
    return { uuid: d.uuid, utilisationBasisPoints: Math.round((g?.utilisationPercent ?? 0) * 100), memoryUsedMib: g?.memoryUsedMib ?? 0 };
  });
  const processLines = [...apps.map((a) => `process:${a.pid}:${a.processName}`), ...containerLines];
  const foreignProcessCount = apps.filter((a) => !isOwnProcess(a.pid, input.own)).length;
  return { gpus: sampled, processLines, foreignProcessCount };
}
