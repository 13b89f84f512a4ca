import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { WORK_WAIT_MS_MAX, type ChallengeResultResponse, type HeartbeatBatchResponse, type WorkResponse } from '@ionet/agent-protocol';
import { AgentAuthenticated, AgentCaller, AgentWorkMailbox, BodyLimit, CLOCK, RequestId, type AgentContext, type Clock } from '@ionet/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VerificationError } from '../../domain/shared/verification.errors';
import { AgentJobsService } from '../../application/agent-jobs.service';
import { ChallengesService } from '../../application/challenges.service';
import { DeviceDirectory } from '../../application/device-directory';
import { HeartbeatIngestService } from '../../application/heartbeat-ingest.service';
import { platformSync } from '../../application/platform-time';
import { VerificationQueries } from '../../application/verification-queries.service';

/** As the gateway's route table allows: a full heartbeat batch (500) or a report with log chunks. */
const AGENT_BODY_LIMIT_BYTES = 1024 * 1024;

/** The worker agent's signed traffic after enrollment (ADR 0400): every route authenticates the
 *  request's ed25519 signature and maps the key to its enrolled device. */
@ApiTags('agent')
@ApiHeader({ name: 'x-ionet-agent-key', required: true, description: "The agent's address: base58 of its ed25519 public key (a Solana address)" })
@ApiHeader({ name: 'x-ionet-agent-timestamp', required: true, description: 'Unix milliseconds (wall clock), within 5 minutes of the platform' })
@ApiHeader({ name: 'x-ionet-agent-nonce', required: true, description: 'base64url, 16..64 characters, never reused by this key' })
@ApiHeader({ name: 'x-ionet-agent-signature', required: true, description: 'base64 ed25519 over IONET-AGENT-V1\\nMETHOD\\npath?query\\ntimestamp\\nnonce\\nsha256(body) (ADR 0400)' })
@Controller('v1/agent')
@AgentAuthenticated()
export class AgentController {
  constructor(
    private readonly directory: DeviceDirectory,
    private readonly ingest: HeartbeatIngestService,
    private readonly challenges: ChallengesService,
    private readonly jobs: AgentJobsService,
    private readonly queries: VerificationQueries,
    private readonly mailbox: AgentWorkMailbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A batch (1..500, in order) of signed, hash-chained heartbeats: stored, re-sends counted as
   *  duplicates; 409 VERIFICATION.CHAIN_BROKEN names the expected link. */
  @Post('heartbeats')
  @HttpCode(200)
  @ApiOkResponse({ description: '{accepted, duplicates, lastSequence, lastHash, platformTime, clockRate}' })
  @BodyLimit(AGENT_BODY_LIMIT_BYTES)
  async heartbeats(@AgentCaller() agent: AgentContext, @RequestId() requestId: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<HeartbeatBatchResponse> {
    const device = await this.directory.requireByAgent(agent.address, reply);
    return this.ingest.ingest(device, body, requestId);
  }

  /** Proof-of-work challenges, jobs and stops for this device, re-delivered until acknowledged;
   *  answers at once when there is work, else after waitMs (0..30000) with none. */
  @Get('work')
  @ApiQuery({ name: 'waitMs', required: false, description: 'How long to wait for work, 0..30000 ms' })
  @ApiOkResponse({ description: '{items, platformTime, clockRate}' })
  async work(@AgentCaller() agent: AgentContext, @Query('waitMs') waitMsText: string | undefined, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<WorkResponse> {
    const waitMs = waitMsText === undefined ? 0 : Number(waitMsText);
    if (!/^\d{1,5}$/.test(waitMsText ?? '0') || waitMs > WORK_WAIT_MS_MAX) {
      throw new VerificationError('VERIFICATION.QUERY_INVALID', `waitMs must be an integer from 0 to ${WORK_WAIT_MS_MAX}`, {}, 'invalid');
    }
    const device = await this.directory.requireByAgent(agent.address, reply);
    // A client that goes away ends its wait (its socket closes; a kept-alive socket outlives the
    // request, so the listener goes with the request).
    const gone = new AbortController();
    const socket = request.raw.socket;
    const onClose = () => gone.abort();
    socket.once('close', onClose);
    try {
      const items = await this.mailbox.poll(device.deviceId, waitMs, gone.signal);
      return { items, ...platformSync(this.clock) };
    } finally {
      socket.off('close', onClose);
    }
  }

  /** The answer to a challenge: judged against the claimed GPU model's table. */
  @Post('challenges/:challengeId/result')
  @HttpCode(200)
  @ApiOkResponse({ description: '{verdict: passed|failed, reason?}' })
  async challengeResult(
    @AgentCaller() agent: AgentContext,
    @RequestId() requestId: string,
    @Param('challengeId') challengeId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChallengeResultResponse> {
    const device = await this.directory.requireByAgent(agent.address, reply);
    return this.challenges.submit(device, challengeId, body, requestId);
  }

  /** What the agent did with a job handed to it: published as AgentJobReported, once per sequence. */
  @Post('jobs/:jobId/events')
  @HttpCode(200)
  @ApiOkResponse({ description: '{accepted, duplicates}' })
  @BodyLimit(AGENT_BODY_LIMIT_BYTES)
  async jobEvents(
    @AgentCaller() agent: AgentContext,
    @RequestId() requestId: string,
    @Param('jobId') jobId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ accepted: number; duplicates: number }> {
    const device = await this.directory.requireByAgent(agent.address, reply);
    return this.jobs.report(device, jobId, body, requestId);
  }

  /** The device as verification sees it: chain head, presence, uptime, recent challenges and
   *  verdicts, qualification, reputation (for `ionet-agent status`). */
  @Get('verification')
  @ApiOkResponse({ description: 'The verification view of this device' })
  async verification(@AgentCaller() agent: AgentContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const device = await this.directory.requireByAgent(agent.address, reply);
    return this.queries.agentView(device);
  }
}
