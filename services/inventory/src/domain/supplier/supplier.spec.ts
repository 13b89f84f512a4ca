import { decodeBase58, isSolanaAddress } from './base58';
import { registerSupplier, type RegisterSupplier } from './supplier';

const at = new Date('2026-11-25T10:00:00Z');
// The System Program and the SPL Token program: well-known 32-byte addresses.
const SYSTEM_PROGRAM = '11111111111111111111111111111111';
const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

const command = (overrides: Partial<RegisterSupplier> = {}): RegisterSupplier => ({
  supplierId: 'sup-1',
  tenantId: 'tenant-a',
  name: '  North Farm  ',
  source: 'mining_farm',
  at,
  ...overrides,
});

describe('registerSupplier', () => {
  it('given a valid command, registers the supplier with the command time and id', () => {
    const result = registerSupplier(command({ payoutWallet: TOKEN_PROGRAM }));
    expect(result).toEqual({
      ok: true,
      supplier: {
        supplierId: 'sup-1',
        tenantId: 'tenant-a',
        name: 'North Farm',
        source: 'mining_farm',
        partnerNetwork: null,
        payoutWallet: TOKEN_PROGRAM,
        registeredAt: at,
      },
    });
  });

  it('refuses a partner-network supplier without its network, and a network on another source', () => {
    expect(registerSupplier(command({ source: 'partner_network' }))).toMatchObject({ ok: false, refusal: { code: 'SUPPLIER.PARTNER_NETWORK_REQUIRED' } });
    expect(registerSupplier(command({ source: 'individual', partnerNetwork: 'render' }))).toMatchObject({
      ok: false,
      refusal: { code: 'SUPPLIER.PARTNER_NETWORK_UNEXPECTED' },
    });
    expect(registerSupplier(command({ source: 'partner_network', partnerNetwork: 'filecoin' }))).toMatchObject({ ok: true });
  });

  it('refuses a wallet that is not a 32-byte base58 address, and a blank name', () => {
    expect(registerSupplier(command({ payoutWallet: '0xdeadbeef' }))).toMatchObject({ ok: false, refusal: { code: 'SUPPLIER.INVALID_WALLET' } });
    expect(registerSupplier(command({ payoutWallet: `${TOKEN_PROGRAM}1` }))).toMatchObject({ ok: false, refusal: { code: 'SUPPLIER.INVALID_WALLET' } });
    expect(registerSupplier(command({ name: '   ' }))).toMatchObject({ ok: false, refusal: { code: 'SUPPLIER.INVALID_NAME' } });
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
