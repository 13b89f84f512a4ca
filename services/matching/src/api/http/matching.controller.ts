import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { Caller, IdempotencyKey, PAGE_LIMIT_DEFAULT, RequestId, RequireScopes, type AuthContext } from '@ionet/platform';
import { OffersQuery, type Offer } from '../../application/offers.query';
import { QuotesService, type QuoteResult } from '../../application/quotes.service';
import type { QuoteRequest } from '../../domain/quote.decider';
import { HardwareListDto, HardwareQueryDto, OfferPageDto, OffersQueryDto, QuoteDto, QuoteRequestDto, type OfferDto } from './matching.dto';

const usdc = (amount: bigint) => ({ amountBaseUnits: amount.toString(), asset: 'USDC' as const });

@ApiTags('demand')
@Controller('v1')
@RequireScopes('customer', 'ops', 'supplier', 'partner_network')
export class MatchingController {
  constructor(
    private readonly offers: OffersQuery,
    private readonly quotes: QuotesService,
  ) {}

  /** Per GPU model: devices and GPUs available now, countries, lowest and median price per GPU-hour. */
  @Get('hardware')
  @ApiOkResponse({ type: HardwareListDto })
  async hardware(@Query() q: HardwareQueryDto): Promise<HardwareListDto> {
    const lines = await this.offers.hardware({
      ...(q.countryCode ? { countryCodes: [q.countryCode] } : {}),
      ...(q.connectivityTier ? { connectivityTier: q.connectivityTier } : {}),
      ...(q.securityTier ? { securityTier: q.securityTier } : {}),
      ...(q.source ? { sources: [q.source] } : {}),
    });
    return {
      items: lines.map((l) => ({
        gpuModel: l.gpuModel,
        availableDevices: l.availableDevices,
        availableGpus: l.availableGpus,
        countries: l.countries,
        lowestPricePerGpuHour: usdc(l.lowestPrice),
        medianPricePerGpuHour: usdc(l.medianPrice),
      })),
    };
  }

  /** Device offers available now, filtered and sorted (price ascending, or reliability descending). */
  @Get('offers')
  @ApiOkResponse({ type: OfferPageDto })
  async list(@Query() q: OffersQueryDto): Promise<OfferPageDto> {
    const page = await this.offers.offers(
      {
        ...(q.gpuModel ? { gpuModel: q.gpuModel } : {}),
        ...(q.gpuCountMin ? { gpuCountMin: q.gpuCountMin } : {}),
        ...(q.vramMibMin ? { vramMibMin: q.vramMibMin } : {}),
        ...(q.countryCode ? { countryCodes: q.countryCode } : {}),
        ...(q.connectivityTier ? { connectivityTier: q.connectivityTier } : {}),
        ...(q.securityTier ? { securityTier: q.securityTier } : {}),
        ...(q.source ? { sources: q.source } : {}),
        ...(q.maxPricePerGpuHour ? { maxPricePerGpuHour: BigInt(q.maxPricePerGpuHour) } : {}),
        ...(q.reliabilityMin !== undefined ? { reliabilityMin: q.reliabilityMin } : {}),
      },
      q.sort ?? 'price',
      q.limit ?? PAGE_LIMIT_DEFAULT,
      q.cursor,
    );
    return { items: page.items.map(offerView), nextCursor: page.nextCursor ?? null };
  }

  /** Places the cluster and holds its devices until the quote expires (20 minutes by default). */
  @Post('quotes')
  @HttpCode(201)
  @RequireScopes('customer', 'ops')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key answers the same quote and holds nothing twice' })
  @ApiCreatedResponse({ type: QuoteDto })
  @ApiUnprocessableEntityResponse({ description: 'MATCHING.UNMATCHABLE with `explain`: candidates left after each filter, and the nearest alternatives' })
  async quote(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined,
    @Body() body: QuoteRequestDto,
  ): Promise<QuoteDto> {
    const request: QuoteRequest = {
      clusterType: body.clusterType,
      gpuModel: body.gpuModel,
      gpuCount: body.gpuCount,
      countryCodes: (body.countryCodes ?? []).map((c) => c.toUpperCase()),
      connectivityTier: body.connectivityTier ?? 'low',
      securityTier: body.securityTier ?? 'standard',
      sources: body.sources ?? [],
      durationHours: body.durationHours,
      ...(body.maxPricePerGpuHour ? { maxPricePerGpuHour: BigInt(body.maxPricePerGpuHour.amountBaseUnits), maxPriceAsset: body.maxPricePerGpuHour.asset } : {}),
      paymentAsset: body.paymentAsset,
    };
    const result = await this.quotes.quote({
      quoteId: newStreamIdFor('quote', idempotency),
      requestId,
      customerId: caller.tenantId,
      request,
      cause: causedByRequest(requestId, idempotency),
    });
    return quoteView(result);
  }
}

export function quoteView(q: QuoteResult): QuoteDto {
  const m = (amount: bigint) => ({ amountBaseUnits: amount.toString(), asset: q.asset });
  return {
    quoteId: q.quoteId,
    expiresAt: q.expiresAt.toISOString(),
    clusterType: q.request.clusterType,
    durationHours: q.request.durationHours,
    devices: q.devices.map((d) => ({ deviceId: d.deviceId, supplierId: d.supplierId, role: d.role, gpuCount: d.gpuCount, pricePerGpuHour: m(d.pricePerGpuHour), countryCode: d.countryCode, region: d.region })),
    price: { compute: m(q.price.compute), reservationFee: m(q.price.reservationFee), paymentFee: m(q.price.paymentFee), total: m(q.price.total) },
  };
}

function offerView({ priceUsdcBaseUnits, ...o }: Offer): OfferDto {
  return { ...o, pricePerGpuHour: usdc(priceUsdcBaseUnits) };
}
