import { createHash } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import type { SqlExecutor } from '../support/sql-executor';

export interface DeadLetterInput {
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
  errorCode: string;
  errorMessage: string;
  eventType: string;
  eventId: string;
}

/** Same source message, same id: recording or publishing a dead letter twice cannot double it. */
export function deadLetterId(consumerGroup: string, topic: string, partition: number, offset: string): string {
  const hex = createHash('sha256').update(`${consumerGroup}\n${topic}\n${partition}\n${offset}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function headersToJson(headers: IHeaders | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    out[name] = values.map((v) => Buffer.from(v).toString('base64'));
  }
  return out;
}

const ERROR_MESSAGE_CHARS_MAX = 4_000;

export async function recordDeadLetters(tx: SqlExecutor, letters: DeadLetterInput[]): Promise<void> {
  if (letters.length === 0) return;
  await tx.query(
    `insert into dead_letters (id, consumer_group, source_topic, source_partition, source_offset, original_key, original_value,
                               original_headers, error_code, error_message, event_type, event_id)
     select * from unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bytea[], $7::bytea[], $8::jsonb[],
                          $9::text[], $10::text[], $11::text[], $12::text[])
     on conflict (consumer_group, source_topic, source_partition, source_offset) do nothing`,
    [
      letters.map((l) => deadLetterId(l.consumerGroup, l.topic, l.partition, l.offset)),
      letters.map((l) => l.consumerGroup),
      letters.map((l) => l.topic),
      letters.map((l) => l.partition),
      letters.map((l) => l.offset),
      letters.map((l) => l.key),
      letters.map((l) => l.value),
      letters.map((l) => JSON.stringify(headersToJson(l.headers))),
      letters.map((l) => l.errorCode),
      letters.map((l) => l.errorMessage.slice(0, ERROR_MESSAGE_CHARS_MAX)),
      letters.map((l) => l.eventType),
      letters.map((l) => l.eventId),
    ],
  );
}
