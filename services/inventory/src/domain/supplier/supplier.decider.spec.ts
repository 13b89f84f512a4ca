import { InventoryError } from '../shared/inventory.errors';
import { decodeBase58, isSolanaAddress } from './base58';
import { decideSupplier, evolveSupplier, initialSupplierState, type SupplierCommand, type SupplierEvent, type SupplierState } from './supplier.decider';

const at = new Date('2026-11-25T10:00:00Z');
// The System Program and the SPL Token program: well-known 32-byte addresses.
const SYSTEM_PROGRAM = '11111111111111111111111111111111';
const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

const register = (overrides: Partial<SupplierCommand> = {}): SupplierCommand => ({
  type: 'RegisterSupplier',
  supplierId: 'sup-1',
  tenantId: 'tenant-a',
  name: '  North Farm  ',
  source: 'mining_farm',
  at,
  ...overrides,
});

function given(events: SupplierEvent[]) {
  const state = events.reduce<SupplierState>(evolveSupplier, initialSupplierState);
  return {
    when: (command: SupplierCommand) => {
      try {
        return decideSupplier(command, state);
      } catch (err) {
        if (err instanceof InventoryError) return err.code;
        throw err;
      }
    },
  };
}

describe('supplier decider', () => {
  it('given nothing, registers the supplier with the command time and id, name trimmed', () => {
    expect(given([]).when(register({ payoutWallet: TOKEN_PROGRAM }))).toEqual([
      {
        type: 'SupplierRegistered',
        supplierId: 'sup-1',
        tenantId: 'tenant-a',
        name: 'North Farm',
        source: 'mining_farm',
        partnerNetwork: null,
        payoutWallet: TOKEN_PROGRAM,
        at,
      },
    ]);
  });

  it('given a registered supplier, refuses to register it again', () => {
    const events = given([]).when(register()) as SupplierEvent[];
    expect(given(events).when(register())).toBe('SUPPLIER.ALREADY_EXISTS');
  });

  it('refuses a partner-network supplier without its network, and a network on another source', () => {
    expect(given([]).when(register({ source: 'partner_network' }))).toBe('SUPPLIER.PARTNER_NETWORK_REQUIRED');
    expect(given([]).when(register({ source: 'individual', partnerNetwork: 'render' }))).toBe('SUPPLIER.PARTNER_NETWORK_UNEXPECTED');
    expect(given([]).when(register({ source: 'partner_network', partnerNetwork: 'filecoin' }))).toEqual([expect.objectContaining({ partnerNetwork: 'filecoin' })]);
  });

  it('refuses a wallet that is not a 32-byte base58 address, and a blank name', () => {
    expect(given([]).when(register({ payoutWallet: '0xdeadbeef' }))).toBe('SUPPLIER.INVALID_WALLET');
    expect(given([]).when(register({ payoutWallet: `${TOKEN_PROGRAM}1` }))).toBe('SUPPLIER.INVALID_WALLET');
    expect(given([]).when(register({ name: '   ' }))).toBe('SUPPLIER.INVALID_NAME');
  });
});

describe('base58', () => {
  it('decodes leading ones as zero bytes and known program ids to 32 bytes', () => {
    expect(decodeBase58(SYSTEM_PROGRAM)).toEqual(new Uint8Array(32));
    expect(decodeBase58(TOKEN_PROGRAM)?.length).toBe(32);
    expect(isSolanaAddress(SYSTEM_PROGRAM)).toBe(true);
    expect(decodeBase58('0OIl')).toBeUndefined();
  });
});
