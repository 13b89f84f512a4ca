import { statfsSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';

export interface HostFacts {
  cpuCores: number;
  ramMib: number;
  diskGib: number;
  hostname: string;
}

/** CPU, memory and the free-and-used size of the disk that holds the agent's state (where jobs run). */
export function hostFacts(stateDir: string): HostFacts {
  let diskGib = 0;
  try {
    const fs = statfsSync(stateDir);
    diskGib = Math.floor((fs.blocks * fs.bsize) / 1024 ** 3);
  } catch {
    diskGib = 0;
  }
  return { cpuCores: cpus().length, ramMib: Math.floor(totalmem() / 1024 ** 2), diskGib, hostname: hostname() };
}
