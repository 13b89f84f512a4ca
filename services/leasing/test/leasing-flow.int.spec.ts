import type { WorkItem } from '@ionet/agent-protocol';
import { PG_POOL } from '@ionet/platform';
import type { Pool } from 'pg';
import { deleteTestTopics, testNamespace, waitFor } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { leaseIdOfQuote } from '../src/application/leases.service';
import { LeasingTestKit, PRICE } from './support/leasing-test-kit';

const WORKLOAD = { name: 'train', image: 'rayproject/ray:2.9.0-gpu', command: ['python', 'train.py'], env: { EPOCHS: '3' }, ports: [8265] };

describe('leasing on the real stack: quote -> cluster -> funded -> dispatched -> running -> metered -> extended -> terminated', () => {
  const kit = new LeasingTestKit(testNamespace('leasing-flow'));
  const customer = randomUUID();
  const other = randomUUID();
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    // Short ack timeout: an unacknowledged job is handed again within a second here.
    await kit.start({ LEASING_DISPATCH_ACK_TIMEOUT_MS: '400', LEASING_DISPATCH_ATTEMPTS: '3' });
    key = await kit.customerKey(customer);
    otherKey = await kit.customerKey(other);
  });

  afterAll(async () => {
    await kit.stop();
    await deleteTestTopics(kit.ns.topicPrefix);
  });

  const quoteSeen = (quoteId: string) => waitFor(`quote ${quoteId} projected`, async () => (await kit.leases.quote(quoteId)) ?? undefined);
  const statusOf = (leaseId: string, status: string) => waitFor(`lease ${leaseId} ${status}`, async () => ((await kit.state(leaseId)).status === status ? true : undefined));
  const jobItems = async (deviceId: string) => (await kit.mailbox.pending(deviceId)).filter((i): i is Extract<WorkItem, { kind: 'job' }> => i.kind === 'job');

  it('runs a Ray cluster from its quote to its termination', async () => {
    const quote = await kit.quote(customer, 3, { hours: 2 });
    await quoteSeen(quote.quoteId);

    // Another customer cannot use the quote; bad input is a problem, never a 500.
    expect((await kit.call(otherKey, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD })).body).toMatchObject({ status: 404, code: 'LEASING.QUOTE_NOT_FOUND' });
    expect((await kit.call(key, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD, env: { 'BAD NAME': 'x' } })).body).toMatchObject({ status: 400, code: 'LEASING.INVALID_ENV' });
    expect((await kit.call(key, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD, ports: [0] })).status).toBe(400);

    const created = await kit.call(key, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD });
    expect(created.status).toBe(201);
    const clusterId = String(created.body.clusterId);
    expect(created.body).toEqual({ clusterId, status: 'awaiting_payment' });
    expect(clusterId).toBe(leaseIdOfQuote(quote.quoteId));
    // The same quote twice: one cluster.
    expect((await kit.call(key, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD })).body).toMatchObject({ status: 409, code: 'LEASING.QUOTE_ALREADY_USED' });

    const view = await kit.call(key, 'GET', `/v1/clusters/${clusterId}`);
    expect(view.body).toMatchObject({ clusterId, status: 'awaiting_payment', durationHours: 2, hoursServed: 0, hoursRemaining: 2, fundedAt: null, dispatchedAt: null });
    expect((view.body.devices as Array<{ role: string }>).map((d) => d.role)).toEqual(['head', 'worker', 'worker']);
    expect(view.body.amountPaid).toEqual({ amountBaseUnits: String(PRICE * 6n + (PRICE * 6n) / 400n + (PRICE * 6n) / 50n), asset: 'USDC' });
    expect((await kit.call(otherKey, 'GET', `/v1/clusters/${clusterId}`)).status).toBe(404);
    expect((await kit.call(key, 'GET', '/v1/clusters/not-a-cluster')).body).toMatchObject({ status: 400, code: 'REQUEST.INVALID_ID' });
    // Nothing is dispatched before the money is there.
    expect(await jobItems(quote.devices[0]!.deviceId)).toEqual([]);

    // The ledger decides the lease funded: activated, one job per device in its mailbox.
    await kit.funded(clusterId, customer);
    await statusOf(clusterId, 'deploying');
    const items = await Promise.all(quote.devices.map((d) => waitFor(`job for ${d.deviceId}`, async () => ((await jobItems(d.deviceId)).length === 1 ? (await jobItems(d.deviceId))[0] : undefined))));
    const [head, ...workers] = items;
    expect(head!.job).toMatchObject({ leaseId: clusterId, role: 'head', image: WORKLOAD.image, command: WORKLOAD.command, env: WORKLOAD.env, ports: WORKLOAD.ports });
    expect(head!.job.headAddress).toBeUndefined();
    for (const w of workers) expect(w.job).toMatchObject({ role: 'worker', headAddress: `${quote.devices[0]!.deviceId}.devices.ionet.internal:6379` });
    await waitFor('every job dispatched', async () => (Object.values((await kit.state(clusterId)).jobs).every((j) => j.status !== 'pending') ? true : undefined));
    const dispatchedEvents = (await kit.events(clusterId)).filter((e) => e.type === 'JobDispatched');
    expect(dispatchedEvents.map((e) => (e.type === 'JobDispatched' ? e.deviceId : '')).sort()).toEqual(quote.devices.map((d) => d.deviceId).sort());

    // Agents accept and start (verification's AgentJobReported); a log chunk is kept.
    for (const [i, item] of items.entries()) {
      await kit.jobReported(clusterId, item.job.jobId, quote.devices[i]!.deviceId, 0, 'accepted');
      await kit.jobReported(clusterId, item.job.jobId, quote.devices[i]!.deviceId, 1, 'started');
    }
    await kit.jobReported(clusterId, head!.job.jobId, quote.devices[0]!.deviceId, 2, 'log', { text: 'ray head up', stream: 'stdout' });
    await statusOf(clusterId, 'running');
    const workersView = await kit.call(key, 'GET', `/v1/clusters/${clusterId}/workers`);
    expect((workersView.body.items as Array<{ role: string; jobStatus: string }>).map((w) => [w.role, w.jobStatus])).toEqual([
      ['head', 'started'],
      ['worker', 'started'],
      ['worker', 'started'],
    ]);
    const logs = await waitFor('the log chunk', async () => {
      const res = await kit.call(key, 'GET', `/v1/clusters/${clusterId}/logs?deviceId=${quote.devices[0]!.deviceId}`);
      return (res.body.items as unknown[]).length > 0 ? res.body : undefined;
    });
    expect(logs.items).toEqual([expect.objectContaining({ deviceId: quote.devices[0]!.deviceId, stream: 'stdout', text: 'ray head up', sequence: 2 })]);
    const after = await kit.call(key, 'GET', `/v1/clusters/${clusterId}`);
    expect(after.body).toMatchObject({ status: 'running', fundedAt: expect.any(String), dispatchedAt: expect.any(String) });

    // Metering: a proven hour is charged, a violated one refunded; each device-hour once.
    const start = new Date(String(after.body.fundedAt));
    await kit.hourVerified(clusterId, quote.devices[0]!.deviceId, 0, start);
    await kit.hourViolated(clusterId, quote.devices[1]!.deviceId, 0, start);
    await kit.hourVerified(clusterId, quote.devices[0]!.deviceId, 0, start);
    const hours = await waitFor('two lease-hours completed', async () => {
      const list = (await kit.events(clusterId)).filter((e) => e.type === 'LeaseHourCompleted');
      return list.length === 2 ? list : undefined;
    });
    expect(hours.map((h) => (h.type === 'LeaseHourCompleted' ? [h.deviceId, h.hourIndex, h.outcome, h.pricePerGpuHour.amountBaseUnits] : []))).toEqual([
      [quote.devices[0]!.deviceId, 0, 'proven', PRICE],
      [quote.devices[1]!.deviceId, 0, 'unproven', PRICE],
    ]);
    const provenView = await kit.call(key, 'GET', `/v1/clusters/${clusterId}/workers`);
    expect((provenView.body.items as Array<{ provenHours: number; unprovenHours: number }>).map((w) => [w.provenHours, w.unprovenHours])).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);

    // Extension: priced like the original, the end moves.
    const endsBefore = Date.parse(String(after.body.endsAt));
    const extended = await kit.call(key, 'POST', `/v1/clusters/${clusterId}/extend`, { hours: 1 });
    expect(extended.status).toBe(200);
    expect(extended.body).toMatchObject({ durationHours: 3 });
    expect(Date.parse(String(extended.body.endsAt))).toBe(endsBefore + 3_600_000);
    const ext = (await kit.events(clusterId)).find((e) => e.type === 'LeaseExtended');
    expect(ext).toMatchObject({ additionalHours: 1, additionalPrice: { amountBaseUnits: PRICE * 3n, asset: 'USDC' } });
    expect((await kit.call(key, 'POST', `/v1/clusters/${clusterId}/extend`, { hours: 0 })).status).toBe(400);

    // Termination: the first hour kept, the rest refundable; every agent told to stop.
    const deleted = await kit.call(key, 'DELETE', `/v1/clusters/${clusterId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'terminated', terminationReason: 'customer_cancelled' });
    const terminated = (await kit.events(clusterId)).find((e) => e.type === 'LeaseTerminated');
    expect(terminated).toMatchObject({ reason: 'customer_cancelled', hoursUsed: 1, hoursRefundable: 2 });
    for (const [i, d] of quote.devices.entries()) {
      await waitFor(`stop for ${d.deviceId}`, async () => ((await kit.mailbox.pending(d.deviceId)).some((x) => x.kind === 'stop' && x.jobId === items[i]!.job.jobId) ? true : undefined));
    }
    expect((await kit.call(key, 'DELETE', `/v1/clusters/${clusterId}`)).body).toMatchObject({ status: 'terminated' });
    expect((await kit.call(key, 'POST', `/v1/clusters/${clusterId}/extend`, { hours: 1 })).body).toMatchObject({ status: 409, code: 'LEASING.CLUSTER_ENDED' });

    const list = await waitFor('the list shows it terminated', async () => {
      const res = await kit.call(key, 'GET', '/v1/clusters?status=terminated');
      return (res.body.items as Array<{ clusterId: string }>).some((c) => c.clusterId === clusterId) ? res.body : undefined;
    });
    expect(list.items).toEqual([expect.objectContaining({ clusterId, status: 'terminated' })]);
    expect(((await kit.call(otherKey, 'GET', '/v1/clusters')).body.items as unknown[]).length).toBe(0);
  });

  it('hands an unacknowledged job again, then shows it unacknowledged; a replacement gets the job of the failed device', async () => {
    const quote = await kit.quote(customer, 2, { hours: 1 });
    await quoteSeen(quote.quoteId);
    const clusterId = String((await kit.call(key, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD })).body.clusterId);
    await kit.funded(clusterId, customer);
    await statusOf(clusterId, 'deploying');
    // The agent of device 0 takes its job (verification acknowledges the item); device 1 is silent.
    const first = await waitFor('job 0', async () => (await jobItems(quote.devices[0]!.deviceId))[0]);
    await kit.mailbox.acknowledge(quote.devices[0]!.deviceId, `job:${first.job.jobId}`);
    await kit.jobReported(clusterId, first.job.jobId, quote.devices[0]!.deviceId, 0, 'accepted');
    await kit.jobReported(clusterId, first.job.jobId, quote.devices[0]!.deviceId, 1, 'started');
    const silent = await waitFor('job 1 unacknowledged', async () => {
      const s = await kit.state(clusterId);
      return Object.values(s.jobs).find((j) => j.deviceId === quote.devices[1]!.deviceId && j.status === 'unacknowledged');
    });
    // Still there for the agent when it comes back; never handed twice as two items.
    expect((await jobItems(quote.devices[1]!.deviceId)).map((i) => i.job.jobId)).toEqual([silent.jobId]);
    expect((await kit.events(clusterId)).filter((e) => e.type === 'JobDispatched')).toHaveLength(2);
    // Device 0's job was acknowledged: it was not handed again.
    expect(await jobItems(quote.devices[0]!.deviceId)).toEqual([]);

    // Matching replaces the silent device: the new one gets a job of its own, the old one a stop.
    const replacement = await kit.replacement(clusterId, quote.devices[1]!.deviceId);
    const replacementJob = await waitFor('the replacement job', async () => (await jobItems(replacement.deviceId))[0]);
    expect(replacementJob.job).toMatchObject({ leaseId: clusterId, role: 'worker', headAddress: `${quote.devices[0]!.deviceId}.devices.ionet.internal:6379` });
    await waitFor('the failed device told to stop', async () => ((await kit.mailbox.pending(quote.devices[1]!.deviceId)).some((x) => x.kind === 'stop') ? true : undefined));
    await kit.jobReported(clusterId, replacementJob.job.jobId, replacement.deviceId, 0, 'started');
    await statusOf(clusterId, 'running');
    const view = await kit.call(key, 'GET', `/v1/clusters/${clusterId}`);
    expect((view.body.devices as Array<{ deviceId: string }>).map((d) => d.deviceId)).toEqual([quote.devices[0]!.deviceId, replacement.deviceId]);
  });

  it('ends a cluster whose payment window passed, and one whose funding failed (FUNDING_FAILED)', async () => {
    const soon = await kit.quote(customer, 1, { expiresAt: new Date(Date.now() + 3_000) });
    const failing = await kit.quote(customer, 1);
    await quoteSeen(soon.quoteId);
    await quoteSeen(failing.quoteId);
    const a = String((await kit.call(key, 'POST', '/v1/clusters', { quoteId: soon.quoteId, ...WORKLOAD })).body.clusterId);
    const b = String((await kit.call(key, 'POST', '/v1/clusters', { quoteId: failing.quoteId, ...WORKLOAD })).body.clusterId);
    await kit.fundingFailed(b, customer);
    await statusOf(b, 'terminated');
    expect((await kit.state(b)).terminationReason).toBe('funding_failed');
    await waitFor('the payment window passed', async () => ((await kit.state(a)).status === 'terminated' ? true : undefined), 20_000);
    expect((await kit.events(a)).find((e) => e.type === 'LeaseTerminated')).toMatchObject({ reason: 'funding_failed', hoursUsed: 0, hoursRefundable: 0 });
    // A late funding decision changes nothing; an expired quote is gone.
    await kit.funded(a, customer);
    const late = await kit.quote(customer, 1, { expiresAt: new Date(Date.now() + 500) });
    await quoteSeen(late.quoteId);
    await new Promise((r) => setTimeout(r, 600));
    expect((await kit.call(key, 'POST', '/v1/clusters', { quoteId: late.quoteId, ...WORKLOAD })).body).toMatchObject({ status: 410, code: 'LEASING.QUOTE_EXPIRED' });
    expect((await kit.state(a)).status).toBe('terminated');
    // Cancelled before payment: ended with nothing used, and no agent was ever told anything.
    const unpaid = await kit.quote(customer, 1);
    await quoteSeen(unpaid.quoteId);
    const c = String((await kit.call(key, 'POST', '/v1/clusters', { quoteId: unpaid.quoteId, ...WORKLOAD })).body.clusterId);
    expect((await kit.call(key, 'DELETE', `/v1/clusters/${c}`)).body).toMatchObject({ status: 'terminated', terminationReason: 'customer_cancelled', hoursRemaining: 0 });
    expect((await kit.events(c)).find((e) => e.type === 'LeaseTerminated')).toMatchObject({ hoursUsed: 0, hoursRefundable: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await kit.mailbox.pending(unpaid.devices[0]!.deviceId)).toEqual([]);
  });

  it('dead-lettered none of the facts above (each one was understood)', async () => {
    const pool = kit.svc.app.get<Pool>(PG_POOL);
    expect((await pool.query<{ event_type: string; error_code: string }>(`select event_type, error_code from dead_letters`)).rows).toEqual([]);
  });
});
