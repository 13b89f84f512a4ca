import type { Kafka } from 'kafkajs';
import { allTopicSpecs, type TopicSpec, type TopicSpecOptions } from '@ionet/contracts';

export interface EnsureTopicsOptions extends TopicSpecOptions {
  /** Defaults to every topic of the registry. */
  topics?: TopicSpec[];
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/** Creates the registry's topics with their configuration; existing topics are left as they are
 *  (idempotent), except that a topic with fewer partitions than the registry says is reported. */
export async function ensureTopics(kafka: Kafka, options: EnsureTopicsOptions = {}): Promise<EnsureTopicsResult> {
  const specs = options.topics ?? allTopicSpecs(options);
  const replicationFactor = options.replicationFactor ?? 1;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.name));
    if (missing.length > 0) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.name,
            numPartitions: s.partitions,
            replicationFactor,
            configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
          })),
        })
        .catch((err: { type?: string }) => {
          // Another instance created them between our list and create.
          if (err.type !== 'TOPIC_ALREADY_EXISTS') throw err;
        });
    }
    const existing = specs.filter((s) => present.has(s.name));
    if (existing.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.name) });
      for (const topic of metadata.topics) {
        const spec = existing.find((s) => s.name === topic.name)!;
        if (topic.partitions.length < spec.partitions) {
          throw new Error(`topic ${topic.name} has ${topic.partitions.length} partitions, the registry says ${spec.partitions}: grow it deliberately`);
        }
      }
    }
    return { created: missing.map((s) => s.name), existing: existing.map((s) => s.name) };
  } finally {
    await admin.disconnect();
  }
}
