import { EventingError, EVENTING_ERROR_CODES } from './eventing-errors';

/** application_name prefix of a transaction that declared it never appends events (ADR 0221): a
 *  consumer batch with `appendsEvents: false`. Set for the transaction only
 *  (`set_config(..., true)`), before its handler runs, so the outbox relay of the same database can
 *  leave the transaction out of its visibility horizon: it can never insert into `events`. */
export const NO_APPEND_APPLICATION_NAME = 'ionet:no-append';

/** The SQL expression that marks the current transaction (to be evaluated in a statement of it);
 *  `$param` is the marker text (see noAppendMarker). */
export function markNoAppendSql(param: string): string {
  return `set_config('application_name', ${param}, true)`;
}

/** The marker for one consumer group: the prefix, then the group for the operator reading
 *  pg_stat_activity (PostgreSQL keeps 63 bytes of it, ASCII only). */
export function noAppendMarker(groupId: string): string {
  return `${NO_APPEND_APPLICATION_NAME} ${groupId.replace(/[^\x20-\x7e]/g, '?')}`.slice(0, 63);
}

/** Transactions (the executor objects handed to handlers) in which EventStore.append refuses. */
const noAppendTransactions = new WeakSet<object>();

/** Declares that nothing appends events through this executor until `allowAppends`. */
export function refuseAppends(tx: object): void {
  noAppendTransactions.add(tx);
}

export function allowAppends(tx: object): void {
  noAppendTransactions.delete(tx);
}

/** Throws when `tx` belongs to a transaction that declared it never appends: the relay does not
 *  wait for such a transaction, so an event it appended could be published out of order or
 *  skipped (ADR 0200, 0221). */
export function assertAppendsAllowed(tx: object | undefined): void {
  if (tx && noAppendTransactions.has(tx)) {
    throw new EventingError(
      EVENTING_ERROR_CODES.appendRefused,
      'EventStore.append in a transaction that declared it never appends events (a consumer with appendsEvents: false); drop that option for this consumer',
    );
  }
}
