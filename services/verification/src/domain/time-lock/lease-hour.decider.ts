import type { LeaseHourVerdict, TimeLockViolation } from './lease-hour';

export interface LeaseHourRef {
  leaseId: string;
  deviceId: string;
  hourIndex: number;
  hourStart: Date;
  hourEnd: Date;
}

export type LeaseHourEvent =
  | ({ type: 'TimeLockHourVerified'; heartbeatCount: number; chainHeadHash: string; utilisationBasisPoints: number; at: Date } & LeaseHourRef)
  | ({ type: 'TimeLockViolated'; violation: TimeLockViolation; detail: string; at: Date } & LeaseHourRef);

export type LeaseHourCommand = { type: 'DecideLeaseHour'; verdict: LeaseHourVerdict; at: Date } & LeaseHourRef;

export type LeaseHourState = { decided: false } | { decided: true; verdict: 'verified' | 'violated' };

export const initialLeaseHourState: LeaseHourState = { decided: false };

/** One lease-hour of one device is decided once, never reopened. */
export function decideLeaseHour(command: LeaseHourCommand, state: LeaseHourState): LeaseHourEvent[] {
  if (state.decided) return [];
  const { type: _type, verdict, ...ref } = command;
  if (verdict.verdict === 'verified') {
    return [{ type: 'TimeLockHourVerified', ...ref, heartbeatCount: verdict.heartbeatCount, chainHeadHash: verdict.chainHeadHash, utilisationBasisPoints: verdict.utilisationBasisPoints }];
  }
  return [{ type: 'TimeLockViolated', ...ref, violation: verdict.violation, detail: verdict.detail }];
}

export function evolveLeaseHour(_state: LeaseHourState, event: LeaseHourEvent): LeaseHourState {
  switch (event.type) {
    case 'TimeLockHourVerified':
      return { decided: true, verdict: 'verified' };
    case 'TimeLockViolated':
      return { decided: true, verdict: 'violated' };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}
