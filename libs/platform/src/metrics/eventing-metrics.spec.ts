import { Registry } from 'prom-client';
import { createEventingMetrics } from './eventing-metrics';

describe('createEventingMetrics', () => {
  it('records appended, published and consumed events, batch durations and lag in the registry', async () => {
    const registry = new Registry();
    const metrics = createEventingMetrics(registry);
    metrics.appended('device', 2);
    metrics.appended('device', 1);
    metrics.published('ionet.inventory.v1', 3);
    metrics.consumed('catalog', 'ionet.inventory.v1', 'applied', 5);
    metrics.consumed('catalog', 'ionet.inventory.v1', 'duplicate', 1);
    metrics.consumed('catalog', 'ionet.inventory.v1', 'dead_lettered', 2);
    metrics.batchDuration('catalog', 0.02);
    metrics.lag('catalog', 'ionet.inventory.v1', 0, 9);
    metrics.lag('catalog', 'ionet.inventory.v1', 0, 4);

    const text = await registry.metrics();
    expect(text).toContain('eventing_events_appended_total{stream_type="device"} 3');
    expect(text).toContain('eventing_relay_published_total{topic="ionet.inventory.v1"} 3');
    expect(text).toContain('eventing_consumer_events_total{group="catalog",topic="ionet.inventory.v1",outcome="applied"} 5');
    expect(text).toContain('eventing_consumer_events_total{group="catalog",topic="ionet.inventory.v1",outcome="duplicate"} 1');
    expect(text).toContain('eventing_consumer_events_total{group="catalog",topic="ionet.inventory.v1",outcome="dead_lettered"} 2');
    expect(text).toContain('eventing_dead_letters_total{group="catalog"} 2');
    expect(text).toContain('eventing_consumer_batch_duration_seconds_count{group="catalog"} 1');
    expect(text).toContain('eventing_consumer_batch_duration_seconds_bucket{le="0.025",group="catalog"} 1');
    expect(text).toContain('eventing_consumer_lag{group="catalog",topic="ionet.inventory.v1",partition="0"} 4');
  });

  it('creates the metrics once per registry, so several components can share it', async () => {
    const registry = new Registry();
    const first = createEventingMetrics(registry);
    expect(createEventingMetrics(registry)).toBe(first);
    const other = new Registry();
    expect(createEventingMetrics(other)).not.toBe(first);
    createEventingMetrics(other).appended('supplier', 1);
    expect(await registry.getSingleMetricAsString('eventing_events_appended_total')).not.toContain('supplier');
  });
});
