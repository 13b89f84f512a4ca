import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, SetMetadata } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { Caller, IDEMPOTENCY_EXEMPT, IdempotencyKey, PAGE_LIMIT_DEFAULT, PageQueryDto, ProblemError, RequestId, RequireScopes, isValidIdempotencyKey, type AuthContext } from '@ionet/platform';
import { AccountsService } from '../../application/accounts.service';
import { ApiKeyPageDto, ApiKeySummaryDto, CreateOrganizationDto, IssueApiKeyDto, IssuedApiKeyDto, MeDto, OrganizationDto } from './accounts.dto';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => ProblemError.of('invalid', 'REQUEST.INVALID_ID', 'The id must be a UUID.'),
});

@ApiTags('accounts')
@Controller('v1')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('organizations')
  @RequireScopes('ops')
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiCreatedResponse({ type: OrganizationDto })
  async createOrganization(
    @RequestId() requestId: string,
    @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined,
    @Body() body: CreateOrganizationDto,
  ): Promise<OrganizationDto> {
    const organizationId = newStreamIdFor('organization', idempotency);
    return OrganizationDto.of(await this.accounts.createOrganization(organizationId, body, causedByRequest(requestId, idempotency), new Date()));
  }

  /** Not replayed by the Idempotency-Key store (it would keep the key in clear): the key id derives
   *  from the Idempotency-Key instead, so a retry issues nothing twice (ADR 0301). */
  @Post('organizations/:organizationId/api-keys')
  @SetMetadata(IDEMPOTENCY_EXEMPT, true)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key issues nothing and answers 409 API_KEY.ALREADY_EXISTS' })
  @ApiCreatedResponse({ type: IssuedApiKeyDto })
  async issueApiKey(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @Param('organizationId', uuid) organizationId: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Body() body: IssueApiKeyDto,
  ): Promise<IssuedApiKeyDto> {
    // The Idempotency-Key interceptor skips this route, so the header is checked here.
    if (idempotencyKey !== undefined && !isValidIdempotencyKey(idempotencyKey)) {
      throw ProblemError.of('invalid', 'IDEMPOTENCY.KEY_INVALID', 'The Idempotency-Key must be 1 to 255 printable ASCII characters.');
    }
    const idempotency = idempotencyKey === undefined ? undefined : { tenantId: caller.tenantId, key: idempotencyKey };
    const apiKeyId = newStreamIdFor('api_key', idempotency);
    return IssuedApiKeyDto.of(await this.accounts.issueApiKey(caller, organizationId, apiKeyId, body, causedByRequest(requestId, idempotency), new Date()));
  }

  @Get('organizations/:organizationId/api-keys')
  @ApiOkResponse({ type: ApiKeyPageDto, description: "The organization's keys, live and revoked (never the keys themselves), oldest first" })
  async listApiKeys(@Caller() caller: AuthContext, @Param('organizationId', uuid) organizationId: string, @Query() page: PageQueryDto): Promise<ApiKeyPageDto> {
    const result = await this.accounts.listApiKeys(caller, organizationId, page.limit ?? PAGE_LIMIT_DEFAULT, page.cursor);
    return { items: result.items.map(ApiKeySummaryDto.of), ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) };
  }

  @Delete('api-keys/:apiKeyId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked (or already revoked); every service refuses the key within seconds' })
  async revokeApiKey(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('apiKeyId', uuid) apiKeyId: string): Promise<void> {
    await this.accounts.revokeApiKey(caller, apiKeyId, causedByRequest(requestId), new Date());
  }

  @Get('me')
  @ApiOkResponse({ type: MeDto })
  async me(@Caller() caller: AuthContext): Promise<MeDto> {
    return MeDto.of(await this.accounts.me(caller));
  }
}
