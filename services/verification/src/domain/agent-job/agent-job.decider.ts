import { JOB_EVENT_KINDS, type JobEvent } from '@ionet/agent-protocol';
import { VerificationError } from '../shared/verification.errors';

export type AgentJobEventKind = (typeof JOB_EVENT_KINDS)[number];

export type AgentJobEvent = {
  type: 'AgentJobReported';
  jobId: string;
  leaseId: string;
  deviceId: string;
  sequence: number;
  kind: AgentJobEventKind;
  exitCode: number | null;
  text: string;
  stream: string;
  reportedAt: Date;
  at: Date;
};

export type AgentJobCommand = { type: 'ReportJobEvents'; jobId: string; leaseId: string; deviceId: string; events: JobEvent[]; at: Date };

export interface AgentJobState {
  sequences: ReadonlySet<number>;
}
export const initialAgentJobState: AgentJobState = { sequences: new Set() };

export const JOB_EVENTS_PER_REPORT_MAX = 500;
export const JOB_EVENT_TEXT_BYTES_MAX = 64 * 1024;

/** What an agent reports about a job, each (job, sequence) once: a re-sent event appends nothing. */
export function decideAgentJob(command: AgentJobCommand, state: AgentJobState): AgentJobEvent[] {
  const seen = new Set(state.sequences);
  const out: AgentJobEvent[] = [];
  for (const e of command.events) {
    if (seen.has(e.sequence)) continue;
    seen.add(e.sequence);
    out.push({
      type: 'AgentJobReported',
      jobId: command.jobId,
      leaseId: command.leaseId,
      deviceId: command.deviceId,
      sequence: e.sequence,
      kind: e.kind,
      exitCode: e.kind === 'exited' ? (e.exitCode ?? null) : null,
      text: e.text ?? '',
      stream: e.stream ?? '',
      reportedAt: new Date(e.at),
      at: command.at,
    });
  }
  return out;
}

export function evolveAgentJob(state: AgentJobState, event: AgentJobEvent): AgentJobState {
  return { sequences: new Set([...state.sequences, event.sequence]) };
}

/** Checks a report's events at the edge: the kinds, sequences and sizes the protocol allows. */
export function jobEventsProblem(events: unknown): string | undefined {
  if (!Array.isArray(events) || events.length === 0 || events.length > JOB_EVENTS_PER_REPORT_MAX) return `events must be a list of 1 to ${JOB_EVENTS_PER_REPORT_MAX}`;
  for (const [i, e] of (events as Partial<JobEvent>[]).entries()) {
    if (typeof e !== 'object' || e === null) return `events[${i}] is not an object`;
    const allowed = new Set(['sequence', 'kind', 'at', 'exitCode', 'text', 'stream']);
    const unknown = Object.keys(e).find((k) => !allowed.has(k));
    if (unknown) return `events[${i}].${unknown} is not a job event field`;
    if (!Number.isSafeInteger(e.sequence) || e.sequence! < 0) return `events[${i}].sequence must be a non-negative integer`;
    if (!(JOB_EVENT_KINDS as readonly string[]).includes(e.kind as string)) return `events[${i}].kind must be one of ${JOB_EVENT_KINDS.join(', ')}`;
    if (typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return `events[${i}].at must be an RFC 3339 time`;
    if (e.exitCode !== undefined && !Number.isSafeInteger(e.exitCode)) return `events[${i}].exitCode must be an integer`;
    if (e.kind === 'exited' && e.exitCode === undefined) return `events[${i}] (exited) needs exitCode`;
    if (e.text !== undefined && (typeof e.text !== 'string' || Buffer.byteLength(e.text) > JOB_EVENT_TEXT_BYTES_MAX)) return `events[${i}].text must be a string of at most 64 KiB`;
    if (e.stream !== undefined && e.stream !== 'stdout' && e.stream !== 'stderr') return `events[${i}].stream must be stdout or stderr`;
  }
  return undefined;
}

export function jobEventsInvalid(detail: string): VerificationError {
  return new VerificationError('VERIFICATION.JOB_EVENTS_INVALID', detail, {}, 'invalid');
}
