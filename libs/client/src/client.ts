import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };
export type IonetClient = Client<paths>;

export interface IonetClientOptions {
  /** The gateway, e.g. `https://api.example.com` or `http://127.0.0.1:4000` (npm start). */
  baseUrl: string;
  /** An organization's API key (`ionet_...`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A fetch of your own (tests, proxies, retries); the global fetch by default. */
  fetch?: typeof globalThis.fetch;
}

/**
 * A typed client of the whole public API through the gateway: every path, parameter, body and answer
 * of the merged OpenAPI document is checked at compile time (openapi-fetch over the types generated
 * by openapi-typescript). Calls answer `{ data, error, response }`; `unwrap` turns an error answer
 * into an IonetProblemError carrying the problem's stable `code`.
 */
export function createIonetClient(options: IonetClientOptions): IonetClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), ...(options.fetch ? { fetch: options.fetch } : {}) });
  if (options.apiKey) {
    const authorization = `Bearer ${options.apiKey}`;
    client.use({
      onRequest({ request }) {
        if (!request.headers.has('authorization')) request.headers.set('authorization', authorization);
        return request;
      },
    });
  }
  return client;
}

/** An RFC 9457 problem as the API answers it: the `code` is stable, the rest is for people. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export class IonetProblemError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'IonetProblemError';
    this.status = problem.status;
    this.code = problem.code;
  }
}

/** The answer's data, or an IonetProblemError for an error answer (a body that is not a problem
 *  still gives one, with the code `HTTP.<status>`). */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error;
    const problem: Problem =
      body && typeof body === 'object' && typeof (body as Problem).code === 'string'
        ? { ...(body as Problem), status: (body as Problem).status ?? result.response.status }
        : { status: result.response.status, code: `HTTP.${result.response.status}`, detail: typeof body === 'string' ? body : undefined };
    throw new IonetProblemError(problem);
  }
  return result.data as T;
}

/** Every item of a cursor-paginated list (`{ items, nextCursor }`), page after page. */
export async function* allPages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | null }>, pagesMax = 10_000): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (let n = 0; n < pagesMax; n++) {
    const result = await page(cursor);
    yield* result.items;
    if (!result.nextCursor) return;
    cursor = result.nextCursor;
  }
  throw new Error(`stopped after ${pagesMax} pages`);
}

/** A fresh key for `Idempotency-Key`: send the same one again to retry a POST safely. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}
