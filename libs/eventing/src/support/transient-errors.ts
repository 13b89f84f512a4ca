/** Whether an error is a fault of the infrastructure (database or broker unreachable, connection
 *  lost, timeouts) as opposed to a bug. Both are retried by consumers; this only picks the log
 *  level and lets callers report "paused: infrastructure" distinctly. */
export function isInfrastructureError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; name?: unknown; retriable?: unknown; message?: unknown };
  if (e.retriable === true) return true;
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  // SQLSTATE classes 08 (connection), 53 (resources), 57P (operator intervention: shutdown,
  // terminated backend), 40001/40P01 (serialization failure, deadlock).
  if (/^(08|53|57P)/.test(code) || code === '40001' || code === '40P01') return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(message);
}
