import { newTraceparent } from './trace-context';

const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-01$/;

describe('newTraceparent', () => {
  it('is a valid W3C traceparent, sampled, with non-zero ids', () => {
    for (let i = 0; i < 1_000; i++) {
      const m = TRACEPARENT.exec(newTraceparent());
      expect(m).not.toBeNull();
      expect(m![1]).not.toMatch(/^0+$/);
      expect(m![2]).not.toMatch(/^0+$/);
    }
  });

  it('never repeats a trace id or a span id across pool refills', () => {
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // More than one pool of random bytes, so the refill path runs several times.
    for (let i = 0; i < 2_000; i++) {
      const [, traceId, spanId] = newTraceparent().split('-');
      traceIds.add(traceId!);
      spanIds.add(spanId!);
    }
    expect(traceIds.size).toBe(2_000);
    expect(spanIds.size).toBe(2_000);
  });
});
