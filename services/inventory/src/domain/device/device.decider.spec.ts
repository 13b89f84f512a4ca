import { InventoryError } from '../shared/inventory.errors';
import { CodedError } from '@ionet/errors';
import fc from 'fast-check';
import {
  CPU_CORES_MAX,
  DISK_GIB_MAX,
  GPU_COUNT_MAX,
  GPU_MODEL_LENGTH_MAX,
  RAM_MIB_MAX,
  REGION_LENGTH_MAX,
  VRAM_MIB_MAX,
  decideDevice,
  evolveDevice,
  initialDeviceState,
  type DeviceCommand,
  type DeviceEvent,
  type DeviceSpec,
  type DeviceState,
} from './device.decider';

const at = new Date('2026-11-25T12:00:00Z');
const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const WALLET = '11111111111111111111111111111111';
const supplier = { supplierId: 'sup-1', tenantId: 'tenant-a', source: 'mining_farm' as const, payoutWallet: WALLET };
const spec: DeviceSpec = {
  deviceClass: 'gpu',
  gpu: { model: 'H100-80GB', vramMib: 81_920, count: 8 },
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

  describe('bounds every number it accepts (a poison cpuCores once stopped the catalogue for every tenant)', () => {
    /** The refusal's violations, or the accepted event. */
    const refusalOf = (command: DeviceCommand): unknown => {
      try {
        return decideDevice(command, initialDeviceState);
      } catch (err) {
        if (err instanceof InventoryError) return { code: err.code, violations: err.context.violations };
        throw err;
      }
    };
    const PG_INTEGER_MAX = 2_147_483_647;
    const numericFields: [field: string, max: number, withValue: (value: number) => DeviceSpec][] = [
      ['cpuCores', CPU_CORES_MAX, (v) => ({ ...spec, cpuCores: v })],
      ['ramMib', RAM_MIB_MAX, (v) => ({ ...spec, ramMib: v })],
      ['diskGib', DISK_GIB_MAX, (v) => ({ ...spec, diskGib: v })],
      ['gpu.count', GPU_COUNT_MAX, (v) => ({ ...spec, gpu: { ...spec.gpu!, count: v } })],
      ['gpu.vramMib', VRAM_MIB_MAX, (v) => ({ ...spec, gpu: { ...spec.gpu!, vramMib: v } })],
    ];

    it('refuses the reproduced cpuCores of 3,000,000,000 with a typed refusal naming the field', () => {
      expect(refusalOf(register({ spec: { ...spec, cpuCores: 3_000_000_000 } }))).toEqual({
        code: 'DEVICE.INVALID_SPEC',
        violations: [{ field: 'cpuCores', message: `cpuCores must be an integer from 1 to ${CPU_CORES_MAX}` }],
      });
    });

    it.each(numericFields)('accepts %s from 1 to its maximum and refuses 0, max + 1, fractions and non-finite values', (field, max, withValue) => {
      expect(max).toBeLessThan(PG_INTEGER_MAX);
      for (const ok of [1, max]) expect(refusalOf(register({ spec: withValue(ok) }))).toEqual([expect.objectContaining({ type: 'DeviceRegistered' })]);
      for (const bad of [0, -1, max + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2]) {
        expect({ bad, refusal: refusalOf(register({ spec: withValue(bad) })) }).toEqual({ bad, refusal: { code: 'DEVICE.INVALID_SPEC', violations: [expect.objectContaining({ field })] } });
      }
    });

    it('never emits an event whose numbers a projection integer column cannot hold', () => {
      const claim = fc.oneof(fc.integer({ min: -10, max: 10 }), fc.integer({ min: 1, max: 4_000_000_000 }), fc.double());
      fc.assert(
        fc.property(claim, claim, claim, claim, claim, (cpuCores, ramMib, diskGib, count, vramMib) => {
          const result = refusalOf(register({ spec: { ...spec, cpuCores, ramMib, diskGib, gpu: { model: 'H100', count, vramMib } } }));
          if (!Array.isArray(result)) return;
          const registered = result[0] as Extract<DeviceEvent, { type: 'DeviceRegistered' }>;
          const numbers = [registered.spec.cpuCores, registered.spec.ramMib, registered.spec.diskGib, registered.spec.gpu!.count, registered.spec.gpu!.vramMib];
          expect(numbers.every((n) => Number.isInteger(n) && n >= 1 && n <= PG_INTEGER_MAX)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it('refuses text beyond its bounds and enum values outside the published lists, listing every violation', () => {
      const refusal = refusalOf(
        register({
          spec: { ...spec, region: 'r'.repeat(REGION_LENGTH_MAX + 1), gpu: { model: 'm'.repeat(GPU_MODEL_LENGTH_MAX + 1), count: 1, vramMib: 1 }, connectivityTier: 'warp' as never, securityTier: 'none' as never },
        }),
      ) as { violations: { field: string }[] };
      expect(refusal.violations.map((v) => v.field).sort()).toEqual(['connectivityTier', 'gpu.model', 'region', 'securityTier']);
      expect(refusalOf(register({ spec: { ...spec, deviceClass: 'tpu' as never, gpu: null } }))).toMatchObject({ violations: [{ field: 'deviceClass' }] });
    });
  });

  it('refuses with CodedErrors whose kind the one mapper turns into a status', () => {
    const refusal = (command: DeviceCommand, state: DeviceState = initialDeviceState) => {
      try {
        decideDevice(command, state);
      } catch (err) {
        return err;
      }
      throw new Error('expected a refusal');
    };
    const notFound = refusal({ type: 'SetDevicePrice', deviceId: 'dev-9', askPricePerGpuHour: { amountBaseUnits: 1n, asset: 'USDC' }, at });
    expect(notFound).toBeInstanceOf(CodedError);
    expect(notFound).toMatchObject({ code: 'DEVICE.NOT_FOUND', kind: 'not_found' });
    const registered = (given([]).when(register()) as DeviceEvent[]).reduce<DeviceState>(evolveDevice, initialDeviceState);
    expect(refusal(register(), registered)).toMatchObject({ code: 'DEVICE.ALREADY_EXISTS', kind: 'conflict' });
    expect(refusal(register({ spec: { ...spec, cpuCores: 3_000_000_000 } }))).toMatchObject({ code: 'DEVICE.INVALID_SPEC', kind: 'refused' });
  });
});
