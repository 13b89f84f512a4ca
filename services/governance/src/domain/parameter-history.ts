import type { ParameterChanged as ScheduleChange, TokenomicsParameters } from '@ionet/tokenomics';
import { PARAMETER_REGISTRY, tokenomicsPatch, type ParameterValue } from './parameter-registry';

/** One executed change, as `ParameterChanged` carries it. */
export interface ExecutedChange {
  readonly key: string;
  readonly newValue: ParameterValue;
  readonly proposalId: string;
  readonly effectiveAt: Date;
}

export interface ParameterInForce {
  readonly key: string;
  readonly value: ParameterValue;
  /** Null while the default (never changed by a proposal) is in force. */
  readonly effectiveFrom: Date | null;
  readonly proposalId: string | null;
}

/**
 * Every governed value at any moment: the registry's defaults, then each executed change from its
 * effective time (ties in the order applied). Never rewrites the past: `at(T)` before a change's
 * effective time answers what was in force then. Immutable; `apply` is idempotent by (proposal, key).
 */
export class ParameterHistory {
  private constructor(private readonly changes: readonly ExecutedChange[]) {}

  static empty(): ParameterHistory {
    return new ParameterHistory([]);
  }

  apply(change: ExecutedChange): ParameterHistory {
    if (!PARAMETER_REGISTRY.has(change.key)) throw new Error(`ParameterChanged for unknown parameter ${change.key}`);
    if (this.changes.some((c) => c.proposalId === change.proposalId && c.key === change.key)) return this;
    const next = [...this.changes, change];
    // Stable sort: equal effective times keep the order they were applied in.
    next.sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime());
    return new ParameterHistory(next);
  }

  at(atMs: number): ParameterInForce[] {
    const inForce = new Map<string, ParameterInForce>();
    for (const def of PARAMETER_REGISTRY.values()) inForce.set(def.key, { key: def.key, value: def.defaultValue, effectiveFrom: null, proposalId: null });
    for (const c of this.changes) {
      if (c.effectiveAt.getTime() > atMs) break;
      inForce.set(c.key, { key: c.key, value: c.newValue, effectiveFrom: c.effectiveAt, proposalId: c.proposalId });
    }
    return [...inForce.values()];
  }

  valuesAt(atMs: number): Map<string, ParameterValue> {
    return new Map(this.at(atMs).map((p) => [p.key, p.value]));
  }
}

/**
 * One proposal's executed changes as a change of `@ionet/tokenomics`'s ParameterSchedule, which the
 * owning services price with (`schedule.at(t)`), so a quote or an hour priced before the change
 * keeps the old value. `inForce`: the schedule's set at the change's effective time (nested tables
 * are completed from it). Undefined when none of the keys belongs to TokenomicsParameters.
 */
export function toScheduleChange(changes: readonly ExecutedChange[], inForce: TokenomicsParameters): ScheduleChange | undefined {
  if (changes.length === 0) return undefined;
  const first = changes[0];
  if (changes.some((c) => c.proposalId !== first.proposalId || c.effectiveAt.getTime() !== first.effectiveAt.getTime())) {
    throw new Error('a schedule change holds the changes of one proposal, effective at one time');
  }
  let current = inForce;
  let patch: Partial<TokenomicsParameters> = {};
  for (const c of changes) {
    const part = tokenomicsPatch(c.key, c.newValue, current);
    if (!part) continue;
    patch = { ...patch, ...part };
    current = { ...current, ...part };
  }
  if (Object.keys(patch).length === 0) return undefined;
  const atMs = first.effectiveAt.getTime();
  return { changeId: first.proposalId, decidedAtMs: atMs, effectiveFromMs: atMs, changes: patch };
}
