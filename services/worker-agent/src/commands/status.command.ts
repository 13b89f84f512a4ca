import { AGENT_PATHS } from '@ionet/agent-protocol';
import type { AgentOptions } from '../cli-args';
import { HeartbeatJournal } from '../heartbeats/heartbeat-journal';
import type { JobRecord } from '../jobs/job-record';
import { summariseGpus } from './join.command';
import { AgentApiClient, PlatformError } from '../platform/api-client';
import { readJsonFile } from '../state/files';
import type { StateDir } from '../state/state-dir';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;

/** `ionet-agent status`: the device as the platform sees it (status and why), its verification
 *  (chain, uptime, challenges, reputation) and this agent's own side (journal, jobs). */
export async function statusCommand(state: StateDir, options: AgentOptions, out: (line: string) => void): Promise<number> {
  const key = state.loadKey();
  const enrollment = state.requireEnrollment();
  const api = new AgentApiClient(options.api ?? enrollment.apiUrl, key);
  const local = localState(state);
  const [device, verification] = await Promise.all([fetchOrProblem(api, AGENT_PATHS.device), fetchOrProblem(api, AGENT_PATHS.verification)]);
  const reachable = !('problem' in device && device.problem.status === 0);
  // Non-zero when the platform did not say what the device is (unreachable, or it refused us).
  const code = 'problem' in device ? 1 : 0;
  if (options.json) {
    out(JSON.stringify({ deviceId: enrollment.deviceId, address: key.address, apiUrl: api.apiUrl, device, verification, local }, null, 2));
    return code;
  }
  out(`device ${enrollment.deviceId}  (address ${key.address}, platform ${api.apiUrl})`);
  if ('problem' in device) {
    out(`  platform: ${describeProblem(device.problem)}`);
  } else {
    const d = device.value;
    const since = d.statusSince ?? d.since;
    out(`  status        ${str(d.status)}${since ? ` since ${str(since)}` : ''}`);
    if (d.statusReason) out(`  why           ${str(d.statusReason)}`);
    out(`  gpus          ${describeGpus(d)}${d.simulated ? ' (simulated)' : ''}`);
    if (d.leaseId) out(`  lease         ${str(d.leaseId)}`);
    if (d.multiplier !== undefined) out(`  multiplier    ${str(d.multiplier)}`);
  }
  if ('problem' in verification) {
    if (reachable) out(`  verification: ${describeProblem(verification.problem)}`);
  } else {
    for (const line of describeVerification(verification.value)) out(line);
  }
  out(`  this agent    chain at #${local.chainHead ?? '-'}, ${local.pendingHeartbeats} heartbeat(s) not yet delivered, ${local.jobs.length} job(s)`);
  for (const j of local.jobs) out(`  job           ${j.jobId} (${j.role}, lease ${j.leaseId}): ${j.phase}${j.exitCode !== undefined && j.exitCode !== null ? `, exit ${j.exitCode}` : ''}${j.unsentEvents ? `, ${j.unsentEvents} event(s) to send` : ''}`);
  return code;
}

function localState(state: StateDir) {
  let chainHead: number | null = null;
  let pendingHeartbeats = 0;
  if (existsSync(state.journalDir)) {
    const journal = HeartbeatJournal.open(state.journalDir);
    chainHead = journal.head()?.sequence ?? null;
    pendingHeartbeats = journal.pendingCount();
    journal.close();
  }
  const jobs = existsSync(state.jobsDir)
    ? readdirSync(state.jobsDir)
        .map((name) => readJsonFile<JobRecord>(join(state.jobsDir, name, 'job.json')))
        .filter((r): r is JobRecord => r !== undefined)
        .map((r) => ({ jobId: r.job.jobId, leaseId: r.job.leaseId, role: r.job.role, phase: r.phase, exitCode: r.exitCode, unsentEvents: r.unsent.length }))
    : [];
  return { chainHead, pendingHeartbeats, jobs };
}

async function fetchOrProblem(api: AgentApiClient, path: string): Promise<{ value: Json } | { problem: { status: number; code: string; detail: string } }> {
  try {
    return { value: (await api.get<Json>(path, { timeoutMs: 10_000 })) ?? {} };
  } catch (err) {
    if (err instanceof PlatformError) return { problem: { status: err.status, code: err.code, detail: err.detail } };
    throw err;
  }
}

/** Verification's view of the device (`GET /v1/agent/verification`): chain, presence, uptime,
 *  qualification, the last challenges and reputation. */
export function describeVerification(v: Json): string[] {
  const lines: string[] = [];
  const chain = v.chain as Json | null | undefined;
  if (chain) {
    lines.push(`  chain         #${str(chain.lastSequence)} (chain ${str(chain.chainNumber)}, ${str(chain.heartbeatCount)} heartbeats stored), last beat ${str(chain.lastHeartbeatAt)}, received ${str(chain.lastReceivedAt)}`);
  } else {
    lines.push('  chain         no heartbeat received yet');
  }
  if (v.presence !== undefined) lines.push(`  presence      ${str(v.presence)}`);
  const uptime = v.uptime as Json | undefined;
  if (uptime) {
    lines.push(`  uptime        ${duration(uptime.currentMs)} now, ${duration(uptime.last24hMs)} in 24 h, ${duration(uptime.last30dMs)} in 30 days${uptime.qualifyingUptimeMs !== undefined ? ` (qualifies after ${duration(uptime.qualifyingUptimeMs)})` : ''}`);
  }
  const q = v.qualification as Json | undefined;
  if (q) {
    const disqualified = q.disqualified as Json | null | undefined;
    lines.push(
      `  proofs        ${str(q.proofsPassed)} passed, ${str(q.proofsFailed)} failed (${str(q.consecutiveFailures)} in a row; ${str(q.failuresToDisqualify)} block)${q.qualified ? `, qualified ${str(q.qualifiedAt)}` : ', not qualified yet'}`,
    );
    if (disqualified) lines.push(`  blocked       ${str(disqualified.reason)}: ${str(disqualified.detail)} (${str(disqualified.at)})`);
  }
  const challenges = Array.isArray(v.challenges) ? (v.challenges as Json[]) : [];
  for (const c of challenges.slice(0, 5)) lines.push(`  challenge     ${str(c.challengeId)}: ${str(c.verdict)}${c.reason ? ` (${str(c.reason)}${c.detail ? `: ${str(c.detail)}` : ''})` : ''}`);
  const reputation = v.reputation as Json | null | undefined;
  lines.push(`  reputation    ${reputation ? `${(Number(reputation.scoreBps) / 100).toFixed(2)} % (${str(reputation.at)})` : 'not computed yet'}`);
  return lines;
}

function duration(ms: unknown): string {
  const n = Number(ms);
  if (!Number.isFinite(n)) return '-';
  const minutes = Math.floor(n / 60_000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

/** The device's GPUs, as inventory's view names them (`gpu: {model, vramMib, count}`) or as a list. */
function describeGpus(d: Json): string {
  const gpu = d.gpu as Json | null | undefined;
  if (gpu && typeof gpu === 'object') return `${str(gpu.count)} x ${str(gpu.model)} (${str(gpu.vramMib)} MiB)`;
  const spec = (d.spec ?? {}) as Json;
  const gpus = Array.isArray(spec.gpus) ? (spec.gpus as Json[]) : [];
  return gpus.length ? summariseGpus(gpus.map((g) => str(g.model))) : 'none (CPU device)';
}

function describeProblem(p: { status: number; code: string; detail: string }): string {
  return p.status === 0 ? `unreachable (${p.detail})` : `${p.status} ${p.code}: ${p.detail}`;
}

function str(v: unknown): string {
  return v === undefined || v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
}
