import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';
import { waitForTopicLeaders } from '@ionet/eventing';
import { testConnections, type TestConnections } from './connections';

export function testKafka(clientId: string, conn: TestConnections = testConnections()): Kafka {
  // Silent: a test asserts on outcomes; kafkajs logs expected retries (coordinator loading) as errors.
  return new Kafka({ clientId, brokers: conn.kafkaBrokers, logLevel: logLevel.NOTHING });
}

/** Creates topics and waits until every partition has a leader. */
export async function createTestTopics(topics: ITopicConfig[], conn: TestConnections = testConnections()): Promise<void> {
  const admin = testKafka('ionet-test-admin', conn).admin();
  await admin.connect();
  try {
    await admin
      .createTopics({ topics: topics.map((t) => ({ numPartitions: 1, replicationFactor: 1, ...t })), waitForLeaders: true })
      .catch((err: { type?: string }) => {
        // kafkajs stops waiting for leaders when the broker's metadata does not list a new topic yet.
        if (err.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      });
    await waitForTopicLeaders(admin, topics.map((t) => t.topic));
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTestTopics(prefix: string, conn: TestConnections = testConnections()): Promise<void> {
  const admin = testKafka('ionet-test-admin', conn).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
