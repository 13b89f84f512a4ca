import { connectivityRank, securityRank, type Candidate, type ConnectivityTier, type SecurityTier, type SupplySource } from '../domain/placement';
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

/** Cluster-ready GPU devices (optionally of one model or class), each with its reputation and
 *  whether a live reservation holds it. Simulated devices are offered like any other and flagged. */
export async function loadCandidates(db: SqlExecutor, gpuModel?: string): Promise<Candidate[]> {
  const { rows } = await db.query<CandidateRow>(
    `select d.device_id, d.supplier_id, d.gpu_model, d.gpu_vram_mib, d.gpu_count, d.country_code, d.region, d.connectivity_tier, d.security_tier, d.source,
       d.price_usdc_base_units::text as price, coalesce(r.score_bps, 0) as reputation_bps, (h.device_id is not null) as held
     from devices d left join reputations r on r.device_id = d.device_id left join reservations h on h.device_id = d.device_id
     where d.status = 'cluster_ready' ${gpuModel === undefined ? '' : `and upper(d.gpu_model) like $1`}`,
    gpuModel === undefined ? [] : [modelPattern(gpuModel)],
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
