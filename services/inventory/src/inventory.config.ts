import { baseConfigSchema } from '@ionet/platform';
import { GPU_MODEL_CATALOGUE } from '@ionet/tokenomics';
import { z } from 'zod';
import { PARTNER_NETWORK_PATTERN } from './domain/device/device.decider';
import { ENROLLMENT_TOKEN_TTL_SECONDS_MAX } from './domain/enrollment/enrollment-token.decider';

const BPS_PER_UNIT = 10_000;

/** "1.25" -> 12500 basis points, exactly (no float ever touches a multiplier). */
export function multiplierBpsOf(decimal: string): number | undefined {
  const match = /^(\d{1,4})(?:\.(\d{1,4}))?$/.exec(decimal.trim());
  if (!match) return undefined;
  return Number(match[1]) * BPS_PER_UNIT + Number((match[2] ?? '').padEnd(4, '0'));
}

/** 12500 -> "1.25". */
export function multiplierText(bps: number): string {
  const whole = Math.floor(bps / BPS_PER_UNIT);
  const fraction = String(bps % BPS_PER_UNIT).padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

const booleanText = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const multiplierTable = z
  .string()
  .transform((text, ctx) => {
    const table = new Map<string, number>();
    for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [model, value] = entry.split('=').map((p) => p?.trim() ?? '');
      const bps = value === undefined ? undefined : multiplierBpsOf(value);
      if (!model || bps === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${entry}" must be MODEL=MULTIPLIER, e.g. H100-80GB=10 or RTX-4090=1.25` });
        return z.NEVER;
      }
      table.set(model, bps);
    }
    return table;
  });

export const inventoryConfigSchema = baseConfigSchema.extend({
  /** Accept agents that declare simulated GPUs (`--simulate-gpus`): for demos and tests only. */
  ALLOW_SIMULATED_DEVICES: booleanText.default('false'),
  /** How long an enrollment token is valid unless its request says otherwise. */
  ENROLLMENT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(ENROLLMENT_TOKEN_TTL_SECONDS_MAX).default(24 * 3600),
  /** The partner networks whose fleets may be upserted (`PUT /v1/partner-networks/{network}/devices/...`). */
  PARTNER_NETWORKS: z
    .string()
    .default('render,filecoin')
    .transform((v) => [...new Set(v.split(',').map((n) => n.trim()).filter(Boolean))])
    .refine((list) => list.every((n) => PARTNER_NETWORK_PATTERN.test(n)), { message: 'must be a comma list of lower-case network names' }),
  /** Device multipliers by canonical GPU model, over the catalogue's DOMAIN.md defaults
   *  (H100 10, A100-80GB 5, L40S 3, RTX 4090 1.25, obsolete 0, others 1): "H200=2,L4=1.5". */
  DEVICE_MULTIPLIERS: multiplierTable.default(''),
  /** The multiplier of a GPU model the catalogue does not know. */
  UNKNOWN_GPU_MULTIPLIER: z
    .string()
    .default('1')
    .transform((v, ctx) => multiplierBpsOf(v) ?? (ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a decimal such as 1 or 0.5' }), z.NEVER)),
  /** The ask price of an enrolled device whose token names none (USDC base units per GPU-hour). */
  DEFAULT_ASK_PRICE_USDC_BASE_UNITS: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'must be 1 to 1000000000 USDC base units')
    .default('1000000')
    .transform((v) => BigInt(v))
    .refine((v) => v <= 1_000_000_000n, { message: 'must be 1 to 1000000000 USDC base units' }),
});
export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;

/** The multiplier of a device in basis points: configured, else the catalogue's, else the unknown default. A CPU device is 1. */
export function deviceMultiplierBps(config: Pick<InventoryConfig, 'DEVICE_MULTIPLIERS' | 'UNKNOWN_GPU_MULTIPLIER'>, gpuModel: string | null): number {
  if (gpuModel === null) return BPS_PER_UNIT;
  return config.DEVICE_MULTIPLIERS.get(gpuModel) ?? CATALOGUE_BPS.get(gpuModel) ?? config.UNKNOWN_GPU_MULTIPLIER;
}

const CATALOGUE_BPS = new Map(GPU_MODEL_CATALOGUE.map((m) => [m.name, m.multiplierBps]));
