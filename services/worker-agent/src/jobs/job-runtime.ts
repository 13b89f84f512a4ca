import type { JobRecord, JobRuntimeKind } from './job-record';

export interface JobPaths {
  dir: string;
  stdout: string;
  stderr: string;
  exitFile: string;
}

export type StartResult = { ok: true; pid?: number; containerName?: string; containerId?: string } | { ok: false; reason: string };
export type RuntimeStatus = { state: 'running' } | { state: 'exited'; exitCode: number | null; detail?: string };

/** How a job runs on this machine: a local process, or a container where a Docker engine exists. */
export interface JobRuntime {
  readonly kind: JobRuntimeKind;
  start(record: JobRecord, paths: JobPaths): Promise<StartResult>;
  status(record: JobRecord, paths: JobPaths): Promise<RuntimeStatus>;
  /** Asks the job to stop (graceful, then forced after `graceMs`). */
  stop(record: JobRecord, graceMs: number): Promise<void>;
  /** After a restart of the agent: makes sure the job's output still reaches its log files. */
  reattach(record: JobRecord, paths: JobPaths): Promise<void>;
}
