import { InventoryError } from '../shared/inventory.errors';
import { decideDevice, evolveDevice, initialDeviceState, type DeviceCommand, type DeviceEvent, type DeviceSpec, type DeviceState } from './device.decider';

const at = new Date('2026-11-25T12:00:00Z');
const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const WALLET = '11111111111111111111111111111111';
const supplier = { supplierId: 'sup-1', tenantId: 'tenant-a', source: 'mining_farm' as const, payoutWallet: WALLET };
const spec: DeviceSpec = {
  deviceClass: 'gpu',
  gpu: { model: 'H100', vramMib: 81_920, count: 8 },
  cpuCores: 64,
  ramMib: 1_048_576,
  diskGib: 4_000,
  countryCode: 'de',
  region: 'eu-central',
  connectivityTier: 'ultra_high',
  securityTier: 'secure',
};
const register = (overrides: Partial<Extract<DeviceCommand, { type: 'RegisterDevice' }>> = {}): DeviceCommand => ({
  type: 'RegisterDevice',
  deviceId: 'dev-1',
  agentPublicKey: AGENT_KEY,
  spec,
  askPricePerGpuHour: { amountBaseUnits: 1_990_000n, asset: 'USDC' },
  supplier,
  at,
  ...overrides,
});

/** given events, when a command: the events it decides, or the refusal's code. */
function given(events: DeviceEvent[]) {
  const state = events.reduce<DeviceState>(evolveDevice, initialDeviceState);
  return {
    when: (command: DeviceCommand) => {
      try {
        return decideDevice(command, state);
      } catch (err) {
        if (err instanceof InventoryError) return err.code;
        throw err;
      }
    },
  };
}

describe('device decider', () => {
  it('registers a device with its supplier, source and wallet, normalising the country code', () => {
    const events = given([]).when(register());
    expect(events).toEqual([
      expect.objectContaining({
        type: 'DeviceRegistered',
        deviceId: 'dev-1',
        supplierId: 'sup-1',
        tenantId: 'tenant-a',
        source: 'mining_farm',
        payoutWallet: WALLET,
        spec: { ...spec, countryCode: 'DE' },
        askPricePerGpuHour: { amountBaseUnits: 1_990_000n, asset: 'USDC' },
        at,
      }),
    ]);
  });

  it('refuses a second registration, an unknown supplier, and a device without any wallet', () => {
    const registered = given([]).when(register()) as DeviceEvent[];
    expect(given(registered).when(register())).toBe('DEVICE.ALREADY_EXISTS');
    expect(given([]).when(register({ supplier: undefined }))).toBe('SUPPLIER.NOT_FOUND');
    expect(given([]).when(register({ supplier: { ...supplier, payoutWallet: null } }))).toBe('DEVICE.INVALID_WALLET');
    expect(given([]).when(register({ supplier: { ...supplier, payoutWallet: null }, payoutWallet: WALLET }))).toEqual([expect.objectContaining({ payoutWallet: WALLET })]);
  });

  it('refuses impossible hardware and prices at the edges', () => {
    expect(given([]).when(register({ spec: { ...spec, gpu: { model: 'H100', vramMib: 81_920, count: 17 } } }))).toBe('DEVICE.INVALID_SPEC');
    expect(given([]).when(register({ spec: { ...spec, gpu: null } }))).toBe('DEVICE.INVALID_SPEC');
    expect(given([]).when(register({ spec: { ...spec, deviceClass: 'cpu' } }))).toBe('DEVICE.INVALID_SPEC');
    expect(given([]).when(register({ spec: { ...spec, countryCode: 'DEU' } }))).toBe('DEVICE.INVALID_SPEC');
    expect(given([]).when(register({ askPricePerGpuHour: { amountBaseUnits: 0n, asset: 'USDC' } }))).toBe('DEVICE.INVALID_PRICE');
    expect(given([]).when(register({ askPricePerGpuHour: { amountBaseUnits: 1_000_000_001n, asset: 'USDC' } }))).toBe('DEVICE.INVALID_PRICE');
    expect(given([]).when(register({ askPricePerGpuHour: { amountBaseUnits: 1_000_000_000n, asset: 'USDC' } }))).toEqual([expect.objectContaining({ type: 'DeviceRegistered' })]);
    expect(given([]).when(register({ agentPublicKey: 'not-a-key' }))).toBe('DEVICE.INVALID_AGENT_KEY');
  });

  it('sets a new price on a registered device only; the same price again decides nothing', () => {
    const registered = given([]).when(register()) as DeviceEvent[];
    const setPrice = (amountBaseUnits: bigint): DeviceCommand => ({ type: 'SetDevicePrice', deviceId: 'dev-1', askPricePerGpuHour: { amountBaseUnits, asset: 'USDC' }, at });
    expect(given([]).when(setPrice(2_000_000n))).toBe('DEVICE.NOT_FOUND');
    expect(given(registered).when(setPrice(1_990_000n))).toEqual([]);
    const changed = given(registered).when(setPrice(2_500_000n)) as DeviceEvent[];
    expect(changed).toEqual([{ type: 'DevicePriceSet', deviceId: 'dev-1', supplierId: 'sup-1', askPricePerGpuHour: { amountBaseUnits: 2_500_000n, asset: 'USDC' }, at }]);
    const state = [...registered, ...changed].reduce<DeviceState>(evolveDevice, initialDeviceState);
    expect(state).toMatchObject({ status: 'registered', askPricePerGpuHour: { amountBaseUnits: 2_500_000n } });
  });
});
