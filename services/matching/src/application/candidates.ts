import { CONNECTIVITY_TIERS, SECURITY_TIERS, connectivityRank, securityRank, type Candidate, type PlacementRequest, type ConnectivityTier, type SecurityTier, type SupplySource } from '../domain/placement';
import type { SqlExecutor } from '@ionet/eventing';

interface CandidateRow {
  device_id: string;
  supplier_id: string;
  gpu_model: string;
  gpu_vram_mib: number;
  gpu_count: number;
  country_code: string;
  region: string;
  connectivity_tier: ConnectivityTier;
  security_tier: SecurityTier;
  source: SupplySource;
  price: string;
  reputation_bps: number;
  held: boolean;
}

/** The SQL `like` pattern of a model or class ("A100*" -> "A100%"), upper case. */
export function modelPattern(gpuModel: string): string {
  const upper = gpuModel.trim().toUpperCase().replace(/[%_\\]/g, (c) => `\\${c}`);
  return upper.endsWith('*') ? `${upper.slice(0, -1)}%` : upper;
}

/** Candidates fetched per placement at most: the best ranked free devices under the request's
 *  filters (ADR 0500); the explain of a refusal reads every cluster-ready device. */
export const CANDIDATES_MAX = 5_000;

/** The first window a placement reads: Ray looks wider (it prefers one location), the others need
 *  little more than one device per GPU. A window that comes back full and cannot place the request
 *  is read again without a limit before the request is refused. */
export function candidateWindow(request: PlacementRequest): number {
  return Math.min(CANDIDATES_MAX, 32 + request.gpuCount * (request.clusterType === 'ray' ? 16 : 4));
}

/**
 * Cluster-ready GPU devices with their reputation and whether a live reservation holds them.
 * With a request: only free devices passing its filters, in the cluster type's rank order (best
 * first, at most `limit`), ready for `place(..., { ranked: true })`. Without: every cluster-ready
 * device (the explain counts them all). Simulated devices are offered like any other.
 */
export async function loadCandidates(db: SqlExecutor, request?: PlacementRequest, limit = CANDIDATES_MAX): Promise<Candidate[]> {
  const params: unknown[] = [];
  const where: string[] = [`d.status = 'cluster_ready'`];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  let order = '';
  if (request) {
    add((p) => `upper(d.gpu_model) like ${p}`, modelPattern(request.gpuModel));
    where.push(`h.device_id is null`);
    if (request.countryCodes.length) add((p) => `d.country_code = any(${p}::text[])`, request.countryCodes.map((c) => c.toUpperCase()));
    if (request.connectivityMin > 1) add((p) => `d.connectivity_tier = any(${p}::text[])`, CONNECTIVITY_TIERS.slice(request.connectivityMin - 1));
    if (request.securityMin > 1) add((p) => `d.security_tier = any(${p}::text[])`, SECURITY_TIERS.slice(request.securityMin - 1));
    if (request.sources.length) add((p) => `d.source = any(${p}::text[])`, request.sources);
    if (request.maxPriceUsdMicros !== undefined) add((p) => `d.price_usdc_base_units <= ${p}::numeric`, request.maxPriceUsdMicros.toString());
    const connectivity = `array_position(array['low','medium','high','ultra_high'], d.connectivity_tier)`;
    const tail = `coalesce(r.score_bps, 0) desc, d.device_id`;
    order = request.clusterType === 'ray' ? `order by ${connectivity} desc, d.price_usdc_base_units, ${tail}` : `order by d.price_usdc_base_units, ${connectivity} desc, ${tail}`;
    if (request.clusterType !== 'mega_ray') {
      params.push(limit);
      order += ` limit $${params.length}`;
    }
  }
  const { rows } = await db.query<CandidateRow>(
    `select d.device_id, d.supplier_id, d.gpu_model, d.gpu_vram_mib, d.gpu_count, d.country_code, d.region, d.connectivity_tier, d.security_tier, d.source,
       d.price_usdc_base_units::text as price, coalesce(r.score_bps, 0) as reputation_bps, (h.device_id is not null) as held
     from devices d left join reputations r on r.device_id = d.device_id left join reservations h on h.device_id = d.device_id
     where ${where.join(' and ')} ${order}`,
    params,
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    supplierId: r.supplier_id,
    gpuModel: r.gpu_model,
    gpuCount: r.gpu_count,
    vramMib: r.gpu_vram_mib,
    countryCode: r.country_code,
    region: r.region,
    connectivity: connectivityRank(r.connectivity_tier),
    security: securityRank(r.security_tier),
    source: r.source,
    priceUsdMicros: BigInt(r.price),
    reputationBps: r.reputation_bps,
    held: r.held,
  }));
}
