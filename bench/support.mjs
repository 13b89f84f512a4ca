// Helpers shared by the benches: medians over runs, the raw kafkajs consume that is the limit a
// replay is measured beside, and the printed table.

/** The median of the numeric values (NaN when none). */
export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round(((sorted[mid - 1] + sorted[mid]) / 2) * 10) / 10;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates a topic kept forever and waits for every partition's leader: kafkajs's waitForLeaders
 *  gives up on UNKNOWN_TOPIC_OR_PARTITION while a loaded broker is still creating the topic. */
export async function createTopicWithLeaders(kafkaAdmin, topic, partitions) {
  await kafkaAdmin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] }] });
  for (let i = 0; ; i++) {
    const ready = await kafkaAdmin.fetchTopicMetadata({ topics: [topic] }).then(
      (m) => m.topics[0].partitions.length === partitions && m.topics[0].partitions.every((p) => p.leader >= 0),
      () => false,
    );
    if (ready) return;
    if (i > 300) throw new Error(`topic ${topic} has no leaders after 30 s`);
    await sleep(100);
  }
}

/** A plain kafkajs group reading `count` messages of `topic` from the start without processing them:
 *  the limit a rebuild is measured beside. Timed from the group join (after Kafka's initial
 *  rebalance delay) to the last message. */
export async function rawConsume(kafka, topic, groupId, count, { partitionsConsumedConcurrently = 4, maxBytesPerPartition = 4 * 1_048_576 } = {}) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstAt;
  consumer.on(consumer.events.GROUP_JOIN, () => (firstAt = performance.now()));
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= count) done(performance.now());
    },
  });
  const endAt = await finished;
  await consumer.disconnect();
  return { rate: count / ((endAt - firstAt) / 1000) };
}

export function table(rows) {
  const header = ['group', 'measure', 'value', 'unit', 'target'];
  const lines = rows.map((r) => [r.group, r.name, String(r.value), r.unit, r.target]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n');
}
