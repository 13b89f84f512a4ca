import { InventoryError } from '../shared/inventory.errors';
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
    expect(given([]).when(register({ name: 'x'.repeat(121) }))).toBe('SUPPLIER.INVALID_NAME');
    expect(given([]).when(register({ payoutWallet: SYSTEM_PROGRAM }))).toEqual([expect.objectContaining({ payoutWallet: SYSTEM_PROGRAM })]);
  });

  it('refuses a source or partner network outside the published lists (a value the codec could not encode)', () => {
    expect(given([]).when(register({ source: 'cloud' as never }))).toBe('SUPPLIER.INVALID_SOURCE');
    expect(given([]).when(register({ source: 'partner_network', partnerNetwork: 'akash' as never }))).toBe('SUPPLIER.INVALID_PARTNER_NETWORK');
  });
});
