import { afterScheduledAttempt, DELIVERY_ATTEMPTS_MAX, isDelivered, RETRY_SCHEDULE_MS, shouldDisableEndpoint } from './retry-schedule';
import { webhookBody, webhookIdOf } from './webhook-message';

const at = new Date('2026-12-01T00:00:00Z');

describe('retry schedule', () => {
  it("is Svix's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27.6 h in all)", () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(DELIVERY_ATTEMPTS_MAX).toBe(8);
    expect(RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0)).toBe(99_305_000);
  });

  it('delivers on 2xx only', () => {
    expect([200, 201, 204, 299].every(isDelivered)).toBe(true);
    expect([undefined, 199, 301, 302, 400, 410, 500, 503].some(isDelivered)).toBe(false);
  });

  it('schedules each next attempt after the delay of its slot, and fails after the eighth', () => {
    let now = at;
    for (let attempt = 0; attempt < DELIVERY_ATTEMPTS_MAX - 1; attempt++) {
      const after = afterScheduledAttempt(attempt, false, now);
      expect(after).toEqual({ status: 'pending', nextAttempt: attempt + 1, nextAttemptAt: new Date(now.getTime() + RETRY_SCHEDULE_MS[attempt + 1]!) });
      now = (after as { nextAttemptAt: Date }).nextAttemptAt;
    }
    expect(afterScheduledAttempt(DELIVERY_ATTEMPTS_MAX - 1, false, now)).toEqual({ status: 'failed' });
    expect(afterScheduledAttempt(3, true, now)).toEqual({ status: 'delivered' });
    expect(() => afterScheduledAttempt(DELIVERY_ATTEMPTS_MAX, false, now)).toThrow(RangeError);
  });

  it('disables an endpoint only when nothing reached it since the failed delivery began', () => {
    const first = new Date('2026-12-01T00:00:00Z');
    expect(shouldDisableEndpoint({ deliveryFirstAttemptAt: first, endpointLastDeliveredAt: undefined })).toBe(true);
    expect(shouldDisableEndpoint({ deliveryFirstAttemptAt: first, endpointLastDeliveredAt: new Date('2026-11-30T23:00:00Z') })).toBe(true);
    expect(shouldDisableEndpoint({ deliveryFirstAttemptAt: first, endpointLastDeliveredAt: new Date('2026-12-01T05:00:00Z') })).toBe(false);
  });

  it('gives every delivery one message id and a fixed body', () => {
    expect(webhookIdOf('0195f0a0-0000-7000-8000-000000000001')).toBe('msg_0195f0a0000070008000000000000001');
    expect(JSON.parse(webhookBody('cluster.funded', at, { clusterId: 'c-1' }))).toEqual({ type: 'cluster.funded', timestamp: '2026-12-01T00:00:00.000Z', data: { clusterId: 'c-1' } });
  });
});
