import { agentKeyFromJson, agentKeyToJson, generateAgentKey, type AgentKey } from '@ionet/agent-protocol';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readJsonFile, writeFileAtomic } from './files';

/** What `join` stored: the device this agent is, and where its platform is. */
export interface Enrollment {
  apiUrl: string;
  deviceId: string;
  supplierId: string;
  enrolledAt: string;
  /** The `--simulate-gpus` value enrolled with; `run` keeps reporting the same GPUs. */
  simulateGpus: string | null;
}

/** The last answer that named the platform's clock (kept so a restart while offline still stamps
 *  heartbeats in platform time). */
export interface ClockSync {
  platformTimeMs: number;
  wallTimeMs: number;
  clockRate: number;
}

export class AgentStateError extends Error {
  override readonly name = 'AgentStateError';
}

export function defaultStateDir(): string {
  return join(homedir(), '.ionet-agent');
}

/** The agent's directory: its key (0600), enrollment, clock, heartbeat journal and jobs. One
 *  directory is one agent; several agents on one machine use several directories. */
export class StateDir {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get keyPath(): string {
    return join(this.root, 'agent-key.json');
  }
  get enrollmentPath(): string {
    return join(this.root, 'agent.json');
  }
  get clockPath(): string {
    return join(this.root, 'clock.json');
  }
  get journalDir(): string {
    return join(this.root, 'heartbeats');
  }
  get jobsDir(): string {
    return join(this.root, 'jobs');
  }
  get lockPath(): string {
    return join(this.root, 'run.pid');
  }

  ensure(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  hasKey(): boolean {
    return existsSync(this.keyPath);
  }

  /** Creates the key file (0600, never overwritten: a new key would be a new device). */
  createKey(): AgentKey {
    this.ensure();
    if (this.hasKey()) throw new AgentStateError(`${this.keyPath} exists already; an agent keeps its key (delete the directory to start as a new device)`);
    const key = generateAgentKey();
    writeFileSync(this.keyPath, `${JSON.stringify(agentKeyToJson(key), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(this.keyPath, 0o600);
    return key;
  }

  loadKey(): AgentKey {
    if (!this.hasKey()) throw new AgentStateError(`no key in ${this.root}: run \`ionet-agent keygen${this.root === resolve(defaultStateDir()) ? '' : ` --dir ${this.root}`}\` first`);
    const mode = statSync(this.keyPath).mode & 0o777;
    if (mode & 0o077) throw new AgentStateError(`${this.keyPath} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    return agentKeyFromJson(JSON.parse(readFileSync(this.keyPath, 'utf8')));
  }

  loadEnrollment(): Enrollment | undefined {
    return readJsonFile<Enrollment>(this.enrollmentPath);
  }

  requireEnrollment(): Enrollment {
    const enrollment = this.loadEnrollment();
    if (!enrollment) throw new AgentStateError(`this agent (${this.root}) has not joined yet: run \`ionet-agent join --token <token> --api <url>\``);
    return enrollment;
  }

  saveEnrollment(enrollment: Enrollment): void {
    this.ensure();
    writeFileAtomic(this.enrollmentPath, `${JSON.stringify(enrollment, null, 2)}\n`);
  }

  loadClock(): ClockSync | undefined {
    return readJsonFile<ClockSync>(this.clockPath);
  }

  saveClock(sync: ClockSync): void {
    writeFileAtomic(this.clockPath, JSON.stringify(sync));
  }

  /** One `run` per directory: two would fork the heartbeat chain. A lock left by a killed agent is
   *  taken over (its pid no longer runs). */
  acquireRunLock(): () => void {
    this.ensure();
    const holder = readJsonFile<{ pid: number }>(this.lockPath);
    if (holder && holder.pid !== process.pid && pidAlive(holder.pid)) {
      throw new AgentStateError(`another ionet-agent (pid ${holder.pid}) runs on ${this.root}; one directory is one agent`);
    }
    writeFileAtomic(this.lockPath, JSON.stringify({ pid: process.pid }));
    return () => {
      try {
        if (readJsonFile<{ pid: number }>(this.lockPath)?.pid === process.pid) unlinkSync(this.lockPath);
      } catch {
        // already gone
      }
    };
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
