import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAtMs: number;
}

/** Answers a request to `path`: the status code to return (the n-th request to this path, from 0). */
export type Behaviour = (nth: number) => number;

/** A local webhook receiver: each path answers as told and every request is kept. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly answers = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private server: Server | undefined;
  baseUrl = '';

  /** `answer`: the body of every answer to `path` (default 'ok' below 300, 'no' from it). */
  on(path: string, behaviour: Behaviour, answer?: string): string {
    this.behaviours.set(path, behaviour);
    if (answer !== undefined) this.answers.set(path, answer);
    return `${this.baseUrl}${path}`;
  }

  at(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const nth = this.counts.get(path) ?? 0;
        this.counts.set(path, nth + 1);
        this.requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAtMs: Date.now() });
        const status = (this.behaviours.get(path) ?? (() => 404))(nth);
        if (status >= 300 && status < 400) res.setHeader('location', `${this.baseUrl}/redirected`);
        res.statusCode = status;
        res.end(this.answers.get(path) ?? (status < 300 ? 'ok' : 'no'));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
