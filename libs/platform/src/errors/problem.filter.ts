import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE } from './problem';
import type { ProblemMapper } from './problem-mapper';

/** Every error leaving an HTTP handler becomes problem+json; bugs are logged, never leaked. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly mapper: ProblemMapper,
    private readonly logger: Logger,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { problem, internal } = this.mapper.toProblem(error, request.url);
    if (internal) this.logger.error({ err: error, reqId: request.id, url: request.url }, 'unhandled error');
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}
