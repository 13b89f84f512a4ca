import { createHash } from 'node:crypto';
import { AccountFlags, isValidAccountName, standardAccountFlags } from './account-names';
import { Asset, ASSETS, isAsset } from './assets';
import { canonicalJson } from './canonical-json';
import { LedgerError } from './ledger.errors';

export type Side = 'debit' | 'credit';

export interface Leg {
  readonly account: string;
  readonly asset: Asset;
  readonly side: Side;
  readonly amountBaseUnits: bigint;
}

/** A posted journal entry: any number of legs that balance per asset. */
export interface EntryOperation {
  readonly type: 'entry';
  readonly id: string;
  readonly atMs: number;
  readonly legs: readonly Leg[];
  readonly memo?: string;
}

/** The first phase of a two-phase transfer: the amount is reserved on both accounts, not moved. */
export interface PendingOperation {
  readonly type: 'pending';
  readonly id: string;
  readonly atMs: number;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly asset: Asset;
  readonly amountBaseUnits: bigint;
  readonly memo?: string;
}

/** Completes a pending transfer with at most its amount; the rest of the reservation is released. */
export interface PostPendingOperation {
  readonly type: 'post-pending';
  readonly id: string;
  readonly atMs: number;
  readonly pendingId: string;
  /** Omitted: the full pending amount. */
  readonly amountBaseUnits?: bigint;
}

export interface VoidPendingOperation {
  readonly type: 'void-pending';
  readonly id: string;
  readonly atMs: number;
  readonly pendingId: string;
}

export type LedgerOperation = EntryOperation | PendingOperation | PostPendingOperation | VoidPendingOperation;

export interface Balance {
  readonly debitsPostedBaseUnits: bigint;
  readonly creditsPostedBaseUnits: bigint;
  readonly debitsPendingBaseUnits: bigint;
  readonly creditsPendingBaseUnits: bigint;
}

export interface BalanceRow extends Balance {
  readonly account: string;
  readonly asset: Asset;
}

export const ZERO_BALANCE: Balance = {
  debitsPostedBaseUnits: 0n,
  creditsPostedBaseUnits: 0n,
  debitsPendingBaseUnits: 0n,
  creditsPendingBaseUnits: 0n,
};

/** Posted credits minus posted debits: what a holder's account holds. */
export function creditBalance(balance: Balance): bigint {
  return balance.creditsPostedBaseUnits - balance.debitsPostedBaseUnits;
}

/** Posted debits minus posted credits: what an issuance or expense account has given out. */
export function debitBalance(balance: Balance): bigint {
  return balance.debitsPostedBaseUnits - balance.creditsPostedBaseUnits;
}

/** What a holder can still spend: posted credits minus posted and pending debits. */
export function availableCredit(balance: Balance): bigint {
  return balance.creditsPostedBaseUnits - balance.debitsPostedBaseUnits - balance.debitsPendingBaseUnits;
}

export interface BalanceDelta extends Balance {
  readonly account: string;
  readonly asset: Asset;
}

/** One applied operation with the exact change it made; the log is the ledger's source of truth. */
export interface LedgerRecord {
  readonly sequence: number;
  readonly operation: LedgerOperation;
  readonly deltas: readonly BalanceDelta[];
}

export type PendingStatus = 'pending' | 'posted' | 'voided';

export interface PendingTransfer {
  readonly id: string;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly asset: Asset;
  readonly amountBaseUnits: bigint;
  readonly status: PendingStatus;
  readonly postedBaseUnits: bigint;
  readonly resolvedBy?: string;
}

export type SubmitResult =
  | { readonly status: 'applied'; readonly id: string; readonly sequence: number }
  | { readonly status: 'duplicate'; readonly id: string; readonly sequence: number };

/**
 * "As of" a point: a sequence number (inclusive), or a time: the state after the last operation with
 * `atMs` <= it. Times never go backwards in the log (ADR 0106), so both are states the ledger had.
 */
export type AsOf = { readonly sequence: number } | { readonly atMs: number };

export interface LedgerSnapshot {
  readonly accounts: ReadonlyArray<{ readonly name: string; readonly flags: AccountFlags }>;
  readonly records: readonly LedgerRecord[];
}

export type LedgerViolationCode =
  | 'LEDGER.INVARIANT.UNBALANCED_RECORD'
  | 'LEDGER.INVARIANT.TOTALS_UNBALANCED'
  | 'LEDGER.INVARIANT.BALANCE_MISMATCH'
  | 'LEDGER.INVARIANT.NEGATIVE_COMPONENT'
  | 'LEDGER.INVARIANT.FLAG_VIOLATED'
  | 'LEDGER.INVARIANT.PENDING_MISMATCH'
  | 'LEDGER.INVARIANT.UNKNOWN_ACCOUNT'
  | 'LEDGER.INVARIANT.TIME_REGRESSED';

export interface LedgerViolation {
  readonly code: LedgerViolationCode;
  readonly message: string;
  readonly account?: string;
  readonly asset?: Asset;
  readonly sequence?: number;
}

/** Limits stated up front (TigerBeetle style): every batch and entry is bounded. */
export const LEDGER_LIMITS = { legsPerEntryMax: 128, operationsPerLinkedBatchMax: 256 } as const;

type MutableBalance = { -readonly [K in keyof Balance]: bigint };

function key(account: string, asset: Asset): string {
  // '|' cannot appear in an account name, so the key is unambiguous.
  return `${account}|${asset}`;
}

function splitKey(k: string): { account: string; asset: Asset } {
  const at = k.lastIndexOf('|');
  return { account: k.slice(0, at), asset: k.slice(at + 1) as Asset };
}

/**
 * What an operation means, as text: the same whatever order its properties or an entry's legs come in
 * (an entry is atomic, so its legs are a set), as a repeated event decoded by another path may have them.
 */
function fingerprint(operation: LedgerOperation): string {
  if (operation.type === 'entry') return canonicalJson({ ...operation, legs: operation.legs.map((leg) => canonicalJson(leg)).sort() });
  return canonicalJson(operation);
}

/**
 * A frozen copy holding only the operation's own fields: the log never shares an object with the
 * caller, so nothing the caller does later can change history, and unknown extra fields are dropped.
 */
function frozenOperation(operation: LedgerOperation): LedgerOperation {
  const memoOf = (o: EntryOperation | PendingOperation) => (o.memo === undefined ? {} : { memo: o.memo });
  switch (operation.type) {
    case 'entry': {
      if (!Array.isArray(operation.legs)) throw new LedgerError('LEDGER.TOO_FEW_LEGS', `entry ${operation.id} has no list of legs`, { id: String(operation.id) });
      const legs = Object.freeze(
        operation.legs.map((leg: Leg) => Object.freeze({ account: leg.account, asset: leg.asset, side: leg.side, amountBaseUnits: leg.amountBaseUnits })),
      );
      return Object.freeze({ type: 'entry', id: operation.id, atMs: operation.atMs, legs, ...memoOf(operation) });
    }
    case 'pending':
      return Object.freeze({
        type: 'pending',
        id: operation.id,
        atMs: operation.atMs,
        debitAccount: operation.debitAccount,
        creditAccount: operation.creditAccount,
        asset: operation.asset,
        amountBaseUnits: operation.amountBaseUnits,
        ...memoOf(operation),
      });
    case 'post-pending':
      return Object.freeze({
        type: 'post-pending',
        id: operation.id,
        atMs: operation.atMs,
        pendingId: operation.pendingId,
        ...(operation.amountBaseUnits === undefined ? {} : { amountBaseUnits: operation.amountBaseUnits }),
      });
    case 'void-pending':
      return Object.freeze({ type: 'void-pending', id: operation.id, atMs: operation.atMs, pendingId: operation.pendingId });
    default: {
      const unknown: { type?: unknown; id?: unknown } = operation;
      throw new LedgerError('LEDGER.UNKNOWN_OPERATION', `operation ${String(unknown.id)} has unknown type "${String(unknown.type)}"`, { id: String(unknown.id) });
    }
  }
}

function accountFlagsCopy(flags: AccountFlags): AccountFlags {
  return {
    debitsMustNotExceedCredits: flags.debitsMustNotExceedCredits,
    creditsMustNotExceedDebits: flags.creditsMustNotExceedDebits,
    debitsOnly: flags.debitsOnly,
    creditsOnly: flags.creditsOnly,
  };
}

function frozenRecord(record: LedgerRecord): LedgerRecord {
  return Object.freeze({
    sequence: record.sequence,
    operation: frozenOperation(record.operation),
    deltas: Object.freeze(record.deltas.map((d) => Object.freeze({ ...d }))),
  });
}

function addInto(target: MutableBalance, delta: Balance): void {
  target.debitsPostedBaseUnits += delta.debitsPostedBaseUnits;
  target.creditsPostedBaseUnits += delta.creditsPostedBaseUnits;
  target.debitsPendingBaseUnits += delta.debitsPendingBaseUnits;
  target.creditsPendingBaseUnits += delta.creditsPendingBaseUnits;
}

function sameBalance(a: Balance, b: Balance): boolean {
  return (
    a.debitsPostedBaseUnits === b.debitsPostedBaseUnits &&
    a.creditsPostedBaseUnits === b.creditsPostedBaseUnits &&
    a.debitsPendingBaseUnits === b.debitsPendingBaseUnits &&
    a.creditsPendingBaseUnits === b.creditsPendingBaseUnits
  );
}

/** A pending transfer as it stands right after its `pending` operation. */
function openPending(operation: PendingOperation): PendingTransfer {
  return Object.freeze({
    id: operation.id,
    debitAccount: operation.debitAccount,
    creditAccount: operation.creditAccount,
    asset: operation.asset,
    amountBaseUnits: operation.amountBaseUnits,
    status: 'pending',
    postedBaseUnits: 0n,
  });
}

function resolvedPending(p: PendingTransfer, operation: PostPendingOperation | VoidPendingOperation, postedBaseUnits: bigint): PendingTransfer {
  return Object.freeze({ ...p, status: operation.type === 'post-pending' ? 'posted' : 'voided', postedBaseUnits, resolvedBy: operation.id });
}

function delta(account: string, asset: Asset, parts: Partial<Balance>): BalanceDelta {
  return { account, asset, ...ZERO_BALANCE, ...parts };
}

/** Which flag a balance breaks, if any; shared by the write path and the invariant check. */
function flagBreach(flags: AccountFlags, b: Balance): string | undefined {
  if (flags.debitsMustNotExceedCredits && b.debitsPostedBaseUnits + b.debitsPendingBaseUnits > b.creditsPostedBaseUnits) {
    return 'debitsMustNotExceedCredits';
  }
  if (flags.creditsMustNotExceedDebits && b.creditsPostedBaseUnits + b.creditsPendingBaseUnits > b.debitsPostedBaseUnits) {
    return 'creditsMustNotExceedDebits';
  }
  if (flags.debitsOnly && (b.creditsPostedBaseUnits !== 0n || b.creditsPendingBaseUnits !== 0n)) return 'debitsOnly';
  if (flags.creditsOnly && (b.debitsPostedBaseUnits !== 0n || b.debitsPendingBaseUnits !== 0n)) return 'creditsOnly';
  return undefined;
}

/**
 * An in-memory, multi-asset double-entry ledger after TigerBeetle's rules: immutable records, ids as
 * idempotency keys, two-phase transfers, linked batches that apply all-or-nothing, and balance flags
 * checked on every write. It is pure: no clock, no I/O; time arrives with each operation.
 */
export class Ledger {
  private readonly flagsByAccount = new Map<string, AccountFlags>();
  private readonly balancesByKey = new Map<string, MutableBalance>();
  private readonly log: LedgerRecord[] = [];
  private readonly applied = new Map<string, { fingerprint: string; sequence: number }>();
  private readonly pendings = new Map<string, PendingTransfer>();
  // The invariant check keeps its own balances, rebuilt only from the log, so it can tell when the
  // live balances and the log disagree; it advances incrementally to stay cheap when run every step.
  private readonly checkedBalances = new Map<string, MutableBalance>();
  private checkedThrough = 0;
  private latestAtMs: number | undefined;
  // records() hands out one frozen copy of the log until the next write.
  private recordsView: readonly LedgerRecord[] | undefined;

  /** Rebuilds a ledger from a stored log without re-validating it, as a replay would; run checkInvariants after. */
  static restore(snapshot: LedgerSnapshot): Ledger {
    const ledger = new Ledger();
    for (const { name, flags } of snapshot.accounts) ledger.flagsByAccount.set(name, Object.freeze(accountFlagsCopy(flags)));
    for (const record of snapshot.records) {
      ledger.commitRecord(frozenRecord(record));
    }
    return ledger;
  }

  openAccount(name: string, flags: AccountFlags = standardAccountFlags(name)): void {
    if (!isValidAccountName(name)) throw new LedgerError('LEDGER.INVALID_ACCOUNT_NAME', `invalid account name "${name}"`, { name });
    const existing = this.flagsByAccount.get(name);
    if (existing) {
      const same =
        existing.debitsMustNotExceedCredits === flags.debitsMustNotExceedCredits &&
        existing.creditsMustNotExceedDebits === flags.creditsMustNotExceedDebits &&
        existing.debitsOnly === flags.debitsOnly &&
        existing.creditsOnly === flags.creditsOnly;
      if (!same) {
        throw new LedgerError('LEDGER.ACCOUNT_FLAGS_CONFLICT', `account ${name} exists with other flags`, { name });
      }
      return;
    }
    this.flagsByAccount.set(name, Object.freeze(accountFlagsCopy(flags)));
  }

  hasAccount(name: string): boolean {
    return this.flagsByAccount.has(name);
  }

  /** Frozen: the flags cannot be changed through what this returns. */
  flagsOf(name: string): AccountFlags | undefined {
    return this.flagsByAccount.get(name);
  }

  accountNames(): string[] {
    return [...this.flagsByAccount.keys()].sort();
  }

  /** The sequence of the last applied operation (0 when empty). */
  get sequence(): number {
    return this.log.length;
  }

  /** The time of the latest operation applied (undefined when empty): a new one may not be earlier. */
  get lastAtMs(): number | undefined {
    return this.latestAtMs;
  }

  /** A frozen copy of the log: records, operations, legs and deltas are all frozen. */
  records(): readonly LedgerRecord[] {
    this.recordsView ??= Object.freeze(this.log.slice());
    return this.recordsView;
  }

  pendingTransfer(id: string): PendingTransfer | undefined {
    return this.pendings.get(id);
  }

  submit(operation: LedgerOperation): SubmitResult {
    const [result] = this.submitLinked([operation]);
    return result;
  }

  /**
   * Applies the operations in order as one unit: either every one applies or none does and the error
   * of the first that failed is thrown. Resubmitting the same batch is a no-op.
   */
  submitLinked(operations: readonly LedgerOperation[]): SubmitResult[] {
    if (operations.length === 0) throw new LedgerError('LEDGER.LINKED_BATCH_EMPTY', 'a batch needs at least one operation');
    if (operations.length > LEDGER_LIMITS.operationsPerLinkedBatchMax) {
      throw new LedgerError('LEDGER.LINKED_BATCH_TOO_LARGE', `at most ${LEDGER_LIMITS.operationsPerLinkedBatchMax} operations per batch`);
    }
    const copies = operations.map(frozenOperation);
    const fingerprints = copies.map(fingerprint);
    const seen = new Set<string>();
    let duplicates = 0;
    for (const [index, operation] of copies.entries()) {
      if (seen.has(operation.id)) {
        throw new LedgerError('LEDGER.ID_CONFLICT', `id ${operation.id} appears twice in one batch`, { id: operation.id });
      }
      seen.add(operation.id);
      const previous = this.applied.get(operation.id);
      if (previous) {
        if (previous.fingerprint !== fingerprints[index]) {
          throw new LedgerError('LEDGER.ID_CONFLICT', `id ${operation.id} was already used for a different operation`, { id: operation.id });
        }
        duplicates += 1;
      }
    }
    if (duplicates === operations.length) {
      return operations.map((o) => ({ status: 'duplicate', id: o.id, sequence: this.applied.get(o.id)!.sequence }));
    }
    if (duplicates > 0) {
      // Batches apply atomically, so a batch that is partly known was never submitted as one.
      throw new LedgerError('LEDGER.LINKED_PARTIAL_DUPLICATE', 'some operations of this batch were applied before, others not');
    }

    const staged = new Map<string, MutableBalance>();
    const stagedPendings = new Map<string, PendingTransfer>();
    const view = (account: string, asset: Asset): MutableBalance => {
      const k = key(account, asset);
      let b = staged.get(k);
      if (!b) {
        b = { ...(this.balancesByKey.get(k) ?? ZERO_BALANCE) };
        staged.set(k, b);
      }
      return b;
    };
    const pendingView = (id: string) => stagedPendings.get(id) ?? this.pendings.get(id);

    const records: LedgerRecord[] = [];
    let lastAtMs = this.latestAtMs;
    copies.forEach((operation, index) => {
      if (!Number.isSafeInteger(operation.atMs)) {
        throw new LedgerError('LEDGER.INVALID_TIME', `operation ${operation.id} has time ${operation.atMs}, not an integer millisecond`, { id: operation.id });
      }
      // ADR 0106: times never go backwards, so every "as of a time" view is a state the ledger had.
      if (lastAtMs !== undefined && operation.atMs < lastAtMs) {
        throw new LedgerError('LEDGER.TIME_REGRESSED', `operation ${operation.id} at ${operation.atMs} is older than the last one at ${lastAtMs}`, {
          id: operation.id,
        });
      }
      lastAtMs = operation.atMs;
      const deltas = this.deltasFor(operation, pendingView, stagedPendings);
      const touched = new Map<string, { account: string; asset: Asset }>();
      for (const d of deltas) {
        addInto(view(d.account, d.asset), d);
        touched.set(key(d.account, d.asset), d);
      }
      // An operation is atomic (TigerBeetle): its flags must hold after all its legs, not after each.
      for (const [k, { account, asset }] of touched) {
        const breach = flagBreach(this.flagsByAccount.get(account)!, staged.get(k)!);
        if (breach) throw this.breachError(breach, account, asset, operation.id);
      }
      records.push(Object.freeze({ sequence: this.log.length + index + 1, operation, deltas: Object.freeze(deltas.map((d) => Object.freeze(d))) }));
    });

    records.forEach((record, index) => this.commitRecord(record, fingerprints[index]));
    return records.map((r) => ({ status: 'applied', id: r.operation.id, sequence: r.sequence }));
  }

  balance(account: string, asset: Asset, asOf?: AsOf): Balance {
    if (!asOf) return { ...(this.balancesByKey.get(key(account, asset)) ?? ZERO_BALANCE) };
    const b: MutableBalance = { ...ZERO_BALANCE };
    for (const record of this.recordsUpTo(asOf)) {
      for (const d of record.deltas) if (d.account === account && d.asset === asset) addInto(b, d);
    }
    return b;
  }

  /** Every balance with any non-zero part, sorted by account then asset. */
  balances(asOf?: AsOf): BalanceRow[] {
    let source: Map<string, MutableBalance> = this.balancesByKey;
    if (asOf) {
      source = new Map();
      for (const record of this.recordsUpTo(asOf)) {
        for (const d of record.deltas) {
          const k = key(d.account, d.asset);
          const b = source.get(k) ?? { ...ZERO_BALANCE };
          addInto(b, d);
          source.set(k, b);
        }
      }
    }
    const rows: BalanceRow[] = [];
    for (const [k, b] of source) {
      if (sameBalance(b, ZERO_BALANCE)) continue;
      rows.push({ ...splitKey(k), ...b });
    }
    return rows.sort((x, y) => (x.account < y.account ? -1 : x.account > y.account ? 1 : ASSETS.indexOf(x.asset) - ASSETS.indexOf(y.asset)));
  }

  /** Visits every balance in no particular order: cheaper than `balances()` for sums. */
  forEachBalance(visit: (account: string, asset: Asset, balance: Balance) => void): void {
    for (const [k, b] of this.balancesByKey) {
      const { account, asset } = splitKey(k);
      visit(account, asset, b);
    }
  }

  /** sha256 over the sorted balances: equal ledgers (e.g. a live one and its rebuild) hash equal. */
  stateHash(asOf?: AsOf): string {
    const hash = createHash('sha256');
    for (const row of this.balances(asOf)) {
      hash.update(
        `${row.account}\t${row.asset}\t${row.debitsPostedBaseUnits}\t${row.creditsPostedBaseUnits}\t` +
          `${row.debitsPendingBaseUnits}\t${row.creditsPendingBaseUnits}\n`,
      );
    }
    return hash.digest('hex');
  }

  /** Shares nothing changeable with the ledger: flags and records are frozen, the lists are new. */
  export(): LedgerSnapshot {
    return {
      accounts: [...this.flagsByAccount].map(([name, flags]) => ({ name, flags })),
      records: this.log.slice(),
    };
  }

  /**
   * Reports every broken invariant, not only the first: each record balances per asset, the balances
   * equal the log's sum, totals balance per asset, no part of a balance is negative, every account
   * respects its flags, and pending balances equal the open pending transfers. Incremental by default
   * (records since the last check, plus every balance); `full` rebuilds the check from the start.
   */
  checkInvariants(options: { full?: boolean } = {}): LedgerViolation[] {
    const violations: LedgerViolation[] = [];
    if (options.full) {
      this.checkedBalances.clear();
      this.checkedThrough = 0;
    }
    for (const record of this.log.slice(this.checkedThrough)) {
      const previousAtMs = record.sequence > 1 ? this.log[record.sequence - 2]?.operation.atMs : undefined;
      if (previousAtMs !== undefined && !(record.operation.atMs >= previousAtMs)) {
        violations.push({
          code: 'LEDGER.INVARIANT.TIME_REGRESSED',
          message: `record ${record.sequence} (${record.operation.id}) at ${record.operation.atMs} is older than the one before it at ${previousAtMs}`,
          sequence: record.sequence,
        });
      }
      const sums = new Map<Asset, MutableBalance>();
      for (const d of record.deltas) {
        if (!this.flagsByAccount.has(d.account)) {
          violations.push({ code: 'LEDGER.INVARIANT.UNKNOWN_ACCOUNT', message: `record ${record.sequence} touches unknown account ${d.account}`, account: d.account, sequence: record.sequence });
        }
        const s = sums.get(d.asset) ?? { ...ZERO_BALANCE };
        addInto(s, d);
        sums.set(d.asset, s);
        const k = key(d.account, d.asset);
        const b = this.checkedBalances.get(k) ?? { ...ZERO_BALANCE };
        addInto(b, d);
        this.checkedBalances.set(k, b);
      }
      for (const [asset, s] of sums) {
        if (s.debitsPostedBaseUnits !== s.creditsPostedBaseUnits || s.debitsPendingBaseUnits !== s.creditsPendingBaseUnits) {
          violations.push({
            code: 'LEDGER.INVARIANT.UNBALANCED_RECORD',
            message: `record ${record.sequence} (${record.operation.id}) does not balance in ${asset}`,
            asset,
            sequence: record.sequence,
          });
        }
      }
    }
    this.checkedThrough = this.log.length;

    const allKeys = new Set([...this.balancesByKey.keys(), ...this.checkedBalances.keys()]);
    const totals = new Map<Asset, MutableBalance>();
    const pendingByKey = new Map<string, MutableBalance>();
    for (const p of this.pendings.values()) {
      if (p.status !== 'pending') continue;
      const dk = key(p.debitAccount, p.asset);
      const ck = key(p.creditAccount, p.asset);
      const db = pendingByKey.get(dk) ?? { ...ZERO_BALANCE };
      db.debitsPendingBaseUnits += p.amountBaseUnits;
      pendingByKey.set(dk, db);
      const cb = pendingByKey.get(ck) ?? { ...ZERO_BALANCE };
      cb.creditsPendingBaseUnits += p.amountBaseUnits;
      pendingByKey.set(ck, cb);
      allKeys.add(dk);
      allKeys.add(ck);
    }
    for (const k of allKeys) {
      const { account, asset } = splitKey(k);
      const live = this.balancesByKey.get(k) ?? ZERO_BALANCE;
      const fromLog = this.checkedBalances.get(k) ?? ZERO_BALANCE;
      if (!sameBalance(live, fromLog)) {
        violations.push({ code: 'LEDGER.INVARIANT.BALANCE_MISMATCH', message: `${account} ${asset}: balance differs from the sum of the log`, account, asset });
      }
      const t = totals.get(asset) ?? { ...ZERO_BALANCE };
      addInto(t, live);
      totals.set(asset, t);
      if (Object.values(live).some((v: bigint) => v < 0n)) {
        violations.push({ code: 'LEDGER.INVARIANT.NEGATIVE_COMPONENT', message: `${account} ${asset}: a balance component is negative`, account, asset });
      }
      const flags = this.flagsByAccount.get(account);
      const breach = flags && flagBreach(flags, live);
      if (breach) {
        violations.push({ code: 'LEDGER.INVARIANT.FLAG_VIOLATED', message: `${account} ${asset}: breaks ${breach}`, account, asset });
      }
      const expectedPending = pendingByKey.get(k) ?? ZERO_BALANCE;
      if (
        live.debitsPendingBaseUnits !== expectedPending.debitsPendingBaseUnits ||
        live.creditsPendingBaseUnits !== expectedPending.creditsPendingBaseUnits
      ) {
        violations.push({ code: 'LEDGER.INVARIANT.PENDING_MISMATCH', message: `${account} ${asset}: pending balance differs from the open pending transfers`, account, asset });
      }
    }
    for (const [asset, t] of totals) {
      if (t.debitsPostedBaseUnits !== t.creditsPostedBaseUnits || t.debitsPendingBaseUnits !== t.creditsPendingBaseUnits) {
        violations.push({ code: 'LEDGER.INVARIANT.TOTALS_UNBALANCED', message: `total debits and credits differ in ${asset}`, asset });
      }
    }
    for (const p of this.pendings.values()) {
      if (p.postedBaseUnits < 0n || p.postedBaseUnits > p.amountBaseUnits || (p.status !== 'posted' && p.postedBaseUnits !== 0n)) {
        violations.push({ code: 'LEDGER.INVARIANT.PENDING_MISMATCH', message: `pending transfer ${p.id} posted an impossible amount`, asset: p.asset });
      }
    }
    return violations;
  }

  private recordsUpTo(asOf: AsOf): LedgerRecord[] {
    if ('sequence' in asOf) return this.log.slice(0, Math.max(0, asOf.sequence));
    // A prefix of the log, always: even a restored log whose times regress never yields a mix.
    const end = this.log.findIndex((r) => !(r.operation.atMs <= asOf.atMs));
    return end === -1 ? this.log.slice() : this.log.slice(0, end);
  }

  /** `record` must be frozen already; it is kept as it is. */
  private commitRecord(record: LedgerRecord, operationFingerprint: string = fingerprint(record.operation)): void {
    this.log.push(record);
    this.recordsView = undefined;
    const { operation } = record;
    if (Number.isFinite(operation.atMs) && (this.latestAtMs === undefined || operation.atMs > this.latestAtMs)) this.latestAtMs = operation.atMs;
    this.applied.set(operation.id, { fingerprint: operationFingerprint, sequence: record.sequence });
    for (const d of record.deltas) {
      const k = key(d.account, d.asset);
      const b = this.balancesByKey.get(k) ?? { ...ZERO_BALANCE };
      addInto(b, d);
      this.balancesByKey.set(k, b);
    }
    if (operation.type === 'pending') {
      this.pendings.set(operation.id, openPending(operation));
    } else if (operation.type === 'post-pending' || operation.type === 'void-pending') {
      const p = this.pendings.get(operation.pendingId);
      if (p) {
        const posted = operation.type === 'post-pending' ? (operation.amountBaseUnits ?? p.amountBaseUnits) : 0n;
        this.pendings.set(p.id, resolvedPending(p, operation, posted));
      }
    }
  }

  private requireAccount(account: string): void {
    if (!this.flagsByAccount.has(account)) throw new LedgerError('LEDGER.ACCOUNT_NOT_FOUND', `no account ${account}`, { account });
  }

  private requireAsset(asset: string): asserts asset is Asset {
    if (!isAsset(asset)) throw new LedgerError('LEDGER.UNKNOWN_ASSET', `unknown asset ${asset}`, { asset });
  }

  private requirePositive(amount: bigint, id: string): void {
    if (typeof amount !== 'bigint' || amount <= 0n) {
      throw new LedgerError('LEDGER.AMOUNT_NOT_POSITIVE', `operation ${id} has a non-positive amount`, { id });
    }
  }

  private deltasFor(
    operation: LedgerOperation,
    pendingView: (id: string) => PendingTransfer | undefined,
    stagedPendings: Map<string, PendingTransfer>,
  ): BalanceDelta[] {
    switch (operation.type) {
      case 'entry': {
        if (operation.legs.length < 2) throw new LedgerError('LEDGER.TOO_FEW_LEGS', `entry ${operation.id} needs at least two legs`);
        if (operation.legs.length > LEDGER_LIMITS.legsPerEntryMax) {
          throw new LedgerError('LEDGER.TOO_MANY_LEGS', `entry ${operation.id} has more than ${LEDGER_LIMITS.legsPerEntryMax} legs`);
        }
        const net = new Map<Asset, bigint>();
        for (const leg of operation.legs) {
          this.requireAsset(leg.asset);
          this.requireAccount(leg.account);
          this.requirePositive(leg.amountBaseUnits, operation.id);
          if (leg.side !== 'debit' && leg.side !== 'credit') {
            throw new LedgerError('LEDGER.INVALID_SIDE', `entry ${operation.id} has a leg on side "${String(leg.side)}"`, { id: operation.id });
          }
          net.set(leg.asset, (net.get(leg.asset) ?? 0n) + (leg.side === 'debit' ? leg.amountBaseUnits : -leg.amountBaseUnits));
        }
        for (const [asset, n] of net) {
          if (n !== 0n) {
            throw new LedgerError('LEDGER.UNBALANCED', `entry ${operation.id}: debits and credits in ${asset} differ by ${n}`, { id: operation.id, asset });
          }
        }
        return operation.legs.map((leg) =>
          delta(leg.account, leg.asset, leg.side === 'debit' ? { debitsPostedBaseUnits: leg.amountBaseUnits } : { creditsPostedBaseUnits: leg.amountBaseUnits }),
        );
      }
      case 'pending': {
        this.requireAsset(operation.asset);
        this.requireAccount(operation.debitAccount);
        this.requireAccount(operation.creditAccount);
        this.requirePositive(operation.amountBaseUnits, operation.id);
        if (operation.debitAccount === operation.creditAccount) {
          throw new LedgerError('LEDGER.SAME_ACCOUNT', `transfer ${operation.id} debits and credits the same account`);
        }
        stagedPendings.set(operation.id, openPending(operation));
        return [
          delta(operation.debitAccount, operation.asset, { debitsPendingBaseUnits: operation.amountBaseUnits }),
          delta(operation.creditAccount, operation.asset, { creditsPendingBaseUnits: operation.amountBaseUnits }),
        ];
      }
      case 'post-pending':
      case 'void-pending': {
        const p = pendingView(operation.pendingId);
        if (!p) throw new LedgerError('LEDGER.PENDING_NOT_FOUND', `no pending transfer ${operation.pendingId}`, { pendingId: operation.pendingId });
        if (p.status === 'posted') throw new LedgerError('LEDGER.PENDING_ALREADY_POSTED', `pending transfer ${p.id} was already posted`, { pendingId: p.id });
        if (p.status === 'voided') throw new LedgerError('LEDGER.PENDING_ALREADY_VOIDED', `pending transfer ${p.id} was already voided`, { pendingId: p.id });
        let posted = 0n;
        if (operation.type === 'post-pending') {
          posted = operation.amountBaseUnits ?? p.amountBaseUnits;
          this.requirePositive(posted, operation.id);
          if (posted > p.amountBaseUnits) {
            throw new LedgerError('LEDGER.POST_EXCEEDS_PENDING', `posting ${posted} exceeds pending ${p.amountBaseUnits} of ${p.id}`, { pendingId: p.id });
          }
        }
        stagedPendings.set(p.id, resolvedPending(p, operation, posted));
        return [
          delta(p.debitAccount, p.asset, { debitsPendingBaseUnits: -p.amountBaseUnits, debitsPostedBaseUnits: posted }),
          delta(p.creditAccount, p.asset, { creditsPendingBaseUnits: -p.amountBaseUnits, creditsPostedBaseUnits: posted }),
        ];
      }
      default: {
        const unhandled: never = operation;
        throw new LedgerError('LEDGER.UNKNOWN_OPERATION', `unknown operation ${String((unhandled as { type?: unknown }).type)}`);
      }
    }
  }

  private breachError(breach: string, account: string, asset: Asset, id: string): LedgerError {
    const details = { account, asset, id };
    switch (breach) {
      case 'debitsMustNotExceedCredits':
        return new LedgerError('LEDGER.INSUFFICIENT_FUNDS', `${account} has too little ${asset} for ${id}`, details);
      case 'creditsMustNotExceedDebits':
        return new LedgerError('LEDGER.CREDITS_EXCEED_DEBITS', `${account} would hold more ${asset} credits than debits after ${id}`, details);
      case 'debitsOnly':
        return new LedgerError('LEDGER.ACCOUNT_DEBITS_ONLY', `${account} may only be debited (${id})`, details);
      default:
        return new LedgerError('LEDGER.ACCOUNT_CREDITS_ONLY', `${account} may only be credited (${id})`, details);
    }
  }
}

/** Two legs that move `amountBaseUnits` of `asset` from `from` (debited) to `to` (credited). */
export function transferLegs(from: string, to: string, asset: Asset, amountBaseUnits: bigint): Leg[] {
  return [
    { account: from, asset, side: 'debit', amountBaseUnits },
    { account: to, asset, side: 'credit', amountBaseUnits },
  ];
}
