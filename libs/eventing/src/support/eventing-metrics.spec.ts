import { eventingMetrics, NOOP_EVENTING_METRICS, type EventingMetrics } from './eventing-metrics';

function recorder(): EventingMetrics & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    appended: (...args) => calls.push(['appended', ...args]),
    published: (...args) => calls.push(['published', ...args]),
    consumed: (...args) => calls.push(['consumed', ...args]),
    batchDuration: (...args) => calls.push(['batchDuration', ...args]),
    lag: (...args) => calls.push(['lag', ...args]),
  };
}

describe('eventingMetrics', () => {
  it('is the no-op without an adapter', () => {
    const metrics = eventingMetrics(undefined);
    expect(metrics).toBe(NOOP_EVENTING_METRICS);
    expect(() => {
      metrics.appended('device', 1);
      metrics.published('t', 1);
      metrics.consumed('g', 't', 'applied', 1);
      metrics.batchDuration('g', 0.1);
      metrics.lag('g', 't', 0, 3);
    }).not.toThrow();
  });

  it('passes every call through to the adapter', () => {
    const adapter = recorder();
    const metrics = eventingMetrics(adapter);
    metrics.appended('device', 2);
    metrics.published('ionet.inventory.v1', 3);
    metrics.consumed('g', 't', 'dead_lettered', 1);
    metrics.batchDuration('g', 0.25);
    metrics.lag('g', 't', 4, 7);
    expect(adapter.calls).toEqual([
      ['appended', 'device', 2],
      ['published', 'ionet.inventory.v1', 3],
      ['consumed', 'g', 't', 'dead_lettered', 1],
      ['batchDuration', 'g', 0.25],
      ['lag', 'g', 't', 4, 7],
    ]);
  });

  it('never lets a failing adapter throw, and reports only its first failure', () => {
    const onError = jest.fn();
    const failing: EventingMetrics = {
      appended: () => {
        throw new Error('bad label');
      },
      published: () => {
        throw new Error('again');
      },
      consumed: () => undefined,
      batchDuration: () => undefined,
      lag: () => undefined,
    };
    const metrics = eventingMetrics(failing, onError);
    expect(() => metrics.appended('device', 1)).not.toThrow();
    expect(() => metrics.published('t', 1)).not.toThrow();
    expect(() => metrics.appended('device', 1)).not.toThrow();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(new Error('bad label'));
  });
});
