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

function sameChange(a: ParameterChanged, b: ParameterChanged): boolean {
  const text = (c: ParameterChanged) => JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return text(a) === text(b);
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
    return new ParameterSchedule(initial, []);
  }

  changes(): readonly ParameterChanged[] {
    return this.changeLog;
  }

  at(atMs: number): TokenomicsParameters {
    let current = this.initial;
    for (const change of this.changeLog) {
      if (change.effectiveFromMs > atMs) break;
      current = { ...current, ...change.changes };
    }
    return current;
  }

  /** Idempotent by change id: the same change again returns this schedule. */
  apply(change: ParameterChanged): ParameterSchedule {
    const previous = this.changeLog.find((c) => c.changeId === change.changeId);
    if (previous) {
      if (sameChange(previous, change)) return this;
      throw new TokenomicsError('PARAMS.CHANGE_ID_CONFLICT', `change ${change.changeId} was already applied with other content`);
    }
    if (!Number.isFinite(change.effectiveFromMs) || change.effectiveFromMs < change.decidedAtMs) {
      throw new TokenomicsError('PARAMS.RETROACTIVE', `change ${change.changeId} takes effect before it was decided`);
    }
    const unknown = Object.keys(change.changes).filter((k) => !(k in this.initial));
    if (unknown.length > 0) throw new TokenomicsError('PARAMS.INVALID', `unknown parameters: ${unknown.join(', ')}`);
    const log = [...this.changeLog, change].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
    const next = new ParameterSchedule(this.initial, log);
    // Every set the schedule can produce from this change on must be valid, not only the one at its time.
    for (const c of log) if (c.effectiveFromMs >= change.effectiveFromMs) validateParameters(next.at(c.effectiveFromMs));
    return next;
  }
}
