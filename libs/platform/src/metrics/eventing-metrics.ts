import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The prom-client side of @ionet/eventing's `EventingMetrics`. Declared here rather than imported:
 *  platform and eventing do not depend on each other, and TypeScript's structural typing lets the
 *  object returned below be passed wherever eventing takes its `metrics` option. */
export interface EventingMetricsAdapter {
  appended(streamType: string, count: number): void;
  published(topic: string, count: number): void;
  consumed(group: string, topic: string, outcome: string, count: number): void;
  batchDuration(group: string, seconds: number): void;
  lag(group: string, topic: string, partition: number, lag: number): void;
  batchRetries(group: string, topic: string, partition: number, attempts: number): void;
}

const adapters = new WeakMap<Registry, EventingMetricsAdapter>();

/** The eventing metrics in `registry`, created on first use: a registry takes each name once, so
 *  every caller (EventingModule, a ProjectionManager) shares one adapter per registry.
 *
 *  eventing_events_appended_total{stream_type}                         events appended and committed
 *  eventing_relay_published_total{topic}                               events the outbox relay published
 *  eventing_consumer_events_total{group,topic,outcome}                 applied | duplicate | dead_lettered
 *  eventing_dead_letters_total{group}                                  events dead-lettered
 *  eventing_consumer_batch_duration_seconds{group}                     committed batches, retries included
 *  eventing_consumer_lag{group,topic,partition}                        high watermark - next offset
 *  eventing_consumer_batch_retries{group,topic,partition}              failed attempts of the batch retrying now (0: none) */
export function createEventingMetrics(registry: Registry): EventingMetricsAdapter {
  const existing = adapters.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const appended = new Counter({ name: 'eventing_events_appended_total', help: 'Events appended to the event store (counted at commit)', labelNames: ['stream_type'], registers });
  const published = new Counter({ name: 'eventing_relay_published_total', help: 'Events the outbox relay published to Kafka', labelNames: ['topic'], registers });
  const consumed = new Counter({
    name: 'eventing_consumer_events_total',
    help: 'Events of committed consumer batches, by outcome (applied, duplicate, dead_lettered)',
    labelNames: ['group', 'topic', 'outcome'],
    registers,
  });
  const deadLetters = new Counter({ name: 'eventing_dead_letters_total', help: 'Events a consumer recorded as dead letters', labelNames: ['group'], registers });
  const batchDuration = new Histogram({
    name: 'eventing_consumer_batch_duration_seconds',
    help: 'Wall time of a committed consumer batch, retries included',
    labelNames: ['group'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const lag = new Gauge({
    name: 'eventing_consumer_lag',
    help: 'Messages not yet applied by the group (high watermark - next offset), as of its last committed batch',
    labelNames: ['group', 'topic', 'partition'],
    registers,
  });
  const batchRetries = new Gauge({
    name: 'eventing_consumer_batch_retries',
    help: 'Failed attempts of the batch the group is retrying on this partition now (0 once it committed): a partition stuck on a fault',
    labelNames: ['group', 'topic', 'partition'],
    registers,
  });
  const adapter: EventingMetricsAdapter = {
    appended: (streamType, count) => appended.inc({ stream_type: streamType }, count),
    published: (topic, count) => published.inc({ topic }, count),
    consumed: (group, topic, outcome, count) => {
      consumed.inc({ group, topic, outcome }, count);
      if (outcome === 'dead_lettered') deadLetters.inc({ group }, count);
    },
    batchDuration: (group, seconds) => batchDuration.observe({ group }, seconds),
    lag: (group, topic, partition, value) => lag.set({ group, topic, partition: String(partition) }, value),
    batchRetries: (group, topic, partition, attempts) => batchRetries.set({ group, topic, partition: String(partition) }, attempts),
  };
  adapters.set(registry, adapter);
  return adapter;
}
