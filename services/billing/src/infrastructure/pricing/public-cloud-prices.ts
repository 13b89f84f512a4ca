import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PublicCloudPriceTable } from '../../domain/cost-report/cost-report';

/** The table shipped with the service (services/billing/config), from src/ and from dist/ alike. */
export const DEFAULT_PUBLIC_CLOUD_PRICES_FILE = path.resolve(__dirname, '..', '..', '..', 'config', 'public-cloud-gpu-prices.json');

/** Reads and checks the dated price table at start-up: a malformed table stops the service. */
export function loadPublicCloudPrices(file = DEFAULT_PUBLIC_CLOUD_PRICES_FILE): PublicCloudPriceTable {
  const table = JSON.parse(readFileSync(file, 'utf8')) as PublicCloudPriceTable;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(table.asOf))) throw new Error(`${file}: asOf must be a date (YYYY-MM-DD)`);
  if (table.currency !== 'USD') throw new Error(`${file}: prices must be in USD`);
  for (const [model, providers] of Object.entries(table.pricesUsdMicrosPerGpuHour ?? {})) {
    for (const [provider, price] of Object.entries(providers)) {
      if (!Number.isSafeInteger(price) || price <= 0) throw new Error(`${file}: ${model} at ${provider} must be a positive integer of micro-dollars per GPU-hour`);
    }
  }
  return table;
}
