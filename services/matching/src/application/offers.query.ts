import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL, ProblemError, decodeCursor, toPage, type Page } from '@ionet/platform';
import type { Pool } from 'pg';
import { CONNECTIVITY_TIERS, SECURITY_TIERS, type Candidate, type ConnectivityTier, type SecurityTier, type SupplySource } from '../domain/placement';
import { modelPattern } from './candidates';

export interface OfferFilter {
  gpuModel?: string;
  gpuCountMin?: number;
  vramMibMin?: number;
  countryCodes?: string[];
  connectivityTier?: ConnectivityTier;
  securityTier?: SecurityTier;
  sources?: SupplySource[];
  maxPricePerGpuHour?: bigint;
  reliabilityMin?: number;
}

export interface Offer extends Pick<Candidate, 'deviceId' | 'supplierId' | 'gpuModel' | 'gpuCount' | 'vramMib' | 'countryCode' | 'region'> {
  connectivityTier: string;
  securityTier: string;
  source: string;
  priceUsdcBaseUnits: bigint;
  reliabilityBps: number;
  simulated: boolean;
}

export interface HardwareLine {
  gpuModel: string;
  availableDevices: number;
  availableGpus: number;
  countries: string[];
  lowestPrice: bigint;
  medianPrice: bigint;
}

/** Tiers at or above a minimum, as the projection stores them. */
const atLeast = <T extends string>(tiers: readonly T[], min: T): T[] => tiers.slice(tiers.indexOf(min));

const AVAILABLE = `from devices d left join reputations r on r.device_id = d.device_id
  where d.status = 'cluster_ready' and not exists (select 1 from reservations h where h.device_id = d.device_id)`;

/** Search over the offerable devices: cluster-ready and held by no live reservation. */
@Injectable()
export class OffersQuery {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  private where(f: OfferFilter, params: unknown[]): string[] {
    const clauses: string[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      clauses.push(sql(`$${params.length}`));
    };
    if (f.gpuModel) add((p) => `upper(d.gpu_model) like ${p}`, modelPattern(f.gpuModel));
    if (f.gpuCountMin) add((p) => `d.gpu_count >= ${p}`, f.gpuCountMin);
    if (f.vramMibMin) add((p) => `d.gpu_vram_mib >= ${p}`, f.vramMibMin);
    if (f.countryCodes?.length) add((p) => `d.country_code = any(${p}::text[])`, f.countryCodes.map((c) => c.toUpperCase()));
    if (f.connectivityTier) add((p) => `d.connectivity_tier = any(${p}::text[])`, atLeast(CONNECTIVITY_TIERS, f.connectivityTier));
    if (f.securityTier) add((p) => `d.security_tier = any(${p}::text[])`, atLeast(SECURITY_TIERS, f.securityTier));
    if (f.sources?.length) add((p) => `d.source = any(${p}::text[])`, f.sources);
    if (f.maxPricePerGpuHour !== undefined) add((p) => `d.price_usdc_base_units <= ${p}::numeric`, f.maxPricePerGpuHour.toString());
    if (f.reliabilityMin !== undefined) add((p) => `coalesce(r.score_bps, 0) >= ${p}`, f.reliabilityMin);
    return clauses;
  }

  async offers(f: OfferFilter, sort: 'price' | 'reliability', limit: number, cursor?: string): Promise<Page<Offer>> {
    const params: unknown[] = [];
    const clauses = this.where(f, params);
    const key = sort === 'price' ? `d.price_usdc_base_units` : `coalesce(r.score_bps, 0)`;
    if (cursor) {
      const after = decodeCursor(cursor, { k: 'string', id: 'uuid' } as const);
      if (!/^[0-9]{1,30}$/.test(String(after.k))) throw ProblemError.of('invalid', 'REQUEST.INVALID_CURSOR', 'The cursor is not one this list issued.');
      params.push(String(after.k), after.id);
      const [k, id] = [`$${params.length - 1}::numeric`, `$${params.length}::uuid`];
      clauses.push(sort === 'price' ? `(d.price_usdc_base_units, d.device_id) > (${k}, ${id})` : `(${key} < ${k} or (${key} = ${k} and d.device_id > ${id}))`);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `select d.*, d.price_usdc_base_units::text as price, coalesce(r.score_bps, 0) as reliability ${AVAILABLE} ${clauses.map((c) => `and ${c}`).join(' ')}
       order by ${key} ${sort === 'price' ? 'asc' : 'desc'}, d.device_id limit $${params.length}`,
      params,
    );
    const items = rows.map(
      (r): Offer => ({
        deviceId: r.device_id as string,
        supplierId: r.supplier_id as string,
        gpuModel: r.gpu_model as string,
        gpuCount: r.gpu_count as number,
        vramMib: r.gpu_vram_mib as number,
        countryCode: r.country_code as string,
        region: r.region as string,
        connectivityTier: r.connectivity_tier as string,
        securityTier: r.security_tier as string,
        source: r.source as string,
        priceUsdcBaseUnits: BigInt(r.price as string),
        reliabilityBps: r.reliability as number,
        simulated: r.simulated as boolean,
      }),
    );
    return toPage(items, limit, (o) => ({ k: sort === 'price' ? o.priceUsdcBaseUnits.toString() : String(o.reliabilityBps), id: o.deviceId }));
  }

  /** Per GPU model: available devices and GPUs now, countries, lowest and median price per GPU-hour. */
  async hardware(f: Pick<OfferFilter, 'countryCodes' | 'connectivityTier' | 'securityTier' | 'sources'>): Promise<HardwareLine[]> {
    const params: unknown[] = [];
    const clauses = this.where(f, params);
    const { rows } = await this.pool.query<{ gpu_model: string; devices: string; gpus: string; countries: string[]; lowest: string; median: string }>(
      `select d.gpu_model, count(*)::text as devices, sum(d.gpu_count)::text as gpus, array_agg(distinct d.country_code order by d.country_code) as countries,
         min(d.price_usdc_base_units)::text as lowest, (percentile_disc(0.5) within group (order by d.price_usdc_base_units))::text as median
       ${AVAILABLE} ${clauses.map((c) => `and ${c}`).join(' ')}
       group by d.gpu_model order by d.gpu_model`,
      params,
    );
    return rows.map((r) => ({
      gpuModel: r.gpu_model,
      availableDevices: Number(r.devices),
      availableGpus: Number(r.gpus),
      countries: r.countries,
      lowestPrice: BigInt(r.lowest),
      medianPrice: BigInt(r.median),
    }));
  }
}
