/**
 * Cluster placement: which devices a request gets, and, when none fits, why (the explain) and what
 * would place it now (the nearest alternatives). Pure: the caller hands in the candidate devices
 * (cluster-ready, not held) and gets a decision; nothing here reads a clock or a database.
 */

export const CLUSTER_TYPES = ['ray', 'mega_ray', 'kubernetes', 'container'] as const;
export type ClusterType = (typeof CLUSTER_TYPES)[number];
export const CONNECTIVITY_TIERS = ['low', 'medium', 'high', 'ultra_high'] as const;
export type ConnectivityTier = (typeof CONNECTIVITY_TIERS)[number];
export const SECURITY_TIERS = ['standard', 'secure', 'compliant'] as const;
export type SecurityTier = (typeof SECURITY_TIERS)[number];
export const SUPPLY_SOURCES = ['data_center', 'mining_farm', 'individual', 'partner_network'] as const;
export type SupplySource = (typeof SUPPLY_SOURCES)[number];
export type Role = 'head' | 'worker' | 'node';

/** Rank of a tier (1 = lowest); a request's tier is a minimum. */
export const connectivityRank = (t: ConnectivityTier): number => CONNECTIVITY_TIERS.indexOf(t) + 1;
export const securityRank = (t: SecurityTier): number => SECURITY_TIERS.indexOf(t) + 1;

/** One offerable device as placement sees it (prices in USDC base units, micro-dollars). */
export interface Candidate {
  deviceId: string;
  supplierId: string;
  gpuModel: string;
  gpuCount: number;
  vramMib: number;
  countryCode: string;
  region: string;
  /** 1..4 (low..ultra high). */
  connectivity: number;
  /** 1..3 (standard..compliant). */
  security: number;
  source: SupplySource;
  priceUsdMicros: bigint;
  /** 0..10000; devices verification has not scored yet count as 0. */
  reputationBps: number;
  /** Held by a live reservation: never placed, counted by the explain. */
  held: boolean;
}

export interface PlacementRequest {
  clusterType: ClusterType;
  /** A model ("H100-80GB") or a class ending in `*` ("A100*"). */
  gpuModel: string;
  /** GPUs wanted; for Mega-Ray the minimum (it takes every matching GPU). */
  gpuCount: number;
  /** Empty: any country. */
  countryCodes: string[];
  /** Minimum tiers (1-based ranks); 0 = any. */
  connectivityMin: number;
  securityMin: number;
  /** Empty: any source. */
  sources: SupplySource[];
  /** Absent: no cap. */
  maxPriceUsdMicros?: bigint;
}

export interface Placed {
  deviceId: string;
  supplierId: string;
  gpuCount: number;
  priceUsdMicros: bigint;
  role: Role;
  countryCode: string;
  region: string;
}

export interface ExplainStep {
  filter: 'cluster_ready' | 'gpuModel' | 'not_reserved' | 'countryCodes' | 'connectivityTier' | 'securityTier' | 'sources' | 'maxPricePerGpuHour';
  /** Devices and their GPUs left after this filter (and every one before it). */
  devicesLeft: number;
  gpusLeft: number;
}

/** A change to the request that would place it now, with what it would cost. */
export interface Alternative {
  change: 'countryCodes' | 'connectivityTier' | 'securityTier' | 'sources' | 'maxPricePerGpuHour' | 'gpuCount';
  /** The value to send instead. */
  value: string[] | string | number;
  /** GPUs that would then be available. */
  gpusAvailable: number;
}

export interface Explain {
  steps: ExplainStep[];
  gpusRequested: number;
  alternatives: Alternative[];
}

export type PlacementDecision = { placed: true; devices: Placed[] } | { placed: false; explain: Explain };

export function matchesModel(pattern: string, model: string): boolean {
  const p = pattern.trim().toUpperCase();
  const m = model.toUpperCase();
  return p.endsWith('*') ? m.startsWith(p.slice(0, -1)) : m === p;
}

type Check = (c: Candidate) => boolean;

/** The filters in explain order; each is `undefined` when the request does not constrain it. */
function filtersOf(r: PlacementRequest): Array<[ExplainStep['filter'], Check]> {
  const countries = new Set(r.countryCodes.map((c) => c.toUpperCase()));
  const sources = new Set(r.sources);
  const cap = r.maxPriceUsdMicros;
  return [
    ['gpuModel', (c) => matchesModel(r.gpuModel, c.gpuModel)],
    ['not_reserved', (c) => !c.held],
    ['countryCodes', (c) => countries.size === 0 || countries.has(c.countryCode.toUpperCase())],
    ['connectivityTier', (c) => c.connectivity >= r.connectivityMin],
    ['securityTier', (c) => c.security >= r.securityMin],
    ['sources', (c) => sources.size === 0 || sources.has(c.source)],
    ['maxPricePerGpuHour', (c) => cap === undefined || c.priceUsdMicros <= cap],
  ];
}

/** Ray prefers connectivity (the head talks to every worker), the others price. Ties: reputation, id. */
function rankOf(type: ClusterType): (a: Candidate, b: Candidate) => number {
  const byPrice = (a: Candidate, b: Candidate) => (a.priceUsdMicros < b.priceUsdMicros ? -1 : a.priceUsdMicros > b.priceUsdMicros ? 1 : 0);
  const tail = (a: Candidate, b: Candidate) => b.reputationBps - a.reputationBps || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0);
  if (type === 'ray') return (a, b) => b.connectivity - a.connectivity || byPrice(a, b) || tail(a, b);
  return (a, b) => byPrice(a, b) || b.connectivity - a.connectivity || tail(a, b);
}

/** One predicate for every filter (the model match is cached per model name: a few models, many devices). */
export function eligibility(r: PlacementRequest): (c: Candidate) => boolean {
  const models = new Map<string, boolean>();
  const countries = r.countryCodes.length ? new Set(r.countryCodes.map((c) => c.toUpperCase())) : undefined;
  const sources = r.sources.length ? new Set<string>(r.sources) : undefined;
  const cap = r.maxPriceUsdMicros;
  return (c) => {
    if (c.held || c.connectivity < r.connectivityMin || c.security < r.securityMin) return false;
    if (cap !== undefined && c.priceUsdMicros > cap) return false;
    if (sources && !sources.has(c.source)) return false;
    if (countries && !countries.has(c.countryCode.toUpperCase())) return false;
    let model = models.get(c.gpuModel);
    if (model === undefined) models.set(c.gpuModel, (model = matchesModel(r.gpuModel, c.gpuModel)));
    return model;
  };
}

/** Candidates passing every filter, in their given order. */
export function eligible(candidates: readonly Candidate[], r: PlacementRequest): Candidate[] {
  return candidates.filter(eligibility(r));
}

/**
 * Places the request on the candidates. Whole devices are held (a device is in one reservation);
 * a device larger than what is still missing is taken only when nothing smaller completes the
 * request. Ray, Kubernetes and containers prefer one location (country and region): scanning the
 * devices in rank order, the first location whose best devices make up the request exactly wins;
 * else exactly across locations; else the smallest overshoot. `ranked: true` says the candidates
 * are already in the cluster type's rank order (an in-memory index): the scan then stops early.
 */
export function place(candidates: readonly Candidate[], r: PlacementRequest, options: { ranked?: boolean } = {}): PlacementDecision {
  let devices: Candidate[] | undefined;
  if (r.clusterType === 'mega_ray') {
    const ok = eligible(candidates, r);
    devices = megaRay(options.ranked ? ok : ok.sort(rankOf(r.clusterType)), r.gpuCount);
  } else if (options.ranked) {
    devices = oneLocationFirst(candidates, eligibility(r), r.gpuCount);
  } else {
    devices = oneLocationFirst(eligible(candidates, r).sort(rankOf(r.clusterType)), () => true, r.gpuCount);
  }
  if (devices) return { placed: true, devices: withRoles(devices, r.clusterType) };
  return { placed: false, explain: explain(candidates, r) };
}

function megaRay(ranked: Candidate[], minimum: number): Candidate[] | undefined {
  const gpus = ranked.reduce((n, c) => n + c.gpuCount, 0);
  return ranked.length > 0 && gpus >= Math.max(1, minimum) ? ranked : undefined;
}

/** Early exact fills per location before the scan moves on (bounds the work on a location that cannot be exact). */
const EARLY_FILLS_PER_LOCATION = 4;

function oneLocationFirst(ranked: readonly Candidate[], check: (c: Candidate) => boolean, wanted: number): Candidate[] | undefined {
  const byLocation = new Map<string, { list: Candidate[]; gpus: number; tries: number }>();
  const all: Candidate[] = [];
  for (const c of ranked) {
    if (!check(c)) continue;
    all.push(c);
    const key = `${c.countryCode}/${c.region}`;
    let at = byLocation.get(key);
    if (!at) byLocation.set(key, (at = { list: [], gpus: 0, tries: 0 }));
    at.list.push(c);
    at.gpus += c.gpuCount;
    if (at.gpus >= wanted && at.tries < EARLY_FILLS_PER_LOCATION) {
      at.tries++;
      const chosen = fill(at.list, wanted);
      if (chosen && gpusOf(chosen) === wanted) return chosen;
    }
  }
  // Every candidate seen: exact in one location, exact across locations, then the smallest overshoot.
  let overshoot: Candidate[] | undefined;
  for (const { list, gpus } of byLocation.values()) {
    if (gpus < wanted) continue;
    const chosen = fill(list, wanted);
    if (!chosen) continue;
    if (gpusOf(chosen) === wanted) return chosen;
    if (!overshoot || gpusOf(chosen) < gpusOf(overshoot)) overshoot = chosen;
  }
  const anywhere = fill(all, wanted);
  if (anywhere && gpusOf(anywhere) === wanted) return anywhere;
  return overshoot ?? anywhere;
}

/** The rank order of a cluster type, for callers that keep an index sorted by it. */
export function rankOrder(type: ClusterType): (a: Candidate, b: Candidate) => number {
  return rankOf(type);
}

/** Takes devices in rank order without overshooting; the last gap is closed by the smallest device that covers it. */
function fill(ranked: readonly Candidate[], wanted: number): Candidate[] | undefined {
  const chosen: Candidate[] = [];
  let missing = wanted;
  for (const c of ranked) {
    if (missing <= 0) break;
    if (c.gpuCount <= missing) {
      chosen.push(c);
      missing -= c.gpuCount;
    }
  }
  if (missing > 0) {
    const taken = new Set(chosen);
    let cover: Candidate | undefined;
    for (const c of ranked) if (!taken.has(c) && c.gpuCount >= missing && (!cover || c.gpuCount < cover.gpuCount)) cover = c;
    if (!cover) return undefined;
    chosen.push(cover);
  }
  return chosen;
}

/** Ray: the best-connected device is the head; Kubernetes and containers: every device is a node. */
function withRoles(devices: Candidate[], type: ClusterType): Placed[] {
  let head = -1;
  if (type === 'ray' || type === 'mega_ray') {
    head = 0;
    devices.forEach((d, i) => {
      const h = devices[head]!;
      if (d.connectivity > h.connectivity || (d.connectivity === h.connectivity && d.reputationBps > h.reputationBps)) head = i;
    });
  }
  return devices.map((d, i) => ({
    deviceId: d.deviceId,
    supplierId: d.supplierId,
    gpuCount: d.gpuCount,
    priceUsdMicros: d.priceUsdMicros,
    role: head < 0 ? 'node' : i === head ? 'head' : 'worker',
    countryCode: d.countryCode,
    region: d.region,
  }));
}

const gpusOf = (list: readonly Candidate[]) => list.reduce((n, c) => n + c.gpuCount, 0);

/** How many candidates each filter left, in order, and the nearest changes that would place the request. */
export function explain(candidates: readonly Candidate[], r: PlacementRequest): Explain {
  const steps: ExplainStep[] = [{ filter: 'cluster_ready', devicesLeft: candidates.length, gpusLeft: gpusOf(candidates) }];
  let left: readonly Candidate[] = candidates;
  for (const [filter, check] of filtersOf(r)) {
    left = left.filter(check);
    steps.push({ filter, devicesLeft: left.length, gpusLeft: gpusOf(left) });
  }
  return { steps, gpusRequested: r.gpuCount, alternatives: alternatives(candidates, r) };
}

function placeable(candidates: readonly Candidate[], r: PlacementRequest): number | undefined {
  const ok = eligible(candidates, r);
  const gpus = gpusOf(ok);
  if (r.clusterType === 'mega_ray') return ok.length > 0 && gpus >= Math.max(1, r.gpuCount) ? gpus : undefined;
  return fill(ok.sort(rankOf(r.clusterType)), r.gpuCount) ? gpus : undefined;
}

function alternatives(candidates: readonly Candidate[], r: PlacementRequest): Alternative[] {
  const out: Alternative[] = [];
  const free = candidates.filter((c) => !c.held && matchesModel(r.gpuModel, c.gpuModel));
  if (r.countryCodes.length > 0) {
    const anywhere = { ...r, countryCodes: [] };
    const gpus = placeable(free, anywhere);
    if (gpus !== undefined) {
      // The countries that alone would place it, largest first; else every country with capacity.
      const perCountry = new Map<string, number>();
      for (const c of eligible(free, anywhere)) perCountry.set(c.countryCode.toUpperCase(), (perCountry.get(c.countryCode.toUpperCase()) ?? 0) + c.gpuCount);
      const sorted = [...perCountry.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const alone = sorted.filter(([country]) => placeable(free, { ...r, countryCodes: [country] }) !== undefined).map(([country]) => country);
      out.push({ change: 'countryCodes', value: alone.length ? alone.slice(0, 5) : sorted.map(([country]) => country), gpusAvailable: gpus });
    }
  }
  for (let rank = r.connectivityMin - 1; rank >= 0; rank--) {
    const gpus = placeable(free, { ...r, connectivityMin: rank });
    if (gpus !== undefined) {
      out.push({ change: 'connectivityTier', value: rank === 0 ? 'any' : CONNECTIVITY_TIERS[rank - 1]!, gpusAvailable: gpus });
      break;
    }
  }
  for (let rank = r.securityMin - 1; rank >= 0; rank--) {
    const gpus = placeable(free, { ...r, securityMin: rank });
    if (gpus !== undefined) {
      out.push({ change: 'securityTier', value: rank === 0 ? 'any' : SECURITY_TIERS[rank - 1]!, gpusAvailable: gpus });
      break;
    }
  }
  if (r.sources.length > 0) {
    const gpus = placeable(free, { ...r, sources: [] });
    if (gpus !== undefined) out.push({ change: 'sources', value: [], gpusAvailable: gpus });
  }
  if (r.maxPriceUsdMicros !== undefined) {
    const uncapped = { ...r, maxPriceUsdMicros: undefined };
    const prices = [...new Set(eligible(free, uncapped).map((c) => c.priceUsdMicros))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // The lowest cap that places it: the cheapest price level at which enough GPUs qualify.
    for (const price of prices) {
      if (price <= r.maxPriceUsdMicros) continue;
      const gpus = placeable(free, { ...r, maxPriceUsdMicros: price });
      if (gpus !== undefined) {
        out.push({ change: 'maxPricePerGpuHour', value: price.toString(), gpusAvailable: gpus });
        break;
      }
    }
  }
  if (r.clusterType !== 'mega_ray') {
    // The largest count that places under every other filter as asked.
    const ok = eligible(free, r);
    const total = gpusOf(ok);
    if (total > 0 && total < r.gpuCount) out.push({ change: 'gpuCount', value: total, gpusAvailable: total });
  } else {
    const total = gpusOf(eligible(free, r));
    if (total > 0) out.push({ change: 'gpuCount', value: total, gpusAvailable: total });
  }
  return out;
}
