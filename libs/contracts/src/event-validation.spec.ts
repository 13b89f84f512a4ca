import { clone, create, ScalarType, type DescMessage, type Message } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { describeEventContractProblem, eventContractProblem } from './event-validation';
import { EVENT_FILES } from './event-registry';
import { DevicePriceSetSchema } from './gen/ionet/inventory/v1/events_pb';
import { ClusterRequestedSchema, ClusterType } from './gen/ionet/matching/v1/events_pb';
import { Asset } from './gen/ionet/common/v1/money_pb';
import { ConnectivityTier, SecurityTier } from './gen/ionet/common/v1/device_pb';
import { amountBaseUnitsOf, money } from './money';

const at = timestampFromDate(new Date('2026-11-25T10:00:00Z'));

describe('event contract rules', () => {
  it('accepts a complete event', () => {
    const event = create(DevicePriceSetSchema, { deviceId: 'd1', supplierId: 's1', askPricePerGpuHour: money(2_500_000n, Asset.USDC), setAt: at });
    expect(eventContractProblem(DevicePriceSetSchema, event)).toBeUndefined();
  });

  it('names a missing time, an empty id and a bad amount', () => {
    expect(eventContractProblem(DevicePriceSetSchema, create(DevicePriceSetSchema, { deviceId: 'd1', supplierId: 's1', askPricePerGpuHour: money(1n, Asset.USDC) }))).toEqual({
      code: 'CONTRACT.MISSING_FIELD',
      message: 'ionet.inventory.v1.DevicePriceSet: set_at is required',
    });
    expect(eventContractProblem(DevicePriceSetSchema, create(DevicePriceSetSchema, { supplierId: 's1', askPricePerGpuHour: money(1n, Asset.USDC), setAt: at }))?.message).toMatch(/device_id is empty/);
    const badAmount = create(DevicePriceSetSchema, { deviceId: 'd1', supplierId: 's1', askPricePerGpuHour: { amountBaseUnits: '1.5', asset: Asset.USDC }, setAt: at });
    expect(eventContractProblem(DevicePriceSetSchema, badAmount)?.code).toBe('CONTRACT.INVALID_MONEY');
  });

  it('lets a field declared optional be absent, but not an unspecified enum', () => {
    const request = {
      requestId: 'r1', customerId: 'c1', clusterType: ClusterType.RAY, gpuModel: 'H100-80GB', gpuCount: 8, connectivityTier: ConnectivityTier.HIGH,
      securityTier: SecurityTier.STANDARD, durationHours: 2, paymentAsset: Asset.USDC, requestedAt: at,
    };
    expect(eventContractProblem(ClusterRequestedSchema, create(ClusterRequestedSchema, request))).toBeUndefined();
    expect(eventContractProblem(ClusterRequestedSchema, create(ClusterRequestedSchema, { ...request, clusterType: ClusterType.UNSPECIFIED }))?.message).toMatch(/cluster_type is unspecified/);
  });

  it('keeps amounts exact beyond 2^64', () => {
    const huge = 123_456_789_012_345_678_901_234_567_890n;
    expect(amountBaseUnitsOf(money(huge, Asset.IO))).toBe(huge);
    expect(() => amountBaseUnitsOf({ amountBaseUnits: '1e3', asset: Asset.IO } as never)).toThrow(expect.objectContaining({ code: 'CONTRACT.INVALID_MONEY' }));
    expect(() => money(1n, Asset.UNSPECIFIED)).toThrow(/asset/);
  });
});

describe('compiled contract checks (ADR 0208)', () => {
  // eventContractProblem answers "no problem" from checks compiled per schema; the reflective walk
  // (describeEventContractProblem) is the reference for every catalogue event, empty and filled.
  const filled = (schema: DescMessage, depth = 0): Message => {
    const init: Record<string, unknown> = {};
    for (const field of schema.fields) {
      if (field.oneof && field.oneof.fields[0] !== field) continue;
      const set = (value: unknown): void => {
        if (field.oneof) init[field.oneof.localName] = { case: field.localName, value };
        else init[field.localName] = value;
      };
      if (field.fieldKind === 'message' && depth < 4) set(schema.typeName === 'ionet.common.v1.Money' ? undefined : field.message.typeName === 'ionet.common.v1.Money' ? money(5n, Asset.IO) : filled(field.message, depth + 1));
      else if (field.fieldKind === 'list' && field.listKind === 'message' && depth < 4) set([field.message.typeName === 'ionet.common.v1.Money' ? money(5n, Asset.IO) : filled(field.message, depth + 1)]);
      else if (field.fieldKind === 'enum') set(field.enum.values[field.enum.values.length - 1].number);
      else if (field.fieldKind === 'scalar' && field.scalar === ScalarType.STRING) set('x');
    }
    return create(schema, init as never);
  };
  const schemas = EVENT_FILES.flatMap((f) => f.file.messages);

  it.each(schemas.map((s) => [s.typeName, s] as const))('%s: same verdict as the reflective walk', (_name, schema) => {
    const empty = create(schema);
    expect(eventContractProblem(schema, empty)).toEqual(describeEventContractProblem(schema, empty));
    const full = filled(schema);
    expect(eventContractProblem(schema, full)).toEqual(describeEventContractProblem(schema, full));
    // Each field of the filled message cleared in turn.
    for (const field of schema.fields) {
      const copy = clone(schema, full) as unknown as Record<string, unknown>;
      if (field.oneof) copy[field.oneof.localName] = { case: undefined };
      else if (field.fieldKind === 'list') copy[field.localName] = [];
      else if (field.fieldKind === 'message') copy[field.localName] = undefined;
      else if (field.fieldKind === 'enum') copy[field.localName] = 0;
      else if (field.fieldKind === 'scalar' && field.scalar === ScalarType.STRING) copy[field.localName] = '';
      const message = copy as unknown as Message;
      expect(eventContractProblem(schema, message)).toEqual(describeEventContractProblem(schema, message));
    }
  });
});
