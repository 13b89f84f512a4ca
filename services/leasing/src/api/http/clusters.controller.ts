import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { causedByRequest } from '@ionet/eventing';
import { Caller, CLOCK, IdempotencyKey, PAGE_LIMIT_DEFAULT, ParseUuidPipe, ProblemError, RequestId, RequireScopes, type AuthContext, type Clock } from '@ionet/platform';
import { ClusterQueries } from '../../application/cluster-queries';
import { clusterView, workersView } from '../../application/cluster-views';
import { LeasesService } from '../../application/leases.service';
import { ClusterCreatedDto, ClustersQueryDto, CreateClusterDto, ExtendClusterDto, LogsQueryDto } from './clusters.dto';

const ENV_VARS_MAX = 100;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function checkedEnv(env: Record<string, unknown> | undefined): Record<string, string> {
  const entries = Object.entries(env ?? {});
  if (entries.length > ENV_VARS_MAX) throw ProblemError.of('invalid', 'LEASING.INVALID_ENV', `env holds at most ${ENV_VARS_MAX} variables`);
  for (const [k, v] of entries) {
    if (!ENV_NAME.test(k)) throw ProblemError.of('invalid', 'LEASING.INVALID_ENV', `env name ${JSON.stringify(k.slice(0, 64))} is not a variable name`);
    if (typeof v !== 'string' || v.length > 32_768) throw ProblemError.of('invalid', 'LEASING.INVALID_ENV', `env.${k} must be a string of at most 32 KiB`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** A customer's clusters (API.md, Demand); ops see any. */
@ApiTags('clusters')
@Controller('v1/clusters')
@RequireScopes('customer', 'ops')
export class ClustersController {
  constructor(
    private readonly leases: LeasesService,
    private readonly queries: ClusterQueries,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A cluster from a live quote of the caller: awaiting payment until the escrow locks. */
  @Post()
  @RequireScopes('customer')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key answers the same cluster' })
  @ApiCreatedResponse({ type: ClusterCreatedDto })
  async create(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined, @Body() body: CreateClusterDto): Promise<ClusterCreatedDto> {
    const state = await this.leases.create(
      caller.tenantId,
      body.quoteId,
      { name: body.name, image: body.image, command: body.command ?? [], env: checkedEnv(body.env), ports: body.ports ?? [] },
      causedByRequest(requestId, idempotency),
    );
    return { clusterId: state.leaseId, status: state.status };
  }

  @Get()
  @ApiOkResponse({ description: "The caller's clusters, newest first (cursor pages)" })
  async list(@Caller() caller: AuthContext, @Query() query: ClustersQueryDto) {
    return this.queries.list(caller.tenantId, query.status, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  @Get(':clusterId')
  @ApiOkResponse({ description: 'Status and why, devices, hours served and remaining, amount paid, fundedAt, dispatchedAt' })
  async get(@Caller() caller: AuthContext, @Param('clusterId', ParseUuidPipe) clusterId: string) {
    return clusterView(await this.leases.get(customerOf(caller), clusterId), this.clock.now());
  }

  @Get(':clusterId/workers')
  @ApiOkResponse({ description: 'Per device: role, job status, uptime, proven hours' })
  async workers(@Caller() caller: AuthContext, @Param('clusterId', ParseUuidPipe) clusterId: string) {
    const state = await this.leases.get(customerOf(caller), clusterId);
    return { items: workersView(state, this.clock.now()) };
  }

  @Get(':clusterId/logs')
  @ApiOkResponse({ description: "The agents' log chunks, oldest first (cursor pages)" })
  async logs(@Caller() caller: AuthContext, @Param('clusterId', ParseUuidPipe) clusterId: string, @Query() query: LogsQueryDto) {
    await this.leases.get(customerOf(caller), clusterId);
    return this.queries.logs(clusterId, query.deviceId, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  /** More hours, priced like the original (the same devices and prices), paid by a new escrow. */
  @Post(':clusterId/extend')
  @HttpCode(200)
  @RequireScopes('customer')
  async extend(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined, @Param('clusterId', ParseUuidPipe) clusterId: string, @Body() body: ExtendClusterDto) {
    const state = await this.leases.extend(caller.tenantId, clusterId, body.hours, causedByRequest(requestId, idempotency));
    return clusterView(state, this.clock.now());
  }

  /** Early termination: unused hours refunded except the first hour and the fees (DOMAIN.md); every
   *  agent told to stop. Deleting an ended cluster answers it as it is. */
  @Delete(':clusterId')
  @HttpCode(200)
  async terminate(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('clusterId', ParseUuidPipe) clusterId: string) {
    const state = await this.leases.terminate(customerOf(caller), clusterId, causedByRequest(requestId));
    return clusterView(state, this.clock.now());
  }
}

/** The customer whose clusters the caller sees: its own; ops any (undefined). */
function customerOf(caller: AuthContext): string | undefined {
  return caller.scopes.includes('ops') ? undefined : caller.tenantId;
}
