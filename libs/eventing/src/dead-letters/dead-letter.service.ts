import type { SqlExecutor } from '../support/sql-executor';
import { EventingError, EVENTING_ERROR_CODES } from '../support/eventing-errors';

export interface DeadLetterView {
  id: string;
  consumerGroup: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  errorCode: string;
  errorMessage: string;
  eventType: string;
  eventId: string;
  deadLetteredAt: string;
  publishedAt: string | null;
  redrivenAt: string | null;
  redriveAttempts: number;
  lastRedriveError: string | null;
  /** The original message value, base64. */
  originalValueBase64: string | null;
}

export interface DeadLetterPage {
  items: DeadLetterView[];
  nextCursor: string | null;
}

/** Re-delivers one dead letter to the consumer that rejected it (ConsumerRunner.redrive). */
export interface DeadLetterRedriver {
  readonly groupId: string;
  redrive(deadLetterId: string): Promise<'applied' | 'already-applied' | 'already-redriven'>;
}

export const DEAD_LETTER_PAGE_LIMIT_MAX = 100;

export class DeadLetterService {
  private readonly redrivers = new Map<string, DeadLetterRedriver>();

  constructor(private readonly executor: SqlExecutor) {}

  registerRedriver(redriver: DeadLetterRedriver): void {
    this.redrivers.set(redriver.groupId, redriver);
  }

  /** Newest first; the cursor is opaque (the last item's time and id). */
  async list(query: { cursor?: string; limit?: number; consumerGroup?: string } = {}): Promise<DeadLetterPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 20), 1), DEAD_LETTER_PAGE_LIMIT_MAX);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const { rows } = await this.executor.query<Record<string, unknown>>(
      `select id, consumer_group, source_topic, source_partition, source_offset::text as source_offset, error_code, error_message, event_type,
              event_id, dead_lettered_at, published_at, redriven_at, redrive_attempts, last_redrive_error, original_value,
              to_char(dead_lettered_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as cursor_time
         from dead_letters
        where ($1::text is null or consumer_group = $1)
          and ($2::timestamp is null or (dead_lettered_at at time zone 'UTC', id) < ($2::timestamp, $3::uuid))
        order by dead_lettered_at desc, id desc
        limit $4`,
      [query.consumerGroup ?? null, after?.time ?? null, after?.id ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toView),
      nextCursor: rows.length > limit && last ? encodeCursor(String(last.cursor_time), String(last.id)) : null,
    };
  }

  async get(id: string): Promise<DeadLetterView> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw notFound(id);
    const { rows } = await this.executor.query<Record<string, unknown>>(
      `select id, consumer_group, source_topic, source_partition, source_offset::text as source_offset, error_code, error_message, event_type,
              event_id, dead_lettered_at, published_at, redriven_at, redrive_attempts, last_redrive_error, original_value
         from dead_letters where id = $1`,
      [id],
    );
    if (!rows[0]) throw notFound(id);
    return toView(rows[0]);
  }

  /** Re-delivers the original bytes to the handler of the group that dead-lettered them (not to
   *  the topic: other groups already accepted the message). See ADR 0203. */
  async redrive(id: string): Promise<{ id: string; outcome: string; deadLetter: DeadLetterView }> {
    const letter = await this.get(id);
    const redriver = this.redrivers.get(letter.consumerGroup);
    if (!redriver) throw new EventingError(EVENTING_ERROR_CODES.deadLetterNoConsumer, `no consumer of group ${letter.consumerGroup} runs in this process`);
    const outcome = await redriver.redrive(id);
    return { id, outcome, deadLetter: await this.get(id) };
  }
}

function notFound(id: string): EventingError {
  return new EventingError(EVENTING_ERROR_CODES.deadLetterNotFound, `dead letter ${id} not found`);
}

function toView(row: Record<string, unknown>): DeadLetterView {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
  return {
    id: String(row.id),
    consumerGroup: String(row.consumer_group),
    sourceTopic: String(row.source_topic),
    sourcePartition: Number(row.source_partition),
    sourceOffset: String(row.source_offset),
    errorCode: String(row.error_code),
    errorMessage: String(row.error_message),
    eventType: String(row.event_type),
    eventId: String(row.event_id),
    deadLetteredAt: iso(row.dead_lettered_at)!,
    publishedAt: iso(row.published_at),
    redrivenAt: iso(row.redriven_at),
    redriveAttempts: Number(row.redrive_attempts),
    lastRedriveError: (row.last_redrive_error as string | null) ?? null,
    originalValueBase64: row.original_value ? (row.original_value as Buffer).toString('base64') : null,
  };
}

function encodeCursor(time: string, id: string): string {
  return Buffer.from(`${time}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { time: string; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!time || !id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(Date.parse(`${time}Z`))) {
    throw new EventingError('DEAD_LETTER.BAD_CURSOR', 'cursor is not valid');
  }
  return { time, id };
}
