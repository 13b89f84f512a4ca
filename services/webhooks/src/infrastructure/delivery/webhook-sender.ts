import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { forbiddenAddressReason } from './target-address';

export interface WebhookSenderOptions {
  /** Development and tests only: deliver to private and loopback addresses too. */
  allowPrivateTargets: boolean;
  /** A whole attempt (connect, send, answer) is cut off after this long and counts as failed. */
  timeoutMs: number;
  /** Sockets kept open per receiver host (bounded, STYLE.md). */
  socketsPerHostMax?: number;
  /** DNS resolution (tests substitute a resolver that answers a chosen address). */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

export interface SendOutcome {
  /** Absent when no answer came (refused target, DNS, connection error, timeout). */
  statusCode?: number;
  durationMs: number;
  /** Why no answer came, or why the target was refused. */
  error?: string;
  /** The first bytes of the answer, kept in the delivery log. */
  responseExcerpt?: string;
}

/** Thrown by the lookup when a name resolves to a forbidden address. */
export class ForbiddenTargetError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'ForbiddenTargetError';
  }
}

const RESPONSE_EXCERPT_BYTES_MAX = 1_024;

function systemResolve(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

/**
 * Posts signed webhooks. SSRF guard: every address a name resolves to is checked (one bad address
 * refuses the whole name, so a rebinding answer cannot slip a private one in), the connection goes
 * to a checked address (the lookup hands the socket what it checked), literal IPs are checked
 * before connecting, and redirects are never followed (a 3xx is a failed attempt).
 */
export class WebhookSender {
  private readonly resolve: (hostname: string) => Promise<LookupAddress[]>;
  private readonly lookup: LookupFunction;
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(private readonly options: WebhookSenderOptions) {
    this.resolve = options.resolve ?? systemResolve;
    this.lookup = (hostname, lookupOptions, callback) => {
      this.checkedAddresses(hostname).then(
        (addresses) => {
          const family = typeof lookupOptions.family === 'number' ? lookupOptions.family : 0;
          const usable = family ? addresses.filter((a) => a.family === family) : addresses;
          if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
          if (lookupOptions.all) return (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, usable);
          callback(null, usable[0]!.address, usable[0]!.family);
        },
        (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
      );
    };
    const agentOptions = { keepAlive: true, maxSockets: options.socketsPerHostMax ?? 64, lookup: this.lookup };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent(agentOptions);
  }

  /** Refuses (ForbiddenTargetError) a URL whose host is, or resolves to, a forbidden address. */
  async assertAllowed(url: string): Promise<void> {
    const host = hostOf(new URL(url));
    if (isIP(host)) this.checkAddress(host, host);
    else await this.checkedAddresses(host);
  }

  async send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: URL;
    try {
      target = new URL(url);
      const host = hostOf(target);
      if (isIP(host)) this.checkAddress(host, host);
    } catch (err) {
      return { durationMs: elapsed(), error: (err as Error).message };
    }
    const https = target.protocol === 'https:';
    const payload = Buffer.from(body, 'utf8');
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: Omit<SendOutcome, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...outcome, durationMs: elapsed() });
      };
      const request = (https ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: https ? this.httpsAgent : this.httpAgent,
          lookup: this.lookup,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': 'ionet-webhooks/1' },
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          response.on('data', (chunk: Buffer) => {
            if (kept < RESPONSE_EXCERPT_BYTES_MAX) {
              chunks.push(chunk.subarray(0, RESPONSE_EXCERPT_BYTES_MAX - kept));
              kept += Math.min(chunk.length, RESPONSE_EXCERPT_BYTES_MAX - kept);
            }
          });
          // PostgreSQL's text refuses NUL: a receiver's answer must not make its attempt unrecordable.
          response.on('end', () => finish({ statusCode: response.statusCode, responseExcerpt: Buffer.concat(chunks).toString('utf8').replaceAll('\u0000', '') }));
          response.on('error', (err) => finish({ statusCode: response.statusCode, error: err.message }));
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      request.on('error', (err: Error) => finish({ error: err instanceof ForbiddenTargetError ? err.message : `${(err as NodeJS.ErrnoException).code ?? 'ERROR'}: ${err.message}` }));
      request.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async checkedAddresses(hostname: string): Promise<LookupAddress[]> {
    const addresses = await this.resolve(hostname);
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' });
    for (const { address } of addresses) this.checkAddress(address, hostname);
    return addresses;
  }

  private checkAddress(address: string, hostname: string): void {
    if (this.options.allowPrivateTargets) return;
    const reason = forbiddenAddressReason(address);
    if (reason) throw new ForbiddenTargetError(`${hostname} is ${address === hostname ? '' : `resolved to ${address}, `}a ${reason} address: webhooks go to public addresses only`);
  }
}

function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
