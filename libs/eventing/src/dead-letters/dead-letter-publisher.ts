import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Kafka, Producer } from 'kafkajs';
import { dlqV1 } from '@ionet/contracts';
import type { TransactionRunner } from '../support/sql-executor';

export const DEAD_LETTER_HEADERS = { id: 'ionet-dead-letter-id', errorCode: 'ionet-error-code' } as const;

interface UnpublishedRow {
  id: string;
  consumer_group: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  original_key: Buffer | null;
  original_value: Buffer | null;
  original_headers: Record<string, string[]>;
  error_code: string;
  error_message: string;
  event_type: string;
  event_id: string;
  dead_lettered_at: Date;
}

const ROWS_PER_SEND_MAX = 100;

/** Publishes recorded dead letters to the DLQ topic, then marks them published, in one database
 *  transaction holding their row locks: a crash re-publishes (same key = id, so downstream can
 *  drop the copy) but never loses one. */
export class DeadLetterPublisher {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly transactions: TransactionRunner,
    private readonly topic: string,
  ) {}

  async publishPending(consumerGroup: string, sendsMax = 20): Promise<number> {
    let total = 0;
    for (let i = 0; i < sendsMax; i++) {
      const sent = await this.transactions.transaction(async (tx) => {
        const { rows } = await tx.query<UnpublishedRow>(
          `select id, consumer_group, source_topic, source_partition, source_offset, original_key, original_value, original_headers,
                  error_code, error_message, event_type, event_id, dead_lettered_at
             from dead_letters where published_at is null and consumer_group = $1
            order by dead_lettered_at, source_offset limit $2 for update skip locked`,
          [consumerGroup, ROWS_PER_SEND_MAX],
        );
        if (rows.length === 0) return 0;
        const producer = await this.connectedProducer();
        await producer.send({
          topic: this.topic,
          acks: -1,
          messages: rows.map((row) => ({
            key: row.id,
            value: Buffer.from(toBinary(dlqV1.DeadLetterSchema, toDeadLetterMessage(row))),
            headers: { [DEAD_LETTER_HEADERS.id]: row.id, [DEAD_LETTER_HEADERS.errorCode]: row.error_code },
          })),
        });
        await tx.query(`update dead_letters set published_at = now() where id = any($1::uuid[])`, [rows.map((r) => r.id)]);
        return rows.length;
      });
      total += sent;
      if (sent < ROWS_PER_SEND_MAX) break;
    }
    return total;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }
}

function toDeadLetterMessage(row: UnpublishedRow): dlqV1.DeadLetter {
  return create(dlqV1.DeadLetterSchema, {
    id: row.id,
    consumerGroup: row.consumer_group,
    sourceTopic: row.source_topic,
    sourcePartition: row.source_partition,
    sourceOffset: BigInt(row.source_offset),
    originalKey: row.original_key ?? new Uint8Array(),
    originalValue: row.original_value ?? new Uint8Array(),
    originalHeaders: Object.entries(row.original_headers).flatMap(([key, values]) => values.map((v) => ({ key, value: Buffer.from(v, 'base64') }))),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    eventType: row.event_type,
    eventId: row.event_id,
    deadLetteredAt: timestampFromDate(row.dead_lettered_at),
  });
}
