import { PROBLEM_CONTENT_TYPE } from '@ionet/platform';
import { AgentFleet, devicesReach, untilAnswer, type DemandAgent } from '../support/demand';
import { gatewayClient, type Answer } from '../support/gateway-client';
import { keyIssuer, type IssuedKey } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;
/** Two platform hours a wall minute: a lease-hour passes in 30 s. */
const CLOCK_RATE = 120;
const HOUR_WALL_MS = 3_600_000 / CLOCK_RATE;
/** A killed agent is silent (offline) after this many wall milliseconds without a heartbeat; it is
 *  also the longest gap a proven lease-hour may have, from its start (the funding) to the first
 *  heartbeat that carries the lease: the dispatch on a loaded machine must fit in it. */
const GAP_TOLERANCE_WALL_MS = 12_000;
const AGENTS = 3;
/** Booked hours: four wall minutes, so the lease is still running when the customer extends it
 *  after the first hour was proven and charged (two hours were not enough under load). */
const LEASE_HOURS = 8;
const GPUS_PER_AGENT = 2;
/** Generous deadlines (upper bounds only): the machine is shared and at times loaded far past its two cores. */
const STEP_MS = 180_000;
const WORKLOAD = { name: 'journey', image: 'rayproject/ray:2.9.0-gpu', command: ['sleep', '600'], env: { EPOCHS: '3' }, ports: [8265] };

interface Worker {
  deviceId: string;
  role: string;
  jobStatus: string;
  provenHours: number;
  unprovenHours: number;
}

/**
 * The whole demand side through the gateway, against every service as a real process and real
 * `ionet-agent` processes with simulated GPUs, on a clock that runs 120 times wall time: a supplier
 * enrolls three agents (their devices qualify by proof of work and uptime), a customer searches,
 * is refused an unplaceable cluster with the explain, quotes two devices, deposits, creates the
 * cluster; the lease is funded, each agent's long poll gets its job, acknowledges and runs it; a
 * lease-hour passes and is proven by the heartbeats and charged; the customer extends; one agent
 * is SIGKILLed, its device goes offline, matching reserves the third device and its agent gets the
 * job; the customer terminates, every agent is told to stop and the devices are free again.
 */
describe('the demand journey: search, quote, pay, run on real agents, meter, extend, replace, terminate', () => {
  let stack: RunningStack;
  let fleet: AgentFleet;
  let customer: IssuedKey;
  let supplier: IssuedKey;

  beforeAll(async () => {
    stack = await launchStack({
      label: 'e2e-demand-journey',
      services: ['billing', 'ledger', 'inventory', 'verification', 'matching', 'leasing'],
      env: {
        CLOCK_RATE: String(CLOCK_RATE),
        CLOCK_ORIGIN: new Date().toISOString(),
        // Ten platform minutes of uptime (five wall seconds) and a passed proof of work qualify.
        VERIFICATION_QUALIFY_UPTIME_MS: '600000',
        VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS: String(GAP_TOLERANCE_WALL_MS),
        // Simulated GPUs get the small CPU-sized proof of work; on a machine loaded far past its
        // cores even that took 55 s against a 30 s bound (three failures disqualify): smaller work
        // and a bound that holds under load. The proof-of-work rules have their own tests.
        VERIFICATION_POW_TABLE: JSON.stringify({ simulated: { difficultyBits: 8, memoryMib: 2, memoryReads: 10_000, solveMsMax: 300_000, deadlineMs: 600_000 } }),
        // A quote holds a platform day (12 wall minutes): the steps between quote and payment are
        // not raced against the accelerated clock here (the 20-minute window has its own tests).
        QUOTE_HOLD_SECONDS: '86400',
      },
    });
    const issuer = keyIssuer(stack);
    [customer, supplier] = await Promise.all([issuer.organizationWithKey('Journey Customer', 'customer', 'customer'), issuer.organizationWithKey('Journey Supplier', 'supplier', 'supplier')]);
    fleet = new AgentFleet(stack.gatewayUrl, supplier.key, { gpus: `H100x${GPUS_PER_AGENT}`, country: 'DE', region: 'eu-central', heartbeatIntervalS: 2, workWaitMs: 5_000 });
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await fleet?.stopAll();
    await stack?.stop();
  }, 60_000);

  const failWith = (err: unknown): never => {
    throw new Error(`${(err as Error).message}\n${fleet.output()}\n${stack.logs().split('\n').slice(-120).join('\n')}`);
  };

  it('walks the whole flow through the gateway with real agents', async () => {
    try {
      await journey();
    } catch (err) {
      failWith(err);
    }
  }, 10 * 60_000);

  async function journey(): Promise<void> {
    const customerApi = gatewayClient(stack.gatewayUrl, customer.key);
    const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);

    // Supply: three agents enroll and run; each device passes its proof of work and qualifies.
    const agents = await fleet.enroll('Journey Compute', AGENTS);
    for (const a of agents) fleet.run(a);
    await devicesReach(stack.gatewayUrl, supplier.key, agents.map((a) => a.deviceId), 'cluster_ready', STEP_MS);

    // Search: the hardware list and filtered offers (matching's projection catches up).
    const hardware = await untilAnswer('three H100 devices in /v1/hardware', () => customerApi.call('GET', '/v1/hardware?countryCode=DE'), (a) => (a.body.items as Array<{ availableDevices: number }> | undefined)?.[0]?.availableDevices === AGENTS, STEP_MS);
    expect(hardware.body.items).toEqual([expect.objectContaining({ gpuModel: 'H100-80GB', availableDevices: AGENTS, availableGpus: AGENTS * GPUS_PER_AGENT, countries: ['DE'] })]);
    const offers = await customerApi.call('GET', '/v1/offers?gpuModel=H100-80GB&countryCode=DE&sort=price');
    expect(offers.status).toBe(200);
    expect((offers.body.items as Array<{ deviceId: string }>).map((o) => o.deviceId).sort()).toEqual(agents.map((a) => a.deviceId).sort());
    expect((await customerApi.call('GET', '/v1/offers?gpuModel=H100-80GB&gpuCountMin=4')).body.items).toEqual([]);
    expect((await customerApi.call('GET', '/v1/offers?countryCode=US')).body.items).toEqual([]);

    // An unplaceable request: 422 with the explain (the country filter left nothing; DE would place it).
    const ask = { clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: 2 * GPUS_PER_AGENT, durationHours: LEASE_HOURS, paymentAsset: 'USDC' };
    const refused = await customerApi.call('POST', '/v1/quotes', { ...ask, countryCodes: ['US'] });
    expect(refused.status).toBe(422);
    expect(refused.contentType).toContain(PROBLEM_CONTENT_TYPE);
    expect(refused.body.code).toBe('MATCHING.UNMATCHABLE');
    const explain = refused.body.explain as { steps: Array<{ filter: string; devicesLeft: number }>; alternatives: Array<{ change: string; value: unknown }> };
    expect(explain.steps.find((s) => s.filter === 'countryCodes')?.devicesLeft).toBe(0);
    expect(explain.alternatives).toContainEqual(expect.objectContaining({ change: 'countryCodes', value: ['DE'] }));

    // The quote: two devices held (a head and a worker), the price broken down.
    const quote = await customerApi.call('POST', '/v1/quotes', { ...ask, countryCodes: ['DE'] });
    expect(quote.status).toBe(201);
    const held = quote.body.devices as Array<{ deviceId: string; role: string; gpuCount: number }>;
    expect(held.map((d) => d.role)).toEqual(['head', 'worker']);
    const price = quote.body.price as Record<'compute' | 'reservationFee' | 'paymentFee' | 'total', { amountBaseUnits: string; asset: string }>;
    expect(BigInt(price.compute.amountBaseUnits) + BigInt(price.reservationFee.amountBaseUnits) + BigInt(price.paymentFee.amountBaseUnits)).toBe(BigInt(price.total.amountBaseUnits));
    expect(BigInt(price.reservationFee.amountBaseUnits)).toBeGreaterThan(0n);
    const spare = agents.find((a) => !held.some((d) => d.deviceId === a.deviceId))!;
    // Held devices are no longer offered.
    await untilAnswer('only the spare offered', () => customerApi.call('GET', '/v1/offers?gpuModel=H100-80GB'), (a) => (a.body.items as Array<{ deviceId: string }>).map((o) => o.deviceId).join() === spare.deviceId, STEP_MS);

    // Money: ops credit the customer (more than the total, for the extension), then the cluster.
    const total = BigInt(price.total.amountBaseUnits);
    const deposit = await ops.call('POST', '/v1/deposits', { organizationId: customer.tenantId, asset: 'USDC', amountBaseUnits: (total * 3n).toString() });
    expect(deposit.status).toBe(201);
    await untilAnswer('the deposit available', () => customerApi.call('GET', '/v1/balances'), (a) => JSON.stringify(a.body).includes((total * 3n).toString()), STEP_MS);
    // Leasing learns the quote from matching's ClusterMatched, a moment after the quote's answer:
    // until then the quote is not found there (a 404 creates nothing; asked again).
    const created = await untilAnswer('the cluster created', () => customerApi.call('POST', '/v1/clusters', { quoteId: quote.body.quoteId, ...WORKLOAD }), (a) => a.status !== 404, STEP_MS);
    expect(created).toMatchObject({ status: 201, body: { status: 'awaiting_payment' } });
    const clusterId = created.body.clusterId as string;
    const cluster = () => customerApi.call('GET', `/v1/clusters/${clusterId}`);
    const workers = async () => (await customerApi.call('GET', `/v1/clusters/${clusterId}/workers`)).body.items as Worker[];
    const workersAnswer = () => customerApi.call('GET', `/v1/clusters/${clusterId}/workers`);

    // Funded by the ledger; every job handed to its agent's long poll, acknowledged, running.
    const running = await untilAnswer('the cluster running', cluster, (a) => a.body.status === 'running', STEP_MS);
    expect(running.body).toMatchObject({ status: 'running', fundedAt: expect.any(String), dispatchedAt: expect.any(String), durationHours: LEASE_HOURS });
    expect((running.body.devices as Array<{ deviceId: string }>).map((d) => d.deviceId)).toEqual(held.map((d) => d.deviceId));
    expect((await workers()).map((w) => [w.deviceId, w.role, w.jobStatus])).toEqual(held.map((d) => [d.deviceId, d.role, 'started']));
    for (const d of held) {
      const agent = fleet.byDevice(d.deviceId).process!;
      await agent.line('the job accepted', (l) => /job/i.test(l.message) && JSON.stringify(l).includes(clusterId), STEP_MS);
    }
    await devicesReach(stack.gatewayUrl, supplier.key, held.map((d) => d.deviceId), 'leased', STEP_MS);

    // An hour passes on the accelerated clock: each device's heartbeats prove it (verification's
    // verdict, with the chain it read), leasing meters it, billing charges it.
    const proof = await untilAnswer(
      'hour 0 decided for both devices',
      () => customerApi.call('GET', `/v1/proofs/lease-hours/${clusterId}/0`),
      (a) => a.status === 200 && (a.body.devices as Array<{ verdict: string }>).every((d) => d.verdict !== 'pending'),
      HOUR_WALL_MS + STEP_MS,
    );
    const verdicts = proof.body.devices as Array<{ deviceId: string; verdict: string; detail: string | null; heartbeats: unknown[] }>;
    expect(verdicts.map((d) => [d.deviceId, d.verdict, d.detail])).toEqual(held.map((d) => [d.deviceId, 'verified', null]).sort());
    for (const d of verdicts) expect(d.heartbeats.length).toBeGreaterThan(0);
    const proven = (await untilAnswer('hour 0 metered on every device', () => customerApi.call('GET', `/v1/clusters/${clusterId}/workers`), (a) => (a.body.items as Worker[]).every((w) => w.provenHours === 1), STEP_MS)).body.items as Worker[];
    expect(proven.map((w) => [w.provenHours, w.unprovenHours])).toEqual(held.map(() => [1, 0]));
    const charges = await untilAnswer('two charged device-hours', () => customerApi.call('GET', '/v1/transactions?type=charge'), (a) => (a.body.items as Array<{ leaseId: string }> | undefined)?.filter((t) => t.leaseId === clusterId).length === held.length, STEP_MS);
    expect((charges.body.items as Array<{ leaseId: string; hourIndex: number; deviceId: string }>).map((t) => [t.hourIndex, t.deviceId]).sort()).toEqual(held.map((d) => [0, d.deviceId]).sort());

    // The customer extends by one hour: priced like the original, the end moves.
    const endsAt = Date.parse((await cluster()).body.endsAt as string);
    const extended = await customerApi.call('POST', `/v1/clusters/${clusterId}/extend`, { hours: 1 });
    expect(extended).toMatchObject({ status: 200, body: { durationHours: LEASE_HOURS + 1 } });
    expect(Date.parse(extended.body.endsAt as string)).toBe(endsAt + 3_600_000);

    // An agent dies (SIGKILL): its device goes offline, matching reserves the spare, and the
    // spare's agent gets the failed worker's job.
    const victim: DemandAgent = fleet.byDevice(held[1]!.deviceId);
    await victim.process!.stop('SIGKILL');
    await devicesReach(stack.gatewayUrl, supplier.key, [victim.deviceId], 'offline', STEP_MS);
    const replaced = await untilAnswer('the spare in the cluster', cluster, (a) => (a.body.devices as Array<{ deviceId: string }>).some((d) => d.deviceId === spare.deviceId), STEP_MS);
    expect((replaced.body.devices as Array<{ deviceId: string; role: string }>).map((d) => [d.deviceId, d.role])).toEqual([
      [held[0]!.deviceId, 'head'],
      [spare.deviceId, 'worker'],
    ]);
    await spare.process!.line('the replacement job', (l) => JSON.stringify(l).includes(clusterId), STEP_MS);
    await untilAnswer('running again with the replacement', cluster, (a) => a.body.status === 'running', STEP_MS);
    expect((await workers()).find((w) => w.deviceId === spare.deviceId)).toMatchObject({ role: 'worker', jobStatus: 'started' });

    // The replacement's hours run from its first full hour (ADR 0413): the hour before it is the
    // failed device's (cut at the replacement), the first full one is proven by the spare's own
    // heartbeats, metered and charged; its partial first hour is nobody's violation.
    type HourProof = { devices: Array<{ deviceId: string; verdict: string; detail: string | null; heartbeats: unknown[] }> };
    const proofOf = (hour: number) => customerApi.call('GET', `/v1/proofs/lease-hours/${clusterId}/${hour}`);
    const holding = async (): Promise<Answer> => {
      for (let hour = 1; hour <= LEASE_HOURS; hour++) {
        const a = await proofOf(hour);
        if (a.status === 200 && (a.body as HourProof).devices.some((d) => d.deviceId === spare.deviceId)) return { ...a, body: { ...a.body, hourIndex: hour } };
      }
      return { status: 404, contentType: '', body: {} };
    };
    const firstFull = (await untilAnswer("the replacement's first full hour in the proofs", holding, (a) => a.status === 200, STEP_MS)).body.hourIndex as number;
    const before = (await proofOf(firstFull - 1)).body as HourProof;
    expect(before.devices.map((d) => d.deviceId).sort()).toEqual([held[0]!.deviceId, victim.deviceId].sort());
    const decided = await untilAnswer(
      `hour ${firstFull} decided for the head and the replacement`,
      () => proofOf(firstFull),
      (a) => a.status === 200 && (a.body as HourProof).devices.every((d) => d.verdict !== 'pending'),
      2 * HOUR_WALL_MS + STEP_MS,
    );
    expect((decided.body as HourProof).devices.map((d) => [d.deviceId, d.verdict, d.detail]).sort()).toEqual([
      [held[0]!.deviceId, 'verified', null],
      [spare.deviceId, 'verified', null],
    ].sort());
    const metered = await untilAnswer("the replacement's hour metered", workersAnswer, (a) => (a.body.items as Worker[]).some((w) => w.deviceId === spare.deviceId && w.provenHours >= 1), STEP_MS);
    expect((metered.body.items as Worker[]).find((w) => w.deviceId === spare.deviceId)).toMatchObject({ unprovenHours: 0 });
    await untilAnswer(
      "the replacement's hour charged",
      () => customerApi.call('GET', '/v1/transactions?type=charge'),
      (a) => ((a.body.items as Array<{ leaseId: string; hourIndex: number; deviceId: string }> | undefined) ?? []).some((t) => t.leaseId === clusterId && t.deviceId === spare.deviceId && t.hourIndex === firstFull),
      STEP_MS,
    );

    // The customer terminates: every live agent is told to stop, the devices are free again.
    const terminated = await customerApi.call('DELETE', `/v1/clusters/${clusterId}`);
    expect(terminated).toMatchObject({ status: 200, body: { status: 'terminated', terminationReason: 'customer_cancelled' } });
    for (const id of [held[0]!.deviceId, spare.deviceId]) {
      await fleet.byDevice(id).process!.line('the stop', (l) => /stop/i.test(l.message) && JSON.stringify(l).includes('job'), STEP_MS);
    }
    await devicesReach(stack.gatewayUrl, supplier.key, [held[0]!.deviceId, spare.deviceId], 'cluster_ready', STEP_MS);
    const freed: Answer = await untilAnswer('the two live devices offered again', () => customerApi.call('GET', '/v1/offers?gpuModel=H100-80GB'), (a) => (a.body.items as unknown[]).length === 2, STEP_MS);
    expect((freed.body.items as Array<{ deviceId: string }>).map((o) => o.deviceId).sort()).toEqual([held[0]!.deviceId, spare.deviceId].sort());
  }
});
