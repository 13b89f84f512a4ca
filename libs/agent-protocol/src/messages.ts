import type { SignedHeartbeat } from './heartbeat';
import type { ProofOfWorkChallenge, ProofOfWorkResult } from './proof-of-work';

/** The bodies of the agent's paths (API.md "Agent"; the design in ADR 0400). */

export const AGENT_PATHS = {
  enroll: '/v1/agent/enroll',
  device: '/v1/agent/device',
  heartbeats: '/v1/agent/heartbeats',
  verification: '/v1/agent/verification',
  work: '/v1/agent/work',
  challengeResult: (challengeId: string) => `/v1/agent/challenges/${encodeURIComponent(challengeId)}/result`,
  jobEvents: (jobId: string) => `/v1/agent/jobs/${encodeURIComponent(jobId)}/events`,
} as const;

export const HEARTBEAT_BATCH_MAX = 500;
export const WORK_WAIT_MS_MAX = 30_000;
export const JOB_LOG_CHUNK_BYTES_MAX = 64 * 1024;

/** Every answer to an agent names the platform's clock, so the agent stamps heartbeats in platform time. */
export interface PlatformClockSync {
  platformTime: string;
  /** 1 = real time; 60 = an hour a minute. */
  clockRate: number;
}

export interface DetectedGpu {
  model: string;
  vramMib: number;
  uuid: string;
}

export interface DeviceSpecReport {
  gpus: DetectedGpu[];
  simulated: boolean;
  cpuCores: number;
  ramMib: number;
  diskGib: number;
  countryCode: string;
  region: string;
  connectivity: { downloadMbps: number; uploadMbps: number; measured: boolean };
  agentVersion: string;
  hostname: string;
}

export interface EnrollRequest {
  token: string;
  publicKey: string;
  spec: DeviceSpecReport;
}

export interface EnrollResponse extends PlatformClockSync {
  deviceId: string;
  supplierId: string;
  status: string;
}

export interface HeartbeatBatchRequest {
  heartbeats: SignedHeartbeat[];
}

export interface HeartbeatBatchResponse extends PlatformClockSync {
  accepted: number;
  duplicates: number;
  lastSequence: number;
  lastHash: string;
}

export type JobRole = 'head' | 'worker' | 'node';

export interface JobAssignment {
  jobId: string;
  leaseId: string;
  role: JobRole;
  image: string;
  command: string[];
  env: Record<string, string>;
  ports: number[];
  headAddress?: string;
  endsAt: string;
}

export type WorkItem =
  | { kind: 'challenge'; challenge: ProofOfWorkChallenge }
  | { kind: 'job'; job: JobAssignment }
  | { kind: 'stop'; jobId: string; reason: string };

export interface WorkResponse extends PlatformClockSync {
  items: WorkItem[];
}

export type ChallengeResultRequest = ProofOfWorkResult;

export interface ChallengeResultResponse {
  verdict: 'passed' | 'failed';
  reason?: string;
}

export const JOB_EVENT_KINDS = ['accepted', 'started', 'running', 'exited', 'log', 'stopped', 'failed_to_start'] as const;
export type JobEventKind = (typeof JOB_EVENT_KINDS)[number];

export interface JobEvent {
  sequence: number;
  kind: JobEventKind;
  at: string;
  exitCode?: number;
  text?: string;
  stream?: 'stdout' | 'stderr';
}

export interface JobEventsRequest {
  events: JobEvent[];
}
