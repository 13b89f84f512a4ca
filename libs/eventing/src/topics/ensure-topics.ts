import type { Admin, ITopicMetadata, Kafka } from 'kafkajs';
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
          // Another instance created them between our list and create; or the broker created them
          // and answers the wait for leaders before its metadata has them (waited for below).
          if (err.type !== 'TOPIC_ALREADY_EXISTS' && err.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
        });
    }
    // A topic another instance is creating at this moment is listed before its partitions have a
    // leader (metadata answers UNKNOWN_TOPIC_OR_PARTITION): wait for them, so a caller can use every
    // topic as soon as this returns, and check the partition counts of the ones that existed.
    const metadata = await waitForTopicLeaders(admin, specs.map((s) => s.name));
    for (const topic of metadata.topics) {
      const spec = specs.find((s) => s.name === topic.name)!;
      if (present.has(topic.name) && topic.partitions.length < spec.partitions) {
        throw new Error(`topic ${topic.name} has ${topic.partitions.length} partitions, the registry says ${spec.partitions}: grow it deliberately`);
      }
    }
    return { created: missing.map((s) => s.name), existing: specs.filter((s) => present.has(s.name)).map((s) => s.name) };
  } finally {
    await admin.disconnect();
  }
}

const LEADER_WAIT_MS_MAX = 30_000;
const LEADER_POLL_MS = 100;

/** The topics' metadata once every partition has a leader; a topic being created elsewhere is waited
 *  for (bounded), an unknown one after the bound is an error. */
export async function waitForTopicLeaders(admin: Admin, topics: string[]): Promise<{ topics: ITopicMetadata[] }> {
  const deadline = Date.now() + LEADER_WAIT_MS_MAX;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return metadata;
      if (Date.now() >= deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${LEADER_WAIT_MS_MAX} ms`);
    } catch (err) {
      const type = (err as { type?: string }).type;
      if ((type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') || Date.now() >= deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
  }
}
