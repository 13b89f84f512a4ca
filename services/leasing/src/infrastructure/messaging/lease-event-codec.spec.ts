import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { decideLease, evolveLease, HOUR_MS, initialLeaseState, type LeaseCommand, type LeaseEvent } from '../../domain/lease.decider';
import { leaseEventCodec } from './lease-event-codec';

const t0 = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const usdc = (n: bigint) => ({ amountBaseUnits: n, asset: 'USDC' });

/** Every event type through the wire and back, as a lease's life produces them. */
function lifeOfALease(): LeaseEvent[] {
  const commands: LeaseCommand[] = [
    {
      type: 'CreateLease',
      leaseId: 'l-1',
      customerId: 'org-1',
      jobIds: { 'd-1': 'job-1', 'd-2': 'job-2' },
      workload: { name: 'n', image: 'img:1', command: ['a', 'b'], env: { K: 'v' }, ports: [80, 443] },
      quote: {
        quoteId: 'q-1',
        requestId: 'r-1',
        customerId: 'org-1',
        clusterType: 'ray',
        reservations: [
          { deviceId: 'd-1', supplierId: 's-1', gpuCount: 1, pricePerGpuHour: usdc(123n) },
          { deviceId: 'd-2', supplierId: 's-2', gpuCount: 2, pricePerGpuHour: usdc(456n) },
        ],
        durationHours: 2,
        computePrice: usdc(2070n),
        reservationFee: usdc(5n),
        paymentFee: usdc(41n),
        totalPrice: usdc(2116n),
        expiresAt: at(1_200_000),
      },
      at: t0,
    },
    { type: 'ActivateLease', at: at(1000) },
    { type: 'RecordDispatch', jobId: 'job-1', at: at(1001) },
    { type: 'RecordDispatch', jobId: 'job-2', at: at(1002) },
    { type: 'RecordJobEvent', jobId: 'job-1', kind: 'started', exitCode: null, text: '', at: at(1003) },
    { type: 'RecordJobEvent', jobId: 'job-2', kind: 'started', exitCode: null, text: '', at: at(1004) },
    { type: 'CompleteHour', deviceId: 'd-1', hourIndex: 0, outcome: 'proven', hourStart: at(1000), hourEnd: at(1000 + HOUR_MS), verificationEventId: 'e-1', at: at(2 * HOUR_MS) },
    { type: 'ExtendLease', hours: 1, at: at(2 * HOUR_MS) },
    { type: 'ReplaceDevice', failedDeviceId: 'd-2', replacement: { deviceId: 'd-3', supplierId: 's-3', gpuCount: 2, pricePerGpuHour: usdc(400n) }, jobId: 'job-3', at: at(2 * HOUR_MS) },
    { type: 'RecordJobEvent', jobId: 'job-3', kind: 'exited', exitCode: 2, text: '', at: at(2 * HOUR_MS + 1) },
    { type: 'TerminateLease', reason: 'customer_cancelled', at: at(2 * HOUR_MS + 2) },
  ];
  const events: LeaseEvent[] = [];
  let state = initialLeaseState;
  for (const c of commands) {
    for (const e of decideLease(c, state)) {
      events.push(e);
      state = evolveLease(state, e);
    }
  }
  return events;
}

describe('lease event codec', () => {
  it('round-trips every event of a lease exactly (money as bigint base units, dates, roles, job ids)', () => {
    const events = lifeOfALease();
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(['LeaseCreated', 'LeaseActivated', 'JobDispatched', 'LeaseJobStatusChanged', 'LeaseJobsStarted', 'LeaseHourCompleted', 'LeaseExtended', 'LeaseDeviceReplaced', 'LeaseTerminated']),
    );
    for (const e of events) {
      // Through the bytes on Kafka, as a consumer reads them.
      const encoded = leaseEventCodec.encode(e);
      const bytes = toBinary(encoded.schema, create(encoded.schema, encoded.data as never));
      expect(leaseEventCodec.decode(fromBinary(encoded.schema, bytes), encoded.schema.typeName)).toEqual(e);
    }
  });
});
