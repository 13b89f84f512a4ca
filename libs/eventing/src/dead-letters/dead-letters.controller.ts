import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { DeadLetterService, type DeadLetterPage } from './dead-letter.service';
import { EventingError, EVENTING_ERROR_CODES } from '../support/eventing-errors';

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

@Controller('v1/ops/dead-letters')
@UseGuards(DeadLettersOpsGuard)
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Get()
  async list(@Query('cursor') cursor?: string, @Query('limit') limit?: string, @Query('consumerGroup') consumerGroup?: string): Promise<DeadLetterPage> {
    const parsedLimit = limit === undefined ? undefined : Number(limit);
    if (parsedLimit !== undefined && (!Number.isInteger(parsedLimit) || parsedLimit < 1)) {
      throw new BadRequestException({ code: 'DEAD_LETTER.BAD_LIMIT', detail: 'limit must be a positive integer' });
    }
    return this.deadLetters.list({ cursor, limit: parsedLimit, consumerGroup }).catch(toHttp);
  }

  @Post(':id/redrive')
  @HttpCode(200)
  async redrive(@Param('id') id: string) {
    return this.deadLetters.redrive(id).catch(toHttp);
  }
}

function toHttp(err: unknown): never {
  if (err instanceof EventingError) {
    const body = { code: err.code, detail: err.message };
    if (err.code === EVENTING_ERROR_CODES.deadLetterNotFound) throw new NotFoundException(body);
    if (err.code === 'DEAD_LETTER.BAD_CURSOR') throw new BadRequestException(body);
    throw new ConflictException(body);
  }
  throw err;
}
