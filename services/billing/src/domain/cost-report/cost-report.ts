import type { Asset } from '../money/billing-money';

/** A dated table of public clouds' list prices per GPU-hour, by canonical GPU model name. */
export interface PublicCloudPriceTable {
  asOf: string;
  currency: 'USD';
  basis: string;
  pricesUsdMicrosPerGpuHour: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** One device-hour charged (or refunded) on a cluster, as the report reads it. */
export interface CostReportHour {
  hourIndex: number;
  hourStart: Date;
  deviceId: string;
  /** Canonical catalogue name, or null when the device's model is not known to billing. */
  gpuModel: string | null;
  gpuCount: number;
  /** compute + the customer's fees, in the lease's asset; 0 for a refunded hour. */
  costBaseUnits: bigint;
  refunded: boolean;
}

export interface CostReportRow {
  hourIndex: number;
  hourStart: Date;
  gpuHours: number;
  refundedGpuHours: number;
  costBaseUnits: bigint;
  /** The same GPU-hours at each provider's list price, where it lists every model used that hour. */
  publicCloudUsdMicros: Record<string, bigint>;
}

export interface CostReport {
  asset: Asset;
  hours: CostReportRow[];
  totalCostBaseUnits: bigint;
  /** The cost in US dollars (micro-dollars): IO at the lease's IO price, credits and USDC as they are. */
  totalCostUsdMicros: bigint;
  publicCloudTotalUsdMicros: Record<string, bigint>;
  priceTable: { asOf: string; basis: string };
}

/** The cost of a cluster hour by hour beside what the same GPU-hours list at public clouds. A
 *  provider is compared for an hour only when it lists every GPU model used in that hour. */
export function costReport(asset: Asset, ioPriceUsdMicros: bigint, hours: readonly CostReportHour[], table: PublicCloudPriceTable): CostReport {
  const byHour = new Map<number, CostReportHour[]>();
  for (const h of hours) byHour.set(h.hourIndex, [...(byHour.get(h.hourIndex) ?? []), h]);
  const rows: CostReportRow[] = [];
  const providerTotals: Record<string, bigint> = {};
  let totalCostBaseUnits = 0n;
  for (const hourIndex of [...byHour.keys()].sort((a, b) => a - b)) {
    const entries = byHour.get(hourIndex)!;
    const billed = entries.filter((e) => !e.refunded);
    const providers = new Set(Object.values(table.pricesUsdMicrosPerGpuHour).flatMap((p) => Object.keys(p)));
    const publicCloudUsdMicros: Record<string, bigint> = {};
    for (const provider of [...providers].sort()) {
      let sum = 0n;
      let listed = billed.length > 0;
      for (const e of billed) {
        const price = e.gpuModel === null ? undefined : table.pricesUsdMicrosPerGpuHour[e.gpuModel]?.[provider];
        if (price === undefined) {
          listed = false;
          break;
        }
        sum += BigInt(price) * BigInt(e.gpuCount);
      }
      if (listed) {
        publicCloudUsdMicros[provider] = sum;
        providerTotals[provider] = (providerTotals[provider] ?? 0n) + sum;
      }
    }
    const costBaseUnits = billed.reduce((s, e) => s + e.costBaseUnits, 0n);
    totalCostBaseUnits += costBaseUnits;
    rows.push({
      hourIndex,
      hourStart: entries.reduce((min, e) => (e.hourStart < min ? e.hourStart : min), entries[0]!.hourStart),
      gpuHours: billed.reduce((s, e) => s + e.gpuCount, 0),
      refundedGpuHours: entries.filter((e) => e.refunded).reduce((s, e) => s + e.gpuCount, 0),
      costBaseUnits,
      publicCloudUsdMicros,
    });
  }
  // IO base units (8 decimals) at a price in micro-dollars per whole IO.
  const totalCostUsdMicros = asset === 'IO' ? (totalCostBaseUnits * ioPriceUsdMicros) / 100_000_000n : totalCostBaseUnits;
  return { asset, hours: rows, totalCostBaseUnits, totalCostUsdMicros, publicCloudTotalUsdMicros: providerTotals, priceTable: { asOf: table.asOf, basis: table.basis } };
}
