import { agentKeyFromJson, signAgentRequest, type AgentKey } from '@ionet/agent-protocol';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gatewayClient, type Answer } from './gateway-client';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** The real CLI as a supplier runs it (`npx ionet-agent` runs this launcher), built to dist/. */
export const AGENT_BIN = join(REPO_ROOT, 'services', 'worker-agent', 'bin', 'ionet-agent.js');
const OUTPUT_LINES_KEPT = 400;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one agent command to its end. */
export function agentCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ionet-agent ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export type AgentLine = { message: string } & Record<string, unknown>;

/** `ionet-agent run --json` as a process: its JSON lines, waited on by what they say. */
export class RunningAgent {
  readonly lines: AgentLine[] = [];
  private readonly raw: string[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    let pending = '';
    child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        this.keep(line);
        try {
          this.lines.push(JSON.parse(line) as AgentLine);
        } catch {
          // not JSON: kept in the raw output for failure messages
        }
      }
    });
    child.stderr?.on('data', (d: Buffer) => this.keep(d.toString('utf8')));
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }

  static start(args: string[], env: Record<string, string> = {}): RunningAgent {
    const child = spawn(process.execPath, [AGENT_BIN, 'run', '--json', ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new RunningAgent(child);
  }

  private keep(text: string): void {
    this.raw.push(text);
    if (this.raw.length > OUTPUT_LINES_KEPT) this.raw.splice(0, this.raw.length - OUTPUT_LINES_KEPT);
  }

  output(): string {
    return this.raw.join('\n');
  }

  /** The first line from `from` on that matches, waiting up to `timeoutMs`. */
  async line(what: string, match: (line: AgentLine) => boolean, timeoutMs = 30_000, from = 0): Promise<AgentLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the agent exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the agent's ${what}\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The highest sequence the platform acknowledged so far, by the agent's own lines. */
  lastSentSequence(): number {
    let last = -1;
    for (const l of this.lines) if (l.message === 'heartbeats sent' && typeof l.lastSequence === 'number') last = Math.max(last, l.lastSequence);
    return last;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export function loadAgentKey(dir: string): AgentKey {
  return agentKeyFromJson(JSON.parse(readFileSync(join(dir, 'agent-key.json'), 'utf8')));
}

/** A signed request as the agent makes it (for the protocol checks a CLI would never do wrong); the
 *  headers are returned so a test can send them again (a replay). */
export async function signedFetch(baseUrl: string, key: AgentKey, method: string, path: string, body?: unknown, headerOverride: Record<string, string> = {}): Promise<Answer & { headers: Record<string, string> }> {
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const headers = { ...signAgentRequest({ key, method, pathAndQuery: path, body: raw, nowMs: Date.now() }), ...headerOverride };
  return { ...(await gatewayClient(baseUrl).call(method, path, body, headers)), headers };
}
