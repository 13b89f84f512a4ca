import { GENESIS_SUPPLY_BASE_UNITS, MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import { z } from 'zod';
import { isSolanaAddress } from '@ionet/contracts';

const address = z.string().refine(isSolanaAddress, { message: 'must be a base58 Solana address' });
const baseUnits = z
  .string()
  .regex(/^\d{1,30}$/, 'must be a whole number of base units')
  .transform((v) => BigInt(v));

/** The chain variables a service merges into its configuration schema (`baseConfigSchema.merge(...)`).
 *  Embedded (the default): a LiteSVM chain in-process whose state and keys live under CHAIN_DATA_DIR.
 *  RPC: a real cluster; the mints exist and the mint authority's key file is in CHAIN_KEY_DIR. */
export const chainConfigSchema = z.object({
  CHAIN_ADAPTER: z.enum(['embedded', 'rpc']).default('embedded'),
  /** Embedded chain state (snapshot and journal). One process owns it at a time (a lock file). */
  CHAIN_DATA_DIR: z.string().min(1).default('.local/chain'),
  /** Key files (0600, solana-keygen's JSON array); default: CHAIN_DATA_DIR/keys. */
  CHAIN_KEY_DIR: z.string().min(1).optional(),
  CHAIN_RPC_URL: z
    .string()
    .refine((v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL')
    .optional(),
  CHAIN_COMMITMENT: z.enum(['confirmed', 'finalized']).default('confirmed'),
  /** RPC only: the existing mints (the embedded chain creates its own). */
  CHAIN_IO_MINT: address.optional(),
  CHAIN_USDC_MINT: address.optional(),
  /** Embedded only: IO minted to the genesis custody when the chain is created. */
  CHAIN_IO_GENESIS_BASE_UNITS: baseUnits.default(GENESIS_SUPPLY_BASE_UNITS.toString()),
  /** The gateway refuses a mint past this supply (800M IO). */
  CHAIN_IO_MAX_SUPPLY_BASE_UNITS: baseUnits.default(MAX_SUPPLY_BASE_UNITS.toString()),
});

export type ChainConfig = z.infer<typeof chainConfigSchema>;

/** The cross-variable rules a flat schema cannot say; a list of (variable, message), empty when fine. */
export function chainConfigIssues(config: ChainConfig): { variable: string; message: string }[] {
  if (config.CHAIN_ADAPTER !== 'rpc') return [];
  const required = ['CHAIN_RPC_URL', 'CHAIN_IO_MINT', 'CHAIN_USDC_MINT', 'CHAIN_KEY_DIR'] as const;
  return required.filter((v) => config[v] === undefined).map((variable) => ({ variable, message: 'is required when CHAIN_ADAPTER is rpc' }));
}
