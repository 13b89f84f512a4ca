import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CLOCK, Caller, IdempotencyKey, ParseUuidPipe, type Clock, PAGE_LIMIT_DEFAULT, PageQueryDto, RequestId, RequireScopes, type AuthContext } from '@ionet/platform';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { SuppliersService } from '../../application/suppliers.service';
import { RegisterSupplierDto, SupplierDto, SupplierPageDto } from './supplier.dto';

@ApiTags('suppliers')
@Controller('v1/suppliers')
@RequireScopes('ops', 'supplier')
export class SuppliersController {
  constructor(
    private readonly suppliers: SuppliersService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes a retry safe: the same key creates the supplier once' })
  @ApiCreatedResponse({ type: SupplierDto })
  async register(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined,
    @Body() body: RegisterSupplierDto,
  ): Promise<SupplierDto> {
    const supplierId = newStreamIdFor('supplier', idempotency);
    return SupplierDto.of(await this.suppliers.register(caller, supplierId, body, causedByRequest(requestId, idempotency), this.clock.now()));
  }

  @Get(':supplierId')
  @ApiOkResponse({ type: SupplierDto })
  async get(@Caller() caller: AuthContext, @Param('supplierId', ParseUuidPipe) supplierId: string): Promise<SupplierDto> {
    return SupplierDto.of(await this.suppliers.get(caller, supplierId));
  }

  @Get()
  @ApiOkResponse({ type: SupplierPageDto })
  async list(@Caller() caller: AuthContext, @Query() page: PageQueryDto): Promise<SupplierPageDto> {
    const result = await this.suppliers.list(caller, page.limit ?? PAGE_LIMIT_DEFAULT, page.cursor);
    return { items: result.items.map(SupplierDto.of), ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) };
  }
}
