// A second workload on the same broker, in its own process (as another test suite would be): one
// kafkajs producer sending batches to its own topics as fast as acks=all allows, and one consumer
// group reading them. Started by eventing.bench.mjs for the relay's "under a second workload" row;
// prints one JSON line per second (messages produced and consumed) and stops on SIGTERM.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const [brokers, prefix, partitionsArg, batchArg, bytesArg] = process.argv.slice(2);
const partitions = Number(partitionsArg ?? 12);
const batchSize = Number(batchArg ?? 1_000);
const messageBytes = Number(bytesArg ?? 170);
const kafka = new Kafka({ clientId: `${prefix}load`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const topics = [`${prefix}load-a`, `${prefix}load-b`];
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
// kafkajs's waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION while the broker still creates
// the topic: wait for the leaders here.
for (let i = 0; ; i++) {
  const ready = await admin.fetchTopicMetadata({ topics }).then(
    (m) => m.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)),
    () => false,
  );
  if (ready) break;
  if (i > 300) throw new Error('broker load: topics have no leaders after 30 s');
  await new Promise((r) => setTimeout(r, 100));
}
await admin.disconnect();

let running = true;
let produced = 0;
let consumed = 0;
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const consumer = kafka.consumer({ groupId: `${prefix}load`, maxWaitTimeInMs: 100 });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: true });
await consumer.run({ partitionsConsumedConcurrently: 4, eachBatch: async ({ batch }) => void (consumed += batch.messages.length) });
const value = Buffer.alloc(messageBytes, 7);
const ticker = setInterval(() => console.log(JSON.stringify({ produced, consumed })), 1_000);
process.send?.({ ready: true });
const stop = async () => {
  running = false;
};
process.on('SIGTERM', stop);
process.on('message', (m) => m === 'stop' && stop());
for (let i = 0; running; i++) {
  const messages = Array.from({ length: batchSize }, (_, k) => ({ key: `k${(i * batchSize + k) % 4096}`, value }));
  await producer.send({ topic: topics[i % 2], acks: -1, messages });
  produced += batchSize;
}
clearInterval(ticker);
await producer.disconnect();
await consumer.disconnect();
const cleanup = kafka.admin();
await cleanup.connect();
await cleanup.deleteTopics({ topics }).catch(() => undefined);
await cleanup.disconnect();
console.log(JSON.stringify({ produced, consumed, done: true }));
process.exit(0);
