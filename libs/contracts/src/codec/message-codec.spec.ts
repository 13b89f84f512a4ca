import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ContractError } from '../contract-error';
import { Asset } from '../gen/ionet/common/v1/money_pb';
import { ConnectivityTierSchema, DeviceClass, SupplySourceSchema, type SecurityTier, type SupplySource } from '../gen/ionet/common/v1/device_pb';
import { DeviceRegisteredSchema } from '../gen/ionet/inventory/v1/events_pb';
import { enumCodec, UNKNOWN_ENUM_VALUE } from './enum-codec';
import { toDomain, toWire } from './message-codec';

describe('enum codec derived from the descriptor', () => {
  it('names each value by the enum value without its prefix, both ways', () => {
    const sources = enumCodec(SupplySourceSchema);
    expect(sources.domainValues).toEqual(['data_center', 'mining_farm', 'individual', 'partner_network']);
    expect(sources.toWire('mining_farm')).toBe(2);
    expect(sources.fromWire(4)).toBe('partner_network');
    expect(enumCodec(ConnectivityTierSchema).fromWire(4)).toBe('ultra_high');
  });

  it('refuses zero and unknown numbers with contract errors, and a domain list that drifted at start-up', () => {
    const sources = enumCodec(SupplySourceSchema);
    expect(() => sources.fromWire(0)).toThrow(ContractError);
    let thrown: unknown;
    try {
      sources.fromWire(99);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: UNKNOWN_ENUM_VALUE });
    expect(() => sources.toWire('moon_base')).toThrow(ContractError);
    expect(() => enumCodec(SupplySourceSchema, ['data_center', 'mining_farm'])).toThrow(/differ/);
  });
});

describe('message codec', () => {
  const at = new Date('2026-11-25T12:00:00.123Z');
  const wire = create(DeviceRegisteredSchema, {
    deviceId: 'd-1',
    deviceClass: DeviceClass.GPU,
    gpu: { model: 'H100', vramMib: 81_920, count: 8 },
    cpuCores: 64,
    source: 2 as SupplySource,
    connectivityTier: 4,
    securityTier: 1,
    askPricePerGpuHour: { amountBaseUnits: '9007199254740993', asset: Asset.USDC },
    registeredAt: timestampFromDate(at),
  });

  it('maps enums to names, money to exact bigint with its asset, timestamps to Dates, and back', () => {
    const domain = toDomain(DeviceRegisteredSchema, wire);
    expect(domain).toMatchObject({
      deviceClass: 'gpu',
      gpu: { model: 'H100', vramMib: 81_920, count: 8 },
      source: 'mining_farm',
      connectivityTier: 'ultra_high',
      securityTier: 'standard',
      askPricePerGpuHour: { amountBaseUnits: 9_007_199_254_740_993n, asset: 'USDC' },
      registeredAt: at,
    });
    expect(create(DeviceRegisteredSchema, toWire(DeviceRegisteredSchema, domain))).toEqual(wire);
  });

  it('refuses an unknown enum value and bad money as contract errors naming the field', () => {
    expect(() => toDomain(DeviceRegisteredSchema, { ...wire, securityTier: 42 as SecurityTier })).toThrow(/DeviceRegistered.security_tier/);
    expect(() => toDomain(DeviceRegisteredSchema, { ...wire, askPricePerGpuHour: { ...wire.askPricePerGpuHour!, amountBaseUnits: '1.5' } })).toThrow(ContractError);
    expect(() => toDomain(DeviceRegisteredSchema, { ...wire, registeredAt: undefined })).toThrow(ContractError);
  });
});

describe('optional money and times', () => {
  it('maps an absent optional Money to undefined and a present one exactly; a missing required one is a contract error', async () => {
    const { SlashAppealResolvedSchema } = await import('../gen/ionet/tokenomics/v1/events_pb');
    const resolvedAt = timestampFromDate(new Date('2026-12-01T00:00:00Z'));
    const without = toDomain(SlashAppealResolvedSchema, create(SlashAppealResolvedSchema, { slashId: 's', upheld: true, resolvedAt }));
    expect(without.amount).toBeUndefined();
    const withAmount = toDomain(SlashAppealResolvedSchema, create(SlashAppealResolvedSchema, { slashId: 's', upheld: false, resolvedAt, amount: { amountBaseUnits: '5', asset: Asset.IO } }));
    expect(withAmount.amount).toEqual({ amountBaseUnits: 5n, asset: 'IO' });
    expect(() => toDomain(SlashAppealResolvedSchema, create(SlashAppealResolvedSchema, { slashId: 's', upheld: true }))).toThrow(ContractError);
  });
});
