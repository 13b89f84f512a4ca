import { Body, Controller, Get, HttpCode, Inject, Module, Param, Put, Query, type DynamicModule } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Equals, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import type { Pool } from 'pg';
import { baseConfigSchema, type BaseConfig } from '../src/config/config';
import { Public } from '../src/auth/auth.decorators';
import { ParseUuidPipe } from '../src/http/edge-values';
import { decodeCursor, encodeCursor, PageQueryDto } from '../src/http/pagination';
import { PlatformModule } from '../src/platform.module';
import { PG_POOL } from '../src/platform.tokens';
import type { ServiceDefinition } from '../src/bootstrap';

/** A service shaped like inventory (nested money DTOs, UUID filters, keyset cursors over real
 *  PostgreSQL), so the platform's edge is tested as every service uses it. */
export class PriceDto {
  @ApiProperty() @Matches(/^[1-9][0-9]{0,29}$/) amountBaseUnits!: string;
  @ApiProperty() @Equals('USDC') asset!: 'USDC';
}

export class SetPriceDto {
  @ApiProperty({ type: PriceDto })
  @ValidateNested()
  @Type(() => PriceDto)
  askPricePerGpuHour!: PriceDto;

  @ApiPropertyOptional({ type: PriceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PriceDto)
  floorPricePerGpuHour?: PriceDto;
}

export class WidgetQueryDto extends PageQueryDto {
  // Documented as a UUID but checked only by length, as inventory's supplierId filter was.
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @Matches(/^[0-9a-f-]{36}$/i) ownerId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) label?: string;
}

export class FaultError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown as the libraries throw them today: a plain Error with an AREA.REASON code. */
const LIBRARY_FAULT_CODES = ['TRANSACTION.ROLLED_BACK', 'EVENT_STORE.UNKNOWN_EVENT_TYPE', 'CONTRACT.MISSING_FIELD', 'PROJECTION.REBUILD_IN_PROGRESS'];

@Public()
@Controller('v1')
class WidgetsController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  @Put('widgets/:widgetId/price')
  @HttpCode(200)
  setPrice(@Param('widgetId', ParseUuidPipe) widgetId: string, @Body() body: SetPriceDto) {
    return { widgetId, amountBaseUnits: BigInt(body.askPricePerGpuHour.amountBaseUnits).toString() };
  }

  @Get('widgets')
  async list(@Query() query: WidgetQueryDto) {
    const after = query.cursor ? decodeCursor(query.cursor, ['registeredAt', 'id'] as const) : undefined;
    const { rows } = await this.pool.query<{ id: string; registered_at: Date }>(
      `select gen_random_uuid()::text as id, now() as registered_at
        where ($1::uuid is null or $1::uuid <> '00000000-0000-0000-0000-000000000000')
          and ($2::text is null or length($2::text) > 0)
          and ($3::timestamptz is null or ($3::timestamptz, $4::uuid) < (now(), gen_random_uuid()))`,
      [query.ownerId ?? null, query.label ?? null, after?.registeredAt ?? null, after?.id ?? null],
    );
    return { items: rows.map((r) => r.id), nextCursor: encodeCursor({ registeredAt: rows[0]!.registered_at.toISOString(), id: rows[0]!.id }) };
  }

  @Get('widgets/:widgetId')
  async get(@Param('widgetId') widgetId: string) {
    // The path value goes straight to SQL: only the platform's character check stands before it.
    const { rows } = await this.pool.query<{ label: string }>('select $1::text as label', [widgetId]);
    return rows[0];
  }

  @Get('faults/:index')
  fault(@Param('index') index: string): never {
    const code = LIBRARY_FAULT_CODES[Number(index)] ?? 'TRANSACTION.ROLLED_BACK';
    throw new FaultError(code, `relation "events_7f3a" in schema inv_secret failed: ${code}`);
  }
}

@Module({})
class EdgeTestModule {
  static forRoot(config: BaseConfig, platform: Parameters<ServiceDefinition<BaseConfig>['module']>[1]): DynamicModule {
    return {
      module: EdgeTestModule,
      imports: [PlatformModule.forRoot({ config, ...platform, entities: [], migrations: [] })],
      controllers: [WidgetsController],
    };
  }
}

export const edgeTestService: ServiceDefinition<BaseConfig> = {
  configSchema: baseConfigSchema,
  module: (config, platform) => EdgeTestModule.forRoot(config, platform),
  openApi: { title: 'edge test', description: 'platform edge checks', version: '1' },
};
