import { signAgentRequest, type AgentKey } from '@ionet/agent-protocol';
import type { PlatformClock } from './platform-clock';

/** A problem+json answer (or a transport failure, `status` 0) from the platform. */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(status ? `${status} ${code}: ${detail}` : `platform unreachable: ${detail}`);
  }

  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Signed requests to the platform (through its gateway): every request carries the agent's key,
 *  a wall-clock timestamp, a fresh nonce and an ed25519 signature over method, path, body hash. */
export class AgentApiClient {
  constructor(
    readonly apiUrl: string,
    private readonly key: AgentKey,
    private readonly clock?: PlatformClock,
    private readonly wallNowMs: () => number = Date.now,
  ) {}

  get<T>(pathAndQuery: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', pathAndQuery, undefined, options);
  }

  post<T>(pathAndQuery: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', pathAndQuery, body, options);
  }

  async request<T>(method: string, pathAndQuery: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.apiUrl.replace(/\/+$/, '')}${pathAndQuery}`);
    // What is signed is the path as sent: the base URL may carry a prefix of its own.
    const sentPath = `${url.pathname}${url.search}`;
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { ...signAgentRequest({ key: this.key, method, pathAndQuery: sentPath, body: raw, nowMs: this.wallNowMs() }), accept: 'application/json' };
    if (raw !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: raw, signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new PlatformError(0, 'AGENT.PLATFORM_UNREACHABLE', `${method} ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const object = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    this.clock?.observe(object as { platformTime?: string; clockRate?: number });
    if (!res.ok) {
      const code = typeof object.code === 'string' ? object.code : `HTTP_${res.status}`;
      const detail = typeof object.detail === 'string' ? object.detail : typeof object.title === 'string' ? object.title : text.slice(0, 200) || res.statusText;
      throw new PlatformError(res.status, code, detail, object);
    }
    return parsed as T;
  }
}
