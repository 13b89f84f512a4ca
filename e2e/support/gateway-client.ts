import { randomUUID } from 'node:crypto';

export interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

/** JSON calls through the gateway with one key; every POST carries a fresh Idempotency-Key. */
export function gatewayClient(baseUrl: string, key?: string) {
  return {
    async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { unparsed: text.slice(0, 200) };
      }
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: parsed };
    },
  };
}
