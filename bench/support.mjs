// Helpers of the benches that run services as processes on the local stack.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

export function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
}

export function start(root, name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  // How the http bench names the process in its CPU-per-request figures.
  child.benchName = name;
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4_000)));
  child.on('exit', (code) => {
    if (code && !child.stopping) console.error(`${name} exited with ${code}: ${stderr}`);
  });
  return child;
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stopping = true;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function post(url, headers, body) {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

export async function waitReady(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}


/** The benches' database (created once) with a fresh schema for this run, and a client on it. */
export async function benchDatabase(adminUrl, schema) {
  const { Client } = require('pg');
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = '/ionet_bench';
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  if (!(await admin.query("select 1 from pg_database where datname = 'ionet_bench'")).rowCount) await admin.query('create database ionet_bench');
  await admin.end();
  const db = new Client({ connectionString: dbUrl.toString() });
  await db.connect();
  await db.query(`create schema "${schema}"`);
  return { db, dbUrl };
}
