import { execFile } from 'node:child_process';

/** One GPU as `nvidia-smi --query-gpu=name,memory.total,uuid,utilization.gpu,memory.used` reports it. */
export interface NvidiaGpu {
  name: string;
  memoryTotalMib: number;
  uuid: string;
  /** 0..100, or undefined where the driver answers "[N/A]" (some virtualised GPUs). */
  utilisationPercent: number | undefined;
  memoryUsedMib: number | undefined;
}

export interface NvidiaComputeApp {
  pid: number;
  processName: string;
  usedMemoryMib: number | undefined;
}

export const GPU_QUERY_ARGS = ['--query-gpu=name,memory.total,uuid,utilization.gpu,memory.used', '--format=csv,noheader,nounits'];
export const COMPUTE_APPS_QUERY_ARGS = ['--query-compute-apps=pid,process_name,used_memory', '--format=csv,noheader'];
const NVIDIA_SMI_TIMEOUT_MS = 10_000;
const GPUS_MAX = 64;

/** Splits one CSV line of nvidia-smi's output. Only the first fields are split: a GPU or process name
 *  may itself contain a comma (nvidia-smi does not quote), so the name takes what the others leave. */
function splitFields(line: string, fieldCount: number, nameIndex: number): string[] | undefined {
  const parts = line.split(',').map((p) => p.trim());
  if (parts.length < fieldCount) return undefined;
  const extra = parts.length - fieldCount;
  if (extra === 0) return parts;
  const name = parts.slice(nameIndex, nameIndex + extra + 1).join(', ');
  return [...parts.slice(0, nameIndex), name, ...parts.slice(nameIndex + extra + 1)];
}

function number(text: string): number | undefined {
  const cleaned = text.replace(/\s*(MiB|%)$/i, '');
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return undefined;
  return Math.round(Number(cleaned));
}

/** Parses `--query-gpu` output. Lines that are not GPUs (driver errors printed to stdout, "No devices
 *  were found", blank lines) are skipped and returned as problems rather than guessed at. */
export function parseGpuQuery(output: string): { gpus: NvidiaGpu[]; problems: string[] } {
  const gpus: NvidiaGpu[] = [];
  const problems: string[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const fields = splitFields(line, 5, 0);
    const memoryTotalMib = fields ? number(fields[1]) : undefined;
    const uuid = fields?.[2] ?? '';
    if (!fields || !fields[0] || memoryTotalMib === undefined || !/^(GPU|MIG)-[0-9A-Za-z-]+$/.test(uuid)) {
      problems.push(line);
      continue;
    }
    const utilisation = number(fields[3]);
    gpus.push({
      name: fields[0],
      memoryTotalMib,
      uuid,
      utilisationPercent: utilisation === undefined ? undefined : Math.min(100, utilisation),
      memoryUsedMib: number(fields[4]),
    });
    if (gpus.length === GPUS_MAX) break;
  }
  return { gpus, problems };
}

/** Parses `--query-compute-apps` output (`pid, process_name, used_memory` with units). */
export function parseComputeApps(output: string): NvidiaComputeApp[] {
  const apps: NvidiaComputeApp[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || /^no running/i.test(line)) continue;
    const fields = splitFields(line, 3, 1);
    const pid = fields ? number(fields[0]) : undefined;
    if (!fields || pid === undefined || !fields[1]) continue;
    apps.push({ pid, processName: fields[1], usedMemoryMib: number(fields[2]) });
  }
  return apps;
}

export type CommandRunner = (file: string, args: string[]) => Promise<{ ok: boolean; stdout: string; stderr: string }>;

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: NVIDIA_SMI_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ ok: !err, stdout: String(stdout), stderr: err && !stderr ? err.message : String(stderr) });
    });
  });

/** The GPUs nvidia-smi sees, or none where it does not exist or fails (the machine is then a CPU
 *  device, and the reason is returned for the log). */
export async function queryGpus(run: CommandRunner = runCommand): Promise<{ gpus: NvidiaGpu[]; note?: string }> {
  const result = await run('nvidia-smi', GPU_QUERY_ARGS);
  if (!result.ok) return { gpus: [], note: `nvidia-smi unavailable: ${result.stderr.trim().split('\n')[0] || 'failed'}` };
  const { gpus, problems } = parseGpuQuery(result.stdout);
  return problems.length ? { gpus, note: `nvidia-smi lines not understood: ${problems.join(' | ')}` } : { gpus };
}

export async function queryComputeApps(run: CommandRunner = runCommand): Promise<NvidiaComputeApp[]> {
  const result = await run('nvidia-smi', COMPUTE_APPS_QUERY_ARGS);
  return result.ok ? parseComputeApps(result.stdout) : [];
}
