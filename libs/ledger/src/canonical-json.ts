/**
 * One text per value, whatever order its object properties were written in: keys sorted by code unit,
 * `undefined` properties left out (as JSON does), bigints written as `123n` so that they never equal
 * the string "123" or the number 123, and non-finite numbers spelled out instead of becoming `null`.
 * Used to compare operations and parameter changes for idempotency; not meant to be parsed back.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const record = value as Record<string, unknown>;
      const parts = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
      return `{${parts.join(',')}}`;
    }
    default:
      // Functions and symbols are not data: two operations carrying them are never "the same".
      throw new TypeError(`canonicalJson cannot encode a ${typeof value}`);
  }
}
