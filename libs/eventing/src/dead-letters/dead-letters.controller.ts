import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Inject,
  Injectable,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { EventingError } from '../support/eventing-errors';
import { DeadLetterService, type DeadLetterPage } from './dead-letter.service';

/** Provide the ops authorisation guard under this token (libs/platform's ops-scope guard). */
export const DEAD_LETTERS_OPS_GUARD = Symbol('DEAD_LETTERS_OPS_GUARD');

/** Delegates to the guard provided under DEAD_LETTERS_OPS_GUARD, so the module has no auth of its
 *  own and cannot be mounted without one. */
@Injectable()
export class DeadLettersOpsGuard implements CanActivate {
  constructor(@Inject(DEAD_LETTERS_OPS_GUARD) private readonly inner: CanActivate) {}

  canActivate(context: ExecutionContext) {
    return this.inner.canActivate(context);
  }
}

/** The edge decides what is the caller's fault (STYLE.md rule 11): every value is checked here, so
 *  none reaches SQL malformed (a 36-dash id used to pass a length check and fail in PostgreSQL). */
const deadLetterId = new ParseUUIDPipe({
  exceptionFactory: () => new BadRequestException({ code: 'REQUEST.INVALID_ID', detail: 'the dead letter id must be a UUID' }),
});

@Controller('v1/ops/dead-letters')
@UseGuards(DeadLettersOpsGuard)
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Get()
  async list(@Query('cursor') cursor?: unknown, @Query('limit') limit?: unknown, @Query('consumerGroup') consumerGroup?: unknown): Promise<DeadLetterPage> {
    return this.deadLetters.list({ cursor: parseCursor(cursor), limit: parseLimit(limit), consumerGroup: parseConsumerGroup(consumerGroup) }).catch(toHttp);
  }

  @Post(':id/redrive')
  @HttpCode(200)
  async redrive(@Param('id', deadLetterId) id: string) {
    return this.deadLetters.redrive(id).catch(toHttp);
  }
}

const LIMIT = /^[1-9][0-9]{0,3}$/;
/** Kafka group ids as this repository names them: a prefix, the service and the consumer. */
const CONSUMER_GROUP = /^[A-Za-z0-9._-]{1,249}$/;
/** `<time>|<uuid>` in base64url, as DeadLetterService writes it. */
const CURSOR_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function badQuery(code: string, detail: string): never {
  throw new BadRequestException({ code, detail });
}

function parseLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'string' || !LIMIT.test(limit)) badQuery('DEAD_LETTER.BAD_LIMIT', 'limit must be a positive integer');
  return Number(limit);
}

function parseConsumerGroup(group: unknown): string | undefined {
  if (group === undefined) return undefined;
  if (typeof group !== 'string' || !CONSUMER_GROUP.test(group)) badQuery('DEAD_LETTER.BAD_CONSUMER_GROUP', 'consumerGroup must be 1 to 249 letters, digits, ".", "_" or "-"');
  return group;
}

function parseCursor(cursor: unknown): string | undefined {
  if (cursor === undefined) return undefined;
  const text = typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const time = text.slice(0, text.indexOf('|'));
  if (!CURSOR_TEXT.test(text) || Number.isNaN(Date.parse(`${time}Z`)) || new Date(`${time}Z`).toISOString().slice(0, 19) !== time.slice(0, 19)) {
    badQuery('DEAD_LETTER.BAD_CURSOR', 'cursor is not one this API returned');
  }
  return cursor as string;
}

/** An eventing refusal as the HTTP answer of its kind, also in an app without the platform's
 *  problem filter; a fault is rethrown as it is (a logged 500). */
function toHttp(err: unknown): never {
  if (err instanceof EventingError && err.kind !== 'fault') {
    const body = { code: err.code, detail: err.message };
    if (err.kind === 'not_found') throw new NotFoundException(body);
    if (err.kind === 'invalid') throw new BadRequestException(body);
    throw new ConflictException(body);
  }
  throw err;
}
