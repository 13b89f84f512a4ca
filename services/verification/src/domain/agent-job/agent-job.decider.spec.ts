import { deciderSpec } from '@ionet/testing';
import { decideAgentJob, evolveAgentJob, initialAgentJobState, jobEventsProblem, type AgentJobEvent } from './agent-job.decider';

const spec = deciderSpec({ decide: decideAgentJob, evolve: evolveAgentJob, initialState: initialAgentJobState });
const at = new Date('2026-12-01T10:00:00Z');
const reported = (sequence: number, kind: AgentJobEvent['kind'], extra: Partial<AgentJobEvent> = {}): AgentJobEvent => ({
  type: 'AgentJobReported',
  jobId: 'j',
  leaseId: 'L',
  deviceId: 'D',
  sequence,
  kind,
  exitCode: null,
  text: '',
  stream: '',
  reportedAt: at,
  at,
  ...extra,
});
const report = (events: { sequence: number; kind: AgentJobEvent['kind']; exitCode?: number; text?: string; stream?: 'stdout' | 'stderr' }[]) => ({
  type: 'ReportJobEvents' as const,
  jobId: 'j',
  leaseId: 'L',
  deviceId: 'D',
  events: events.map((e) => ({ ...e, at: at.toISOString() })),
  at,
});

describe('agent job events', () => {
  it('reports each (job, sequence) once, also within one report', () => {
    spec.given([]).when(report([{ sequence: 0, kind: 'accepted' }, { sequence: 0, kind: 'accepted' }, { sequence: 1, kind: 'started' }])).then([reported(0, 'accepted'), reported(1, 'started')]);
    spec.given([reported(0, 'accepted')]).when(report([{ sequence: 0, kind: 'accepted' }, { sequence: 2, kind: 'exited', exitCode: 3 }])).then([reported(2, 'exited', { exitCode: 3 })]);
    spec.given([]).when(report([{ sequence: 4, kind: 'log', text: 'hi', stream: 'stderr' }])).then([reported(4, 'log', { text: 'hi', stream: 'stderr' })]);
  });

  it('checks a report at the edge', () => {
    const e = { sequence: 0, kind: 'accepted', at: at.toISOString() };
    expect(jobEventsProblem([e])).toBeUndefined();
    expect(jobEventsProblem([])).toMatch(/1 to 500/);
    expect(jobEventsProblem([{ ...e, kind: 'exited' }])).toMatch(/exitCode/);
    expect(jobEventsProblem([{ ...e, sequence: -1 }])).toMatch(/sequence/);
    expect(jobEventsProblem([{ ...e, extra: 1 }])).toMatch(/extra/);
    expect(jobEventsProblem([{ ...e, kind: 'log', text: 'x'.repeat(64 * 1024 + 1) }])).toMatch(/64 KiB/);
  });
});
