import { deciderSpec } from '@ionet/testing';
import { quoteDecider, type HeldDevice, type QuoteEvent } from './quote.decider';

const at = new Date('2026-12-01T12:00:00Z');
const expiresAt = new Date('2026-12-01T12:20:00Z');
const device = (id: string, role: HeldDevice['role'] = 'worker'): HeldDevice => ({
  deviceId: id,
  supplierId: 's-1',
  gpuCount: 8,
  priceUsdMicros: 2_000_000n,
  pricePerGpuHour: 2_000_000n,
  asset: 'USDC',
  role,
  countryCode: 'DE',
  region: 'eu',
});
const held: Extract<QuoteEvent, { type: 'QuoteHeld' }> = {
  type: 'QuoteHeld',
  quoteId: 'q-1',
  requestId: 'r-1',
  customerId: 'org-1',
  request: { clusterType: 'ray', gpuModel: 'H100-80GB', gpuCount: 16, countryCodes: [], connectivityTier: 'low', securityTier: 'standard', sources: [], durationHours: 2, paymentAsset: 'USDC' },
  devices: [device('d-1', 'head'), device('d-2')],
  price: { compute: 64_000_000n, reservationFee: 160_000n, paymentFee: 1_280_000n, total: 65_440_000n },
  expiresAt,
  at,
};
const accepted: QuoteEvent = { type: 'QuoteAccepted', quoteId: 'q-1', requestId: 'r-1', leaseId: 'lease-1', at: new Date('2026-12-01T12:05:00Z') };
const spec = deciderSpec(quoteDecider);
const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);
const { type: _t, ...holdFields } = held;
const hold = { ...holdFields, type: 'HoldQuote' as const };

describe('quote decider', () => {
  it('given nothing, when held, then ClusterMatched (QuoteHeld) names every device', () => spec.given([]).when(hold).then([held]));
  it('given a held quote, when held again, then refused', () => spec.given([held]).when(hold).thenRefused('QUOTE.ALREADY_EXISTS'));
  it('given nothing, when held with no device, then refused', () => spec.given([]).when({ ...hold, devices: [] }).thenRefused('QUOTE.INVALID'));
  it('given nothing, when held with a device twice, then refused', () => spec.given([]).when({ ...hold, devices: [device('d-1'), device('d-1')] }).thenRefused('QUOTE.INVALID'));
  it('given nothing, when held with an expiry not after now, then refused', () => spec.given([]).when({ ...hold, expiresAt: at }).thenRefused('QUOTE.INVALID'));

  it('given a held quote, when it expires unpaid, then every device is released', () =>
    spec.given([held]).when({ type: 'ExpireQuote', at: expiresAt }).then([{ type: 'ReservationReleased', quoteId: 'q-1', requestId: 'r-1', deviceIds: ['d-1', 'd-2'], reason: 'quote_expired_unpaid', leaseId: '', at: expiresAt }]));
  it('given a held quote, when the expiry job runs early, then nothing is released', () => spec.given([held]).when({ type: 'ExpireQuote', at: later(19) }).then([]));
  it('given a leased quote, when the expiry job runs, then the lease keeps its devices', () => spec.given([held, accepted]).when({ type: 'ExpireQuote', at: later(30) }).then([]));
  it('given a released quote, when the expiry job runs again, then nothing happens', () =>
    spec.given([held, { type: 'ReservationReleased', quoteId: 'q-1', requestId: 'r-1', deviceIds: ['d-1', 'd-2'], reason: 'quote_expired_unpaid', leaseId: '', at: expiresAt }]).when({ type: 'ExpireQuote', at: later(40) }).then([]));

  it('given a held quote, when a lease is created within the window, then it is accepted', () => spec.given([held]).when({ type: 'AcceptQuote', leaseId: 'lease-1', at: accepted.at }).then([accepted]));
  it('given a held quote, when a lease is created after the window, then nothing is held for it', () => spec.given([held]).when({ type: 'AcceptQuote', leaseId: 'lease-1', at: later(21) }).then([]));
  it('given an accepted quote, when the same lease is seen again, then nothing is appended', () => spec.given([held, accepted]).when({ type: 'AcceptQuote', leaseId: 'lease-1', at: later(6) }).then([]));

  it('given a leased quote, when the lease ends, then the devices are released with the lease', () =>
    spec.given([held, accepted]).when({ type: 'ReleaseQuote', reason: 'lease_ended', leaseId: 'lease-1', at: later(120) }).then([{ type: 'ReservationReleased', quoteId: 'q-1', requestId: 'r-1', deviceIds: ['d-1', 'd-2'], reason: 'lease_ended', leaseId: 'lease-1', at: later(120) }]));
  it('given a leased quote, when funding fails, then the devices are released', () =>
    spec.given([held, accepted]).when({ type: 'ReleaseQuote', reason: 'funding_failed', leaseId: 'lease-1', at: later(6) }).then([{ type: 'ReservationReleased', quoteId: 'q-1', requestId: 'r-1', deviceIds: ['d-1', 'd-2'], reason: 'funding_failed', leaseId: 'lease-1', at: later(6) }]));
  it('given a leased quote, when another lease ends, then nothing is released', () => spec.given([held, accepted]).when({ type: 'ReleaseQuote', reason: 'lease_ended', leaseId: 'lease-2', at: later(6) }).then([]));

  it('given a leased quote, when a device fails and a replacement is found, then ReplacementMatched and the lease holds the new device', () => {
    const replaced: QuoteEvent = { type: 'ReplacementMatched', quoteId: 'q-1', requestId: 'r-1', leaseId: 'lease-1', failedDeviceId: 'd-2', replacement: device('d-3'), at: later(60) };
    spec.given([held, accepted]).when({ type: 'RecordReplacement', leaseId: 'lease-1', failedDeviceId: 'd-2', outcome: { replacement: device('d-3') }, at: later(60) }).then([replaced]);
    spec
      .given([held, accepted, replaced])
      .when({ type: 'ReleaseQuote', reason: 'lease_ended', leaseId: 'lease-1', at: later(120) })
      .then([{ type: 'ReservationReleased', quoteId: 'q-1', requestId: 'r-1', deviceIds: ['d-1', 'd-3'], reason: 'lease_ended', leaseId: 'lease-1', at: later(120) }]);
  });
  it('given a leased quote, when no replacement qualifies, then ReplacementMatchFailed carries the explain', () => {
    const explain = { steps: [{ filter: 'cluster_ready' as const, devicesLeft: 0, gpusLeft: 0 }], gpusRequested: 8, alternatives: [] };
    spec
      .given([held, accepted])
      .when({ type: 'RecordReplacement', leaseId: 'lease-1', failedDeviceId: 'd-1', outcome: { explain }, at: later(60) })
      .then([{ type: 'ReplacementMatchFailed', quoteId: 'q-1', requestId: 'r-1', leaseId: 'lease-1', failedDeviceId: 'd-1', explain, at: later(60) }]);
  });
  it('given a held (unleased) quote, when a device fails, then nothing is replaced', () =>
    spec.given([held]).when({ type: 'RecordReplacement', leaseId: 'lease-1', failedDeviceId: 'd-1', outcome: { replacement: device('d-3') }, at: later(1) }).then([]));
  it('given a leased quote, when a device outside the lease fails, then nothing is replaced', () =>
    spec.given([held, accepted]).when({ type: 'RecordReplacement', leaseId: 'lease-1', failedDeviceId: 'd-9', outcome: { replacement: device('d-3') }, at: later(1) }).then([]));
});
