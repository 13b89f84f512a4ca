import { isSolanaAddress } from '@ionet/contracts';
import { InventoryError } from '../shared/inventory.errors';

export const SUPPLIER_SOURCES = ['data_center', 'mining_farm', 'individual', 'partner_network'] as const;
export type SupplierSource = (typeof SUPPLIER_SOURCES)[number];

export const PARTNER_NETWORKS = ['render', 'filecoin'] as const;
export type PartnerNetwork = (typeof PARTNER_NETWORKS)[number];

export const SUPPLIER_NAME_LENGTH_MAX = 120;

export type SupplierEvent = {
  type: 'SupplierRegistered';
  supplierId: string;
  tenantId: string;
  name: string;
  source: SupplierSource;
  partnerNetwork: PartnerNetwork | null;
  payoutWallet: string | null;
  at: Date;
};

/** Commands carry their ids and time: the domain never reads a clock or a random source. */
export type SupplierCommand = {
  type: 'RegisterSupplier';
  supplierId: string;
  tenantId: string;
  name: string;
  source: SupplierSource;
  partnerNetwork?: PartnerNetwork;
  payoutWallet?: string;
  at: Date;
};

export type SupplierState =
  | { status: 'unregistered' }
  | { status: 'registered'; supplierId: string; tenantId: string; source: SupplierSource; payoutWallet: string | null };

export const initialSupplierState: SupplierState = { status: 'unregistered' };

export function decideSupplier(command: SupplierCommand, state: SupplierState): SupplierEvent[] {
  switch (command.type) {
    case 'RegisterSupplier': {
      if (state.status !== 'unregistered') throw new InventoryError('SUPPLIER.ALREADY_EXISTS', `supplier ${command.supplierId} is already registered`);
      const name = command.name.trim();
      if (name.length === 0 || name.length > SUPPLIER_NAME_LENGTH_MAX) {
        throw new InventoryError('SUPPLIER.INVALID_NAME', `name must be 1 to ${SUPPLIER_NAME_LENGTH_MAX} characters`);
      }
      if (!(SUPPLIER_SOURCES as readonly string[]).includes(command.source)) {
        throw new InventoryError('SUPPLIER.INVALID_SOURCE', `source must be one of ${SUPPLIER_SOURCES.join(', ')}`);
      }
      if (command.partnerNetwork !== undefined && !(PARTNER_NETWORKS as readonly string[]).includes(command.partnerNetwork)) {
        throw new InventoryError('SUPPLIER.INVALID_PARTNER_NETWORK', `partnerNetwork must be one of ${PARTNER_NETWORKS.join(', ')}`);
      }
      if (command.source === 'partner_network' && !command.partnerNetwork) {
        throw new InventoryError('SUPPLIER.PARTNER_NETWORK_REQUIRED', 'a partner-network supplier names its network');
      }
      if (command.source !== 'partner_network' && command.partnerNetwork) {
        throw new InventoryError('SUPPLIER.PARTNER_NETWORK_UNEXPECTED', `a ${command.source} supplier has no partner network`);
      }
      if (command.payoutWallet !== undefined && !isSolanaAddress(command.payoutWallet)) {
        throw new InventoryError('SUPPLIER.INVALID_WALLET', 'payoutWallet must be a base58 Solana address (32 bytes)');
      }
      return [
        {
          type: 'SupplierRegistered',
          supplierId: command.supplierId,
          tenantId: command.tenantId,
          name,
          source: command.source,
          partnerNetwork: command.partnerNetwork ?? null,
          payoutWallet: command.payoutWallet ?? null,
          at: command.at,
        },
      ];
    }
    default: {
      const unhandled: never = command.type;
      throw new Error(`unhandled command ${String(unhandled)}`);
    }
  }
}

export function evolveSupplier(_state: SupplierState, event: SupplierEvent): SupplierState {
  switch (event.type) {
    case 'SupplierRegistered':
      return { status: 'registered', supplierId: event.supplierId, tenantId: event.tenantId, source: event.source, payoutWallet: event.payoutWallet };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}
