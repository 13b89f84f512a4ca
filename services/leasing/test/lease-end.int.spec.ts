import { CLOCK, type Clock } from '@ionet/platform';
import { deleteTestTopics, testNamespace, waitFor } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { LeasingTestKit } from './support/leasing-test-kit';

const WORKLOAD = { name: 'serve', image: 'vllm/vllm-openai:v0.6.3', command: [], env: {}, ports: [8000] };

describe('leasing on an accelerated clock (an hour a wall second): the lease ends by itself at its end', () => {
  const kit = new LeasingTestKit(testNamespace('leasing-end'));
  const customer = randomUUID();
  let key: string;
  let clock: Clock;

  beforeAll(async () => {
    await kit.start({ CLOCK_RATE: '3600', CLOCK_ORIGIN: new Date().toISOString() });
    key = await kit.customerKey(customer);
    clock = kit.svc.app.get<Clock>(CLOCK);
  });

  afterAll(async () => {
    await kit.stop();
    await deleteTestTopics(kit.ns.topicPrefix);
  });

  it('creates a cluster from a quote whose ClusterMatched reaches leasing only after the POST (matching answered the customer first)', async () => {
    const quoteId = randomUUID();
    // The customer posts at once; matching's fact is still on its way.
    const posted = kit.call(key, 'POST', '/v1/clusters', { quoteId, ...WORKLOAD });
    await kit.quote(customer, 1, { hours: 1, quoteId, expiresAt: new Date(clock.now().getTime() + 10 * 86_400_000) });
    expect(await posted).toMatchObject({ status: 201, body: { status: 'awaiting_payment' } });
    // A quote that never comes is still a 404 problem, once the wait is over.
    expect((await kit.call(key, 'POST', '/v1/clusters', { quoteId: randomUUID(), ...WORKLOAD })).body).toMatchObject({ status: 404, code: 'LEASING.QUOTE_NOT_FOUND' });
  });

  it('completes an extended lease at its new end (not the old one), every hour used, and stops the agents', async () => {
    // The quote's window is on the platform clock: ten platform days are minutes of wall time.
    const quote = await kit.quote(customer, 2, { hours: 1, expiresAt: new Date(clock.now().getTime() + 10 * 86_400_000) });
    await waitFor('quote projected', async () => (await kit.leases.quote(quote.quoteId)) ?? undefined);
    const clusterId = String((await kit.call(key, 'POST', '/v1/clusters', { quoteId: quote.quoteId, ...WORKLOAD })).body.clusterId);
    await kit.funded(clusterId, customer);
    await waitFor('funded', async () => ((await kit.state(clusterId)).status === 'deploying' ? true : undefined));
    const extended = await kit.call(key, 'POST', `/v1/clusters/${clusterId}/extend`, { hours: 1 });
    expect(extended.status).toBe(200);
    const state = await kit.state(clusterId);
    expect(state.endsAt!.getTime() - state.activatedAt!.getTime()).toBe(2 * 3_600_000);

    const ended = await waitFor('completed', async () => {
      const s = await kit.state(clusterId);
      return s.status === 'completed' ? s : undefined;
    }, 20_000);
    // Not before its (moved) end, on the platform clock.
    expect(ended.endedAt!.getTime()).toBeGreaterThanOrEqual(state.endsAt!.getTime());
    expect((await kit.events(clusterId)).filter((e) => e.type === 'LeaseTerminated')).toEqual([expect.objectContaining({ reason: 'completed', hoursUsed: 2, hoursRefundable: 0 })]);
    for (const d of quote.devices) {
      await waitFor(`stop for ${d.deviceId}`, async () => ((await kit.mailbox.pending(d.deviceId)).some((x) => x.kind === 'stop') ? true : undefined));
      // The job item the agent never took is gone: an ended lease hands out nothing more.
      expect((await kit.mailbox.pending(d.deviceId)).filter((x) => x.kind === 'job')).toEqual([]);
    }
    expect((await kit.call(key, 'GET', `/v1/clusters/${clusterId}`)).body).toMatchObject({ status: 'completed', hoursRemaining: 0, durationHours: 2 });
  });
});
