import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, EventRegistry, encodeEnvelope, inventoryV1, money, newEventId } from '@ionet/contracts';
import { decodeKafkaMessage } from './message-decoder';
import { deadLetterId } from '../dead-letters/dead-letter-record';
import { asContractFailure, ContractViolation } from '../support/eventing-errors';
import { isInfrastructureError } from '../support/transient-errors';

const registry = EventRegistry.catalogue();

function wrap(eventType: string, payload: Uint8Array): Buffer {
  return Buffer.from(
    encodeEnvelope(
      {
        eventId: newEventId(), eventType, schemaVersion: 1, aggregateType: 'device', aggregateId: 'd1', aggregateVersion: 1n,
        occurredAt: new Date(), correlationId: '', causationId: '', producer: 'inventory', traceparent: '', tracestate: '', globalPosition: 1n,
      },
      payload,
    ),
  );
}

describe('decodeKafkaMessage', () => {
  const listed = toBinary(inventoryV1.DeviceListedSchema, create(inventoryV1.DeviceListedSchema, { deviceId: 'd1', supplierId: 's1', listedAt: timestampFromDate(new Date()) }));

  it('decodes a valid event', () => {
    const result = decodeKafkaMessage({ value: wrap('ionet.inventory.v1.DeviceListed', listed) }, registry);
    expect(result.ok && (result.decoded.event as inventoryV1.DeviceListed).deviceId).toBe('d1');
  });

  it.each([
    ['no value', null, 'CONTRACT.BAD_ENVELOPE'],
    ['garbage', Buffer.from([0xff, 0xff, 0xff]), 'CONTRACT.BAD_ENVELOPE'],
    ['unknown type', wrap('ionet.inventory.v1.DeviceTeleported', listed), 'CONTRACT.UNKNOWN_EVENT_TYPE'],
    ['undecodable payload', wrap('ionet.inventory.v1.DeviceListed', Buffer.from([0x0a, 0xff])), 'CONTRACT.UNDECODABLE_PAYLOAD'],
    ['missing field', wrap('ionet.inventory.v1.DeviceListed', toBinary(inventoryV1.DeviceListedSchema, create(inventoryV1.DeviceListedSchema, { deviceId: 'd1', supplierId: 's1' }))), 'CONTRACT.MISSING_FIELD'],
    [
      'bad money',
      wrap('ionet.inventory.v1.DevicePriceSet', toBinary(inventoryV1.DevicePriceSetSchema, create(inventoryV1.DevicePriceSetSchema, { deviceId: 'd', supplierId: 's', askPricePerGpuHour: { amountBaseUnits: '-x', asset: Asset.IO }, setAt: timestampFromDate(new Date()) }))),
      'CONTRACT.INVALID_MONEY',
    ],
  ])('reports %s as a contract failure', (_label, value, code) => {
    expect(decodeKafkaMessage({ value: value as Buffer | null }, registry)).toMatchObject({ ok: false, code });
  });

  it('keeps money exact', () => {
    const price = toBinary(inventoryV1.DevicePriceSetSchema, create(inventoryV1.DevicePriceSetSchema, { deviceId: 'd', supplierId: 's', askPricePerGpuHour: money(9_007_199_254_740_993n, Asset.IO), setAt: timestampFromDate(new Date()) }));
    const result = decodeKafkaMessage({ value: wrap('ionet.inventory.v1.DevicePriceSet', price) }, registry);
    expect(result.ok && (result.decoded.event as inventoryV1.DevicePriceSet).askPricePerGpuHour?.amountBaseUnits).toBe('9007199254740993');
  });
});

describe('failure classification', () => {
  it('recognises a ContractViolation, also after Nest turned it into its error object', () => {
    const violation = new ContractViolation('lease does not exist', 'LEASE.UNKNOWN');
    expect(asContractFailure(violation)).toEqual({ code: 'LEASE.UNKNOWN', message: 'lease does not exist' });
    expect(asContractFailure(violation.getError())).toEqual({ code: 'LEASE.UNKNOWN', message: 'lease does not exist' });
    expect(asContractFailure(new Error('connection refused'))).toBeUndefined();
    expect(asContractFailure({ status: 'error', message: 'Internal server error' })).toBeUndefined();
  });

  it('classifies database and broker faults as infrastructure', () => {
    expect(isInfrastructureError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isInfrastructureError(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
    expect(isInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isInfrastructureError(new TypeError('x is undefined'))).toBe(false);
  });

  it('derives one dead-letter id per source message', () => {
    const id = deadLetterId('g', 't', 0, '5');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deadLetterId('g', 't', 0, '5')).toBe(id);
    expect(deadLetterId('g', 't', 0, '6')).not.toBe(id);
  });
});
