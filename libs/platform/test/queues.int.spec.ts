import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ApiKeyService } from '../src/auth/api-key.service';
import { startTestService, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import type { Pool } from 'pg';
import type { BaseConfig } from '../src/config/config';
import { CLOCK, type Clock } from '../src/clock/clock';
import { PG_POOL } from '../src/platform.tokens';
import { deterministicJobId } from '../src/queues/queues';
import { JobQueues, QUEUE_BOARD_PATH } from '../src/queues/queues.module';
import { CloseHourJob, SettlePayoutJob, TEST_QUEUES, observed, queuesTestService } from './queues-service.fixture';

const HOUR_MS = 3_600_000;

describe('jobs on real Redis and PostgreSQL: each side effect once, trace context carried', () => {
  const ns = testNamespace('platform-queues');
  // Both processes share one accelerated clock: an hour of it passes every wall second.
  const env = { QUEUE_PREFIX: ns.queuePrefix, CLOCK_RATE: '3600', CLOCK_ORIGIN: new Date().toISOString() };
  const provider = new NodeTracerProvider();
  let worker: RunningTestService<BaseConfig>;
  let apiOnly: RunningTestService<BaseConfig>;

  beforeAll(async () => {
    provider.register();
    // Started first, so it runs the migrations; it never runs jobs.
    apiOnly = await startTestService(queuesTestService, { schema: ns.schema, serviceName: 'queues-api', env: { ...env, SERVICE_ROLES: 'api' } });
    worker = await startTestService(queuesTestService, { schema: ns.schema, serviceName: 'queues-worker', env: { ...env, SERVICE_ROLES: 'worker,consumer' } });
  });

  afterAll(async () => {
    const queues = worker?.app.get(JobQueues);
    for (const def of Object.values(TEST_QUEUES)) await queues?.queueOf(def).obliterate({ force: true });
    await worker?.app.close();
    await apiOnly?.close();
    await provider.shutdown();
  });

  const pool = () => worker.app.get<Pool>(PG_POOL);
  const payoutsSent = async (supplierId: string) =>
    (await pool().query<{ effect_id: string; amount_base_units: string }>('select effect_id, amount_base_units from payouts_sent where supplier_id = $1', [supplierId])).rows;
  const effectDone = async (effectId: string) => (await pool().query('select 1 from job_effects where effect_id = $1', [effectId])).rowCount === 1;

  it('runs a job added twice once, with the first payload (BullMQ keeps the first)', async () => {
    const queues = apiOnly.app.get(JobQueues);
    const key = ['sup-a', '2026-11-30'];
    const first = await queues.add(SettlePayoutJob, { supplierId: 'sup-a', period: '2026-11-30', amountBaseUnits: '1500000' }, key);
    const second = await queues.add(SettlePayoutJob, { supplierId: 'sup-a', period: '2026-11-30', amountBaseUnits: '999' }, key);
    expect(second).toBe(first);
    expect(first).toBe(deterministicJobId('settle-payout', key));
    expect(first).not.toContain(':');
    await waitFor('the payout effect', async () => ((await effectDone(first)) ? true : undefined), 20_000);
    const job = await queues.queueOf(TEST_QUEUES.payouts).getJob(first);
    await waitFor('the job to complete', async () => ((await job?.getState()) === 'completed' ? true : undefined), 10_000);
    expect(await payoutsSent('sup-a')).toEqual([{ effect_id: first, amount_base_units: '1500000' }]);
  });

  it('does not repeat the side effect of a job re-added after BullMQ removed the first', async () => {
    const queues = apiOnly.app.get(JobQueues);
    const key = ['sup-b', '2026-11-30'];
    const jobId = await queues.add(SettlePayoutJob, { supplierId: 'sup-b', period: '2026-11-30', amountBaseUnits: '2000000' }, key);
    await waitFor('the first run', async () => ((await effectDone(jobId)) ? true : undefined), 20_000);
    const queue = queues.queueOf(TEST_QUEUES.payouts);
    await waitFor('the job to complete', async () => ((await (await queue.getJob(jobId))?.getState()) === 'completed' ? true : undefined), 10_000);
    await queue.remove(jobId);
    expect(await queue.getJob(jobId)).toBeUndefined();

    await queues.add(SettlePayoutJob, { supplierId: 'sup-b', period: '2026-11-30', amountBaseUnits: '2000000' }, key);
    await waitFor('the re-added job to complete', async () => ((await (await queue.getJob(jobId))?.getState()) === 'completed' ? true : undefined), 20_000);
    const readded = await queue.getJob(jobId);
    expect(readded?.returnvalue).toBe('already-done');
    expect(await payoutsSent('sup-b')).toHaveLength(1);
  });

  it('rolls back the effect with its done record when an attempt fails, and the retry does it once', async () => {
    const queues = apiOnly.app.get(JobQueues);
    const jobId = await queues.add(SettlePayoutJob, { supplierId: 'sup-c', period: '2026-11-30', amountBaseUnits: '3', failAttempts: 2 }, ['sup-c', '2026-11-30']);
    await waitFor('the third attempt', async () => ((await effectDone(jobId)) ? true : undefined), 20_000);
    expect(observed.payoutRuns.filter((r) => r.jobId === jobId).map((r) => r.attempt)).toEqual([0, 1, 2]);
    expect(await payoutsSent('sup-c')).toHaveLength(1);
  });

  it('carries the trace context of whoever added the job into the worker', async () => {
    const queues = apiOnly.app.get(JobQueues);
    const tracer = trace.getTracer('queues-test');
    const span = tracer.startSpan('POST /v1/payouts');
    const jobId = await context.with(trace.setSpan(context.active(), span), () =>
      queues.add(SettlePayoutJob, { supplierId: 'sup-d', period: '2026-11-30', amountBaseUnits: '4' }, ['sup-d', '2026-11-30']),
    );
    span.end();
    const run = await waitFor('the traced run', () => observed.payoutRuns.find((r) => r.jobId === jobId), 20_000);
    expect(run.traceId).toBe(span.spanContext().traceId);
    const job = await queues.queueOf(TEST_QUEUES.payouts).getJob(jobId);
    expect(job?.data.trace.traceparent).toContain(span.spanContext().traceId);
  });

  it('starts workers only with the worker role', async () => {
    expect(apiOnly.app.get(JobQueues).runsWorkers).toBe(false);
    expect(worker.app.get(JobQueues).runsWorkers).toBe(true);
    // Every run so far happened in the worker process although the api process added the jobs.
    expect(observed.payoutRuns.length).toBeGreaterThan(0);
  });

  it('runs an hourly scheduler once per clock hour, driven by the accelerated clock', async () => {
    const queues = worker.app.get(JobQueues);
    const schedule = { job: CloseHourJob, schedulerId: 'close-hour', everyClockMs: HOUR_MS, payload: { epochLabel: 'test' } };
    await queues.schedule(schedule);
    await apiOnly.app.get(JobQueues).schedule(schedule);
    const epochs = queues.queueOf(TEST_QUEUES.epochs);
    expect(await epochs.getJobSchedulersCount()).toBe(1);
    // The wall interval is the clock's hour divided by the rate.
    expect((await epochs.getJobScheduler('close-hour'))?.every).toBe(HOUR_MS / 3_600);
    const closed = await waitFor('three closed hours', async () => {
      const { rows } = await pool().query<{ hour_index: string; hour_start: Date }>('select hour_index, hour_start from hours_closed order by hour_index');
      return rows.length >= 3 ? rows : undefined;
    }, 30_000);
    await epochs.removeJobScheduler('close-hour');
    // Each clock hour once, on an exact hour boundary, whatever the scheduler's wall timing.
    const indexes = closed.map((r) => Number(r.hour_index));
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(closed.every((r) => r.hour_start.getTime() % HOUR_MS === 0 && r.hour_start.getTime() === Number(r.hour_index) * HOUR_MS)).toBe(true);
    const clockNow = worker.app.get<Clock>(CLOCK).now().getTime();
    expect(Math.max(...indexes)).toBeLessThan(clockNow / HOUR_MS);
  });

  it('serves Bull Board to ops keys only', async () => {
    const none = await fetch(`${worker.baseUrl}${QUEUE_BOARD_PATH}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    const supplierKey = (await worker.app.get(ApiKeyService).issue('tenant-q', ['supplier'])).key;
    expect((await fetch(`${worker.baseUrl}${QUEUE_BOARD_PATH}`, { headers: { authorization: `Bearer ${supplierKey}` } })).status).toBe(403);
    const board = await fetch(`${worker.baseUrl}${QUEUE_BOARD_PATH}`, { headers: { authorization: `Bearer ${worker.opsKey}` } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<html');
    const api = await fetch(`${worker.baseUrl}${QUEUE_BOARD_PATH}/api/queues`, { headers: { authorization: `Bearer ${worker.opsKey}` } });
    expect(((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort()).toEqual(['epochs', 'payouts']);
  });
});
