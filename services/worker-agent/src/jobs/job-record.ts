import { createHash } from 'node:crypto';
import type { JobAssignment, JobEvent } from '@ionet/agent-protocol';

export type JobRuntimeKind = 'process' | 'container';
export type JobPhase = 'starting' | 'running' | 'stopping' | 'exited' | 'stopped' | 'failed_to_start';

/** A job as this agent keeps it on disk (jobs/<id>/job.json), so a restart re-attaches to it or
 *  reports how it ended, and no event is lost or numbered twice. */
export interface JobRecord {
  job: JobAssignment;
  runtime: JobRuntimeKind;
  phase: JobPhase;
  /** The process job's supervisor (a process group leader). */
  pid?: number;
  containerName?: string;
  containerId?: string;
  exitCode?: number | null;
  stopReason?: string;
  runningReported: boolean;
  logOffsets: { stdout: number; stderr: number };
  nextSequence: number;
  /** Events not yet acknowledged by the platform, oldest first. */
  unsent: JobEvent[];
}

export const ACTIVE_PHASES: readonly JobPhase[] = ['starting', 'running', 'stopping'];

export function isActive(record: JobRecord): boolean {
  return ACTIVE_PHASES.includes(record.phase);
}

/** A job id as a directory name: the id's safe characters and a hash of the whole id. */
export function jobDirName(jobId: string): string {
  return `${jobId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}-${createHash('sha256').update(jobId).digest('hex').slice(0, 12)}`;
}
