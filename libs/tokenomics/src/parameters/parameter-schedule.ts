import { canonicalJson } from '@ionet/ledger';
import { TokenomicsError } from '../tokenomics.errors';
import { DEFAULT_TOKENOMICS_PARAMETERS, TokenomicsParameters, validateParameters } from './tokenomics-parameters';

/** The governance fact that changes parameters from a moment on (as executed after the timelock). */
export interface ParameterChanged {
  readonly changeId: string;
  /** When the change was decided (the event's time); a change never reaches back before it. */
  readonly decidedAtMs: number;
  readonly effectiveFromMs: number;
  readonly changes: Partial<TokenomicsParameters>;
}

/** Same content, whatever order its properties were written in (a repeated event decoded elsewhere). */
function sameChange(a: ParameterChanged, b: ParameterChanged): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A deep, frozen copy of plain data, so that a caller's later edits cannot rewrite the schedule. */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map((v: unknown) => frozenCopy(v))) as T;
  return Object.freeze(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, frozenCopy(v)]))) as T;
}

function requireTime(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new TokenomicsError('PARAMS.INVALID_TIME', `${what} ${value} is not an integer millisecond`);
}

/**
 * The parameters in force at any time: the initial set, then each change from its effective time, in
 * effective order (ties in the order applied). Immutable: `apply` returns a new schedule, so readers
 * holding the old one are unaffected, and a change never alters what was in force before it.
 */
export class ParameterSchedule {
  private constructor(
    private readonly initial: TokenomicsParameters,
    private readonly changeLog: readonly ParameterChanged[],
  ) {}

  static of(initial: TokenomicsParameters = DEFAULT_TOKENOMICS_PARAMETERS): ParameterSchedule {
    validateParameters(initial);
    return new ParameterSchedule(frozenCopy(initial), []);
  }

  changes(): readonly ParameterChanged[] {
    return this.changeLog;
  }

  at(atMs: number): TokenomicsParameters {
    // NaN compares false with every effective time, which would apply every change, even future ones.
    requireTime(atMs, 'time');
    let current = this.initial;
    for (const change of this.changeLog) {
      if (change.effectiveFromMs > atMs) break;
      current = { ...current, ...change.changes };
    }
    return current;
  }

  /** Idempotent by change id: the same change again returns this schedule. */
  apply(change: ParameterChanged): ParameterSchedule {
    if (typeof change.changeId !== 'string' || change.changeId.length === 0) throw new TokenomicsError('PARAMS.INVALID', 'a change needs a change id');
    const previous = this.changeLog.find((c) => c.changeId === change.changeId);
    if (previous) {
      if (sameChange(previous, change)) return this;
      throw new TokenomicsError('PARAMS.CHANGE_ID_CONFLICT', `change ${change.changeId} was already applied with other content`);
    }
    requireTime(change.decidedAtMs, `change ${change.changeId} decided at`);
    requireTime(change.effectiveFromMs, `change ${change.changeId} effective from`);
    if (change.effectiveFromMs < change.decidedAtMs) {
      throw new TokenomicsError('PARAMS.RETROACTIVE', `change ${change.changeId} takes effect before it was decided`);
    }
    if (typeof change.changes !== 'object' || change.changes === null) throw new TokenomicsError('PARAMS.INVALID', `change ${change.changeId} carries no changes`);
    // Own keys only: `in` would accept inherited names such as "constructor" or "toString".
    const unknown = Object.keys(change.changes).filter((k) => !Object.hasOwn(this.initial, k));
    if (unknown.length > 0) throw new TokenomicsError('PARAMS.INVALID', `unknown parameters: ${unknown.join(', ')}`);
    const log = [...this.changeLog, frozenCopy(change)].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
    const next = new ParameterSchedule(this.initial, Object.freeze(log));
    // Every set the schedule can produce from this change on must be valid, not only the one at its time.
    for (const c of log) if (c.effectiveFromMs >= change.effectiveFromMs) validateParameters(next.at(c.effectiveFromMs));
    return next;
  }
}
