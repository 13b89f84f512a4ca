import { isSolanaAddress } from './base58';

export const SUPPLIER_SOURCES = ['data_center', 'mining_farm', 'individual', 'partner_network'] as const;
export type SupplierSource = (typeof SUPPLIER_SOURCES)[number];

export const PARTNER_NETWORKS = ['render', 'filecoin'] as const;
export type PartnerNetwork = (typeof PARTNER_NETWORKS)[number];

export interface Supplier {
  supplierId: string;
  tenantId: string;
  name: string;
  source: SupplierSource;
  partnerNetwork: PartnerNetwork | null;
  payoutWallet: string | null;
  registeredAt: Date;
}

/** The command carries its id and time: the domain never reads a clock or a random source. */
export interface RegisterSupplier {
  supplierId: string;
  tenantId: string;
  name: string;
  source: SupplierSource;
  partnerNetwork?: PartnerNetwork;
  payoutWallet?: string;
  at: Date;
}

export type SupplierRefusal =
  | { code: 'SUPPLIER.PARTNER_NETWORK_REQUIRED'; detail: string }
  | { code: 'SUPPLIER.PARTNER_NETWORK_UNEXPECTED'; detail: string }
  | { code: 'SUPPLIER.INVALID_WALLET'; detail: string }
  | { code: 'SUPPLIER.INVALID_NAME'; detail: string };

export const SUPPLIER_NAME_LENGTH_MAX = 120;

export function registerSupplier(command: RegisterSupplier): { ok: true; supplier: Supplier } | { ok: false; refusal: SupplierRefusal } {
  const name = command.name.trim();
  if (name.length === 0 || name.length > SUPPLIER_NAME_LENGTH_MAX) {
    return { ok: false, refusal: { code: 'SUPPLIER.INVALID_NAME', detail: `name must be 1 to ${SUPPLIER_NAME_LENGTH_MAX} characters` } };
  }
  if (command.source === 'partner_network' && !command.partnerNetwork) {
    return { ok: false, refusal: { code: 'SUPPLIER.PARTNER_NETWORK_REQUIRED', detail: 'a partner-network supplier names its network' } };
  }
  if (command.source !== 'partner_network' && command.partnerNetwork) {
    return { ok: false, refusal: { code: 'SUPPLIER.PARTNER_NETWORK_UNEXPECTED', detail: `a ${command.source} supplier has no partner network` } };
  }
  if (command.payoutWallet !== undefined && !isSolanaAddress(command.payoutWallet)) {
    return { ok: false, refusal: { code: 'SUPPLIER.INVALID_WALLET', detail: 'payoutWallet must be a base58 Solana address (32 bytes)' } };
  }
  return {
    ok: true,
    supplier: {
      supplierId: command.supplierId,
      tenantId: command.tenantId,
      name,
      source: command.source,
      partnerNetwork: command.partnerNetwork ?? null,
      payoutWallet: command.payoutWallet ?? null,
      registeredAt: command.at,
    },
  };
}
