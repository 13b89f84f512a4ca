import type { Logger } from '@ionet/platform';
import type { UpstreamService } from '../routing/route-table';
import { mergeOpenApi, type OpenApiDocument } from './openapi-merge';

const FETCH_TIMEOUT_MS = 5_000;
/** A configured service whose document is still missing (it starts after the gateway) is asked again this soon. */
const MISSING_RETRY_MS = 1_000;
/** A service's document is at most this large; a bigger one is a fault of that service, not ours to hold. */
const DOCUMENT_BYTES_MAX = 8 * 1_048_576;

/**
 * The merged document, fetched from every service's /openapi.json at start and every refresh
 * interval. A service that does not answer keeps its last good document (a restart does not blank
 * the docs); one never seen is listed as unavailable.
 */
export class OpenApiCache {
  private readonly lastGood = new Map<UpstreamService, OpenApiDocument>();
  private merged: OpenApiDocument;
  private serialized: string;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly upstreams: Partial<Record<UpstreamService, string>>,
    private readonly services: readonly UpstreamService[],
    private readonly logger: Logger,
  ) {
    this.merged = this.merge();
    this.serialized = JSON.stringify(this.merged);
  }

  /** The merged document as JSON text (cached: served on every request as is). */
  json(): string {
    return this.serialized;
  }

  document(): OpenApiDocument {
    return this.merged;
  }

  start(refreshMs: number): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
    return this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.fetchAll().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetchAll(): Promise<void> {
    await Promise.all(
      this.services.map(async (service) => {
        const base = this.upstreams[service];
        if (!base) return;
        try {
          const res = await fetch(`${base}/openapi.json`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
          if (!res.ok) throw new Error(`status ${res.status}`);
          const text = await res.text();
          if (text.length > DOCUMENT_BYTES_MAX) throw new Error(`document of ${text.length} bytes`);
          this.lastGood.set(service, JSON.parse(text) as OpenApiDocument);
        } catch (err) {
          this.logger.debug({ service, err: (err as Error).message }, 'openapi document not fetched; keeping the last one');
        }
      }),
    );
    this.merged = this.merge();
    this.serialized = JSON.stringify(this.merged);
    const missing = this.services.some((s) => this.upstreams[s] && !this.lastGood.has(s));
    if (missing && this.timer && !this.stopped && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.refresh();
      }, MISSING_RETRY_MS);
      this.retry.unref();
    }
  }

  private merge(): OpenApiDocument {
    return mergeOpenApi(
      this.services.map((service) => ({ service, document: this.lastGood.get(service) })),
      {
        title: 'ionet API',
        version: '1',
        description:
          'One base URL for every service. Authenticate with `Authorization: Bearer ionet_<scope>_...`. ' +
          'Errors are RFC 9457 problem+json with a stable `code`; lists are cursor pages (`?limit&cursor` -> `{items, nextCursor}`).',
      },
    );
  }
}
