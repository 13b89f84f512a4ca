import { deciderSpec } from '@ionet/testing';
import { computePriceOf, decideLease, evolveLease, HOUR_MS, initialLeaseState, rolesFor, type LeaseCommand, type LeaseEvent, type LeaseSlot, type QuoteTerms } from './lease.decider';

const spec = deciderSpec({ decide: decideLease, evolve: evolveLease, initialState: initialLeaseState });
const t0 = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const usdc = (n: bigint) => ({ amountBaseUnits: n, asset: 'USDC' });

const reservations = [
  { deviceId: 'd-1', supplierId: 's-1', gpuCount: 8, pricePerGpuHour: usdc(2_000_000n) },
  { deviceId: 'd-2', supplierId: 's-2', gpuCount: 4, pricePerGpuHour: usdc(1_500_000n) },
];
const quote: QuoteTerms = {
  quoteId: 'q-1',
  requestId: 'r-1',
  customerId: 'org-1',
  clusterType: 'ray',
  reservations,
  durationHours: 3,
  computePrice: usdc(66_000_000n),
  reservationFee: usdc(165_000n),
  paymentFee: usdc(1_320_000n),
  totalPrice: usdc(67_485_000n),
  expiresAt: at(20 * 60_000),
};
const workload = { name: 'train', image: 'rayproject/ray:2.9.0-gpu', command: ['python', 'train.py'], env: { A: '1' }, ports: [8265] };
const jobIds = { 'd-1': 'job-1', 'd-2': 'job-2' };
const slots: LeaseSlot[] = [
  { ...reservations[0]!, role: 'head', jobId: 'job-1' },
  { ...reservations[1]!, role: 'worker', jobId: 'job-2' },
];
const create = (overrides: Partial<Extract<LeaseCommand, { type: 'CreateLease' }>> = {}): LeaseCommand => ({ type: 'CreateLease', leaseId: 'l-1', quote, customerId: 'org-1', workload, jobIds, at: t0, ...overrides });

const created: LeaseEvent = {
  type: 'LeaseCreated',
  leaseId: 'l-1',
  requestId: 'r-1',
  quoteId: 'q-1',
  customerId: 'org-1',
  clusterType: 'ray',
  slots,
  durationHours: 3,
  computePrice: quote.computePrice,
  reservationFee: quote.reservationFee,
  paymentFee: quote.paymentFee,
  totalPrice: quote.totalPrice,
  workload,
  paymentDeadline: quote.expiresAt,
  at: t0,
};
const activatedAt = at(60_000);
const activated: LeaseEvent = { type: 'LeaseActivated', leaseId: 'l-1', customerId: 'org-1', endsAt: new Date(activatedAt.getTime() + 3 * HOUR_MS), at: activatedAt };
const dispatched = (jobId: string, deviceId: string, role: 'head' | 'worker'): LeaseEvent => ({ type: 'JobDispatched', leaseId: 'l-1', jobId, deviceId, role, image: workload.image, at: at(61_000) });
const jobStatus = (jobId: string, deviceId: string, status: 'accepted' | 'started' | 'failed' | 'exited', ms = 62_000, exitCode: number | null = null, detail = ''): LeaseEvent => ({
  type: 'LeaseJobStatusChanged',
  leaseId: 'l-1',
  jobId,
  deviceId,
  status,
  exitCode,
  detail,
  at: at(ms),
});
const running: LeaseEvent = { type: 'LeaseJobsStarted', leaseId: 'l-1', customerId: 'org-1', at: at(63_000) };
const deploying = [created, activated, dispatched('job-1', 'd-1', 'head'), dispatched('job-2', 'd-2', 'worker')];
const live = [...deploying, jobStatus('job-1', 'd-1', 'started'), jobStatus('job-2', 'd-2', 'started'), running];
const report = (jobId: string, kind: Extract<LeaseCommand, { type: 'RecordJobEvent' }>['kind'], ms = 63_000, exitCode: number | null = null, text = ''): LeaseCommand => ({ type: 'RecordJobEvent', jobId, kind, exitCode, text, at: at(ms) });

describe('lease decider', () => {
  describe('creation from a quote', () => {
    it('makes the lease with its slots: a Ray cluster is a head and workers, each with its job id', () => {
      spec.given([]).when(create()).then([created]);
    });

    it('gives Kubernetes and container clusters nodes', () => {
      expect(rolesFor('kubernetes', 3)).toEqual(['node', 'node', 'node']);
      expect(rolesFor('container', 1)).toEqual(['node']);
      expect(rolesFor('mega_ray', 3)).toEqual(['head', 'worker', 'worker']);
    });

    it('refuses a quote that is already a cluster (the lease id derives from the quote)', () => {
      spec.given([created]).when(create()).thenRefused('LEASING.QUOTE_ALREADY_USED');
    });

    it('refuses a quote at or past its expiry', () => {
      spec.given([]).when(create({ at: quote.expiresAt })).thenRefused('LEASING.QUOTE_EXPIRED');
    });
  });

  describe('funding', () => {
    it('activates once funded: the clock starts, the end is the booked hours later', () => {
      spec.given([created]).when({ type: 'ActivateLease', at: activatedAt }).then([activated]);
    });

    it('activates nothing twice (an extension funded, a redelivered decision)', () => {
      spec.given([created, activated]).when({ type: 'ActivateLease', at: at(90_000) }).then([]);
    });

    it('ends an unpaid lease when its funding fails: nothing used, nothing to refund', () => {
      spec
        .given([created])
        .when({ type: 'FailFunding', at: at(120_000) })
        .then([{ type: 'LeaseTerminated', leaseId: 'l-1', customerId: 'org-1', reason: 'funding_failed', hoursUsed: 0, hoursRefundable: 0, at: at(120_000) }]);
    });

    it('ignores a funding failure once funded', () => {
      spec.given([created, activated]).when({ type: 'FailFunding', at: at(120_000) }).then([]);
    });

    it('ends a lease still unpaid at the payment deadline, not a moment before', () => {
      spec.given([created]).when({ type: 'ExpirePaymentWindow', at: at(20 * 60_000 - 1) }).then([]);
      spec
        .given([created])
        .when({ type: 'ExpirePaymentWindow', at: quote.expiresAt })
        .then([{ type: 'LeaseTerminated', leaseId: 'l-1', customerId: 'org-1', reason: 'funding_failed', hoursUsed: 0, hoursRefundable: 0, at: quote.expiresAt }]);
    });

    it('never lets the payment window end a funded lease', () => {
      spec.given([created, activated]).when({ type: 'ExpirePaymentWindow', at: at(30 * 60_000) }).then([]);
    });
  });

  describe('dispatch and job reports', () => {
    it('records a dispatch once per job, only once funded', () => {
      spec.given([created]).when({ type: 'RecordDispatch', jobId: 'job-1', at: at(61_000) }).then([]);
      spec.given([created, activated]).when({ type: 'RecordDispatch', jobId: 'job-1', at: at(61_000) }).then([dispatched('job-1', 'd-1', 'head')]);
      spec.given(deploying).when({ type: 'RecordDispatch', jobId: 'job-1', at: at(70_000) }).then([]);
    });

    it("follows the agent's reports forward only: accepted, started; a late accepted changes nothing", () => {
      spec.given(deploying).when(report('job-1', 'accepted', 62_000)).then([jobStatus('job-1', 'd-1', 'accepted')]);
      spec.given([...deploying, jobStatus('job-1', 'd-1', 'started')]).when(report('job-1', 'accepted')).then([]);
      spec.given(deploying).when(report('job-1', 'log')).then([]);
    });

    it('records the hand-over first when the agent reports on a job its dispatch job has not recorded yet (the fast path won)', () => {
      spec
        .given([created, activated])
        .when(report('job-1', 'accepted', 62_000))
        .then([{ ...dispatched('job-1', 'd-1', 'head'), at: at(62_000) }, jobStatus('job-1', 'd-1', 'accepted')]);
      // The dispatch job that runs afterwards finds it taken: nothing twice.
      spec.given([created, activated, { ...dispatched('job-1', 'd-1', 'head'), at: at(62_000) }, jobStatus('job-1', 'd-1', 'accepted')]).when({ type: 'RecordDispatch', jobId: 'job-1', at: at(63_000) }).then([]);
      // Before funding no job was handed out: a report then records no hand-over.
      spec.given([created]).when(report('job-1', 'accepted', 62_000)).then([jobStatus('job-1', 'd-1', 'accepted')]);
    });

    it('is running once every job started', () => {
      spec.given([...deploying, jobStatus('job-1', 'd-1', 'started')]).when(report('job-2', 'started', 63_000)).then([jobStatus('job-2', 'd-2', 'started', 63_000), running]);
      spec.given(deploying).when(report('job-1', 'running', 62_000)).then([jobStatus('job-1', 'd-1', 'started', 62_000)]);
    });

    it("records a failed start with the agent's reason, and a non-zero exit as failed", () => {
      spec.given(deploying).when(report('job-2', 'failed_to_start', 62_000, null, 'image not found')).then([jobStatus('job-2', 'd-2', 'failed', 62_000, null, 'image not found')]);
      spec.given(live).when(report('job-2', 'exited', 62_000, 137)).then([jobStatus('job-2', 'd-2', 'failed', 62_000, 137)]);
      spec.given(live).when(report('job-2', 'exited', 62_000, 0)).then([jobStatus('job-2', 'd-2', 'exited', 62_000, 0)]);
    });

    it('marks a job never accepted after the retries as unacknowledged', () => {
      spec
        .given(deploying)
        .when({ type: 'MarkJobUnacknowledged', jobId: 'job-2', attempts: 8, at: at(200_000) })
        .then([{ type: 'LeaseJobStatusChanged', leaseId: 'l-1', jobId: 'job-2', deviceId: 'd-2', status: 'unacknowledged', exitCode: null, detail: 'no accepted after 8 deliveries', at: at(200_000) }]);
      spec.given([...deploying, jobStatus('job-2', 'd-2', 'accepted')]).when({ type: 'MarkJobUnacknowledged', jobId: 'job-2', attempts: 8, at: at(200_000) }).then([]);
    });
  });

  describe('metering', () => {
    const hour = (deviceId: string, hourIndex: number, outcome: 'proven' | 'unproven'): LeaseCommand => ({
      type: 'CompleteHour',
      deviceId,
      hourIndex,
      outcome,
      hourStart: at(60_000 + hourIndex * HOUR_MS),
      hourEnd: at(60_000 + (hourIndex + 1) * HOUR_MS),
      verificationEventId: `v-${deviceId}-${hourIndex}`,
      at: at(60_000 + (hourIndex + 1) * HOUR_MS + 300_000),
    });
    const completed = (deviceId: string, hourIndex: number, outcome: 'proven' | 'unproven'): LeaseEvent => {
      const slot = slots.find((s) => s.deviceId === deviceId)!;
      return {
        type: 'LeaseHourCompleted',
        leaseId: 'l-1',
        customerId: 'org-1',
        deviceId,
        supplierId: slot.supplierId,
        hourIndex,
        gpuCount: slot.gpuCount,
        pricePerGpuHour: slot.pricePerGpuHour,
        hourStart: at(60_000 + hourIndex * HOUR_MS),
        hourEnd: at(60_000 + (hourIndex + 1) * HOUR_MS),
        outcome,
        verificationEventId: `v-${deviceId}-${hourIndex}`,
        at: at(60_000 + (hourIndex + 1) * HOUR_MS + 300_000),
      };
    };

    it('completes a proven hour (charged) and a violated one (refunded), saying which', () => {
      spec.given(live).when(hour('d-1', 0, 'proven')).then([completed('d-1', 0, 'proven')]);
      spec.given(live).when(hour('d-2', 0, 'unproven')).then([completed('d-2', 0, 'unproven')]);
    });

    it('completes each device-hour once, whatever verdict comes again', () => {
      spec.given([...live, completed('d-1', 0, 'proven')]).when(hour('d-1', 0, 'unproven')).then([]);
    });

    it('refuses an hour of a device that never served the lease, or of a lease never funded', () => {
      spec.given(live).when(hour('d-9', 0, 'proven')).thenRefused('LEASING.UNKNOWN_DEVICE');
      spec.given([created]).when(hour('d-1', 0, 'proven')).thenRefused('LEASING.CLUSTER_NOT_ACTIVE');
    });

    it('meters no hour beyond the booked ones', () => {
      spec.given(live).when(hour('d-1', 3, 'proven')).then([]);
    });

    it('still meters hours verified after the lease ended', () => {
      const ended: LeaseEvent = { type: 'LeaseTerminated', leaseId: 'l-1', customerId: 'org-1', reason: 'completed', hoursUsed: 3, hoursRefundable: 0, at: at(3 * HOUR_MS + 60_000) };
      spec.given([...live, ended]).when(hour('d-1', 2, 'proven')).then([completed('d-1', 2, 'proven')]);
    });
  });

  describe('extension', () => {
    it('prices the added hours like the original (the same devices and prices) and moves the end', () => {
      const price = computePriceOf(slots, 2, 'USDC');
      expect(price).toEqual(usdc((8n * 2_000_000n + 4n * 1_500_000n) * 2n));
      spec
        .given(live)
        .when({ type: 'ExtendLease', hours: 2, at: at(HOUR_MS) })
        .then([{ type: 'LeaseExtended', leaseId: 'l-1', customerId: 'org-1', additionalHours: 2, additionalPrice: price, newEndsAt: new Date(activatedAt.getTime() + 5 * HOUR_MS), at: at(HOUR_MS) }]);
    });

    it('refuses to extend before funding, after the end, or by no whole hour', () => {
      spec.given([created]).when({ type: 'ExtendLease', hours: 1, at: at(HOUR_MS) }).thenRefused('LEASING.CLUSTER_NOT_ACTIVE');
      spec.given([...live, { type: 'LeaseTerminated', leaseId: 'l-1', customerId: 'org-1', reason: 'customer_cancelled', hoursUsed: 1, hoursRefundable: 2, at: at(HOUR_MS) }]).when({ type: 'ExtendLease', hours: 1, at: at(HOUR_MS) }).thenRefused('LEASING.CLUSTER_ENDED');
      spec.given(live).when({ type: 'ExtendLease', hours: 0, at: at(HOUR_MS) }).thenRefused('LEASING.INVALID_HOURS');
      spec.given(live).when({ type: 'ExtendLease', hours: 1.5, at: at(HOUR_MS) }).thenRefused('LEASING.INVALID_HOURS');
    });
  });

  describe('termination and completion', () => {
    const terminatedAt = (ms: number, hoursUsed: number, hoursRefundable: number): LeaseEvent => ({ type: 'LeaseTerminated', leaseId: 'l-1', customerId: 'org-1', reason: 'customer_cancelled', hoursUsed, hoursRefundable, at: at(ms) });

    it('refunds the unused hours except the first: ten minutes in, one hour used, two refundable', () => {
      spec.given(live).when({ type: 'TerminateLease', reason: 'customer_cancelled', at: at(60_000 + 10 * 60_000) }).then([terminatedAt(60_000 + 10 * 60_000, 1, 2)]);
    });

    it('counts a started hour as used: an hour and a minute in, two used, one refundable', () => {
      spec.given(live).when({ type: 'TerminateLease', reason: 'customer_cancelled', at: at(60_000 + HOUR_MS + 60_000) }).then([terminatedAt(60_000 + HOUR_MS + 60_000, 2, 1)]);
    });

    it('counts the extended hours as refundable when unused', () => {
      const extended: LeaseEvent = { type: 'LeaseExtended', leaseId: 'l-1', customerId: 'org-1', additionalHours: 2, additionalPrice: computePriceOf(slots, 2, 'USDC'), newEndsAt: at(60_000 + 5 * HOUR_MS), at: at(HOUR_MS) };
      spec.given([...live, extended]).when({ type: 'TerminateLease', reason: 'customer_cancelled', at: at(60_000 + 90 * 60_000) }).then([terminatedAt(60_000 + 90 * 60_000, 2, 3)]);
    });

    it('terminates an unpaid lease with nothing used', () => {
      spec.given([created]).when({ type: 'TerminateLease', reason: 'customer_cancelled', at: at(120_000) }).then([terminatedAt(120_000, 0, 0)]);
    });

    it('terminates nothing twice (a repeated DELETE)', () => {
      spec.given([...live, terminatedAt(HOUR_MS, 1, 2)]).when({ type: 'TerminateLease', reason: 'customer_cancelled', at: at(HOUR_MS + 1) }).then([]);
    });

    it('completes at the end with every hour used, not before', () => {
      const end = activatedAt.getTime() + 3 * HOUR_MS;
      spec.given(live).when({ type: 'CompleteLease', at: new Date(end - 1) }).then([]);
      spec
        .given(live)
        .when({ type: 'CompleteLease', at: new Date(end) })
        .then([{ type: 'LeaseTerminated', leaseId: 'l-1', customerId: 'org-1', reason: 'completed', hoursUsed: 3, hoursRefundable: 0, at: new Date(end) }]);
    });
  });

  describe('replacement', () => {
    const replacement = { deviceId: 'd-3', supplierId: 's-3', gpuCount: 4, pricePerGpuHour: usdc(1_400_000n) };
    const replaced: LeaseEvent = { type: 'LeaseDeviceReplaced', leaseId: 'l-1', failedDeviceId: 'd-2', replacement: { ...replacement, role: 'worker', jobId: 'job-3' }, at: at(HOUR_MS) };

    it("gives the new device the failed device's role under a job of its own", () => {
      spec.given(live).when({ type: 'ReplaceDevice', failedDeviceId: 'd-2', replacement, jobId: 'job-3', at: at(HOUR_MS) }).then([replaced]);
    });

    it('replaces a device once, and never one that is not in the lease', () => {
      spec.given([...live, replaced]).when({ type: 'ReplaceDevice', failedDeviceId: 'd-2', replacement, jobId: 'job-3', at: at(HOUR_MS) }).then([]);
      spec.given(live).when({ type: 'ReplaceDevice', failedDeviceId: 'd-9', replacement, jobId: 'job-3', at: at(HOUR_MS) }).then([]);
    });

    it('deploys again until the replacement started, then runs; the failed job reports nothing more', () => {
      const state = [...live, replaced].reduce(evolveLease, initialLeaseState);
      expect(state.status).toBe('deploying');
      spec.given([...live, replaced]).when(report('job-2', 'stopped')).then([]);
      spec
        .given([...live, replaced, { type: 'JobDispatched', leaseId: 'l-1', jobId: 'job-3', deviceId: 'd-3', role: 'worker', image: workload.image, at: at(HOUR_MS) }])
        .when(report('job-3', 'started', HOUR_MS + 5_000))
        .then([jobStatus('job-3', 'd-3', 'started', HOUR_MS + 5_000), { ...running, at: at(HOUR_MS + 5_000) }]);
    });

    it("meters the replacement's hours at its own price", () => {
      spec
        .given([...live, replaced])
        .when({ type: 'CompleteHour', deviceId: 'd-3', hourIndex: 1, outcome: 'proven', hourStart: at(HOUR_MS), hourEnd: at(2 * HOUR_MS), verificationEventId: 'v', at: at(2 * HOUR_MS) })
        .then([
          {
            type: 'LeaseHourCompleted',
            leaseId: 'l-1',
            customerId: 'org-1',
            deviceId: 'd-3',
            supplierId: 's-3',
            hourIndex: 1,
            gpuCount: 4,
            pricePerGpuHour: usdc(1_400_000n),
            hourStart: at(HOUR_MS),
            hourEnd: at(2 * HOUR_MS),
            outcome: 'proven',
            verificationEventId: 'v',
            at: at(2 * HOUR_MS),
          },
        ]);
    });
  });
});
