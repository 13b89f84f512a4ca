/** The one registry of Kafka topics: names, partition counts and configuration. Production names
 *  have no prefix; tests pass their namespace's prefix so files never share a topic. */
export const EVENT_CONTEXTS = ['inventory', 'verification', 'matching', 'leasing', 'billing', 'tokenomics', 'governance', 'webhooks', 'ledger'] as const;
export type EventContext = (typeof EVENT_CONTEXTS)[number];
export type TopicKey = EventContext | 'dlq';

export interface TopicSpec {
  key: TopicKey;
  name: string;
  partitions: number;
  config: Record<string, string>;
}

/** Partition counts bound the consumer parallelism of a context; they can grow later (keys move
 *  partition then, so grow only with consumers that tolerate it) but never shrink. */
const PARTITIONS: Readonly<Record<TopicKey, number>> = {
  inventory: 12,
  verification: 24,
  matching: 12,
  leasing: 24,
  billing: 24,
  tokenomics: 6,
  governance: 3,
  webhooks: 6,
  ledger: 12,
  dlq: 3,
};

/** Events are the source of truth and projections are rebuilt from offset 0: keep everything. */
export const EVENT_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'retention.ms': '-1',
  'cleanup.policy': 'delete',
};

/** Added where the cluster has at least 3 brokers (deploy/kafka/README.md). */
export const REPLICATED_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'min.insync.replicas': '2',
  'unclean.leader.election.enable': 'false',
};

export function topicName(key: TopicKey, prefix = ''): string {
  return `${prefix}ionet.${key}.v1`;
}

export interface TopicSpecOptions {
  prefix?: string;
  /** Tests use fewer partitions to keep topic creation fast. */
  partitionsOverride?: number;
  replicationFactor?: number;
}

export function topicSpec(key: TopicKey, options: TopicSpecOptions = {}): TopicSpec {
  const replicated = (options.replicationFactor ?? 1) >= 3;
  return {
    key,
    name: topicName(key, options.prefix),
    partitions: options.partitionsOverride ?? PARTITIONS[key],
    config: { ...EVENT_TOPIC_CONFIG, ...(replicated ? REPLICATED_TOPIC_CONFIG : {}) },
  };
}

export function allTopicSpecs(options: TopicSpecOptions = {}): TopicSpec[] {
  return [...EVENT_CONTEXTS, 'dlq' as const].map((key) => topicSpec(key, options));
}
