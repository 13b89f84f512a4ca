import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { EventEnvelopeSchema, type EventEnvelope } from './gen/ionet/common/v1/envelope_pb';
import { decodeEnvelope, isUuid } from './envelope';

// decodeEnvelope reads the wire format by hand (ADR 0208); the generated decoder is the reference.
function reference(bytes: Uint8Array): { metadata: Record<string, unknown>; payload: Uint8Array } | { error: true } {
  let e: EventEnvelope;
  try {
    e = fromBinary(EventEnvelopeSchema, bytes);
  } catch {
    return { error: true };
  }
  return {
    metadata: {
      eventId: e.eventId,
      eventType: e.eventType,
      schemaVersion: e.schemaVersion,
      aggregateType: e.aggregateType,
      aggregateId: e.aggregateId,
      aggregateVersion: e.aggregateVersion,
      occurredAt: e.occurredAt ? timestampDate(e.occurredAt) : undefined,
      correlationId: e.correlationId,
      causationId: e.causationId,
      producer: e.producer,
      traceparent: e.traceparent,
      tracestate: e.tracestate,
      globalPosition: e.globalPosition,
    },
    payload: e.payload,
  };
}

const full = create(EventEnvelopeSchema, {
  eventId: '0190a6f4-7a52-7cc1-9d3e-3f1f7a1b2c3d',
  eventType: 'ionet.inventory.v1.DevicePriceSet',
  schemaVersion: 4_000_000_000,
  aggregateType: 'dévice',
  aggregateId: 'dev-ü-1'.repeat(20),
  aggregateVersion: 18_446_744_073_709_551_615n,
  occurredAt: { seconds: 1_764_000_000n, nanos: 123_456_789 },
  correlationId: 'corr-1',
  causationId: 'cmd-1',
  producer: 'inventory',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=x',
  payload: new Uint8Array([0, 1, 2, 255]),
  globalPosition: 9_007_199_254_740_993n,
});

function expectSameAsReference(bytes: Uint8Array): void {
  const expected = reference(bytes);
  if ('error' in expected) {
    expect(() => decodeEnvelope(bytes)).toThrow(expect.objectContaining({ code: 'CONTRACT.BAD_ENVELOPE' }));
    return;
  }
  const actual = decodeEnvelope(bytes);
  for (const [key, value] of Object.entries(expected.metadata)) expect([key, (actual.metadata as unknown as Record<string, unknown>)[key]]).toEqual([key, value]);
  expect(Object.keys(actual.metadata).sort()).toEqual(Object.keys(expected.metadata).sort());
  expect([...actual.payload]).toEqual([...expected.payload]);
}

describe('hand-written envelope decoder', () => {
  it('matches the generated decoder field by field with every field set', () => {
    expectSameAsReference(toBinary(EventEnvelopeSchema, full));
  });

  it('skips unknown fields of every wire type, in the envelope and in occurred_at', () => {
    const w = new BinaryWriter();
    w.tag(99, WireType.Varint).uint64(12345n);
    w.tag(100, WireType.LengthDelimited).bytes(new Uint8Array([9, 9, 9]));
    w.tag(101, WireType.Bit32).fixed32(7);
    w.tag(102, WireType.Bit64).fixed64(7n);
    w.tag(103, WireType.StartGroup).tag(1, WireType.Varint).int32(5).tag(103, WireType.EndGroup);
    const ts = new BinaryWriter().tag(3, WireType.Varint).int32(8).tag(1, WireType.Varint).int64(1_700_000_000n).tag(2, WireType.Varint).int32(5_000_000).finish();
    w.tag(7, WireType.LengthDelimited).bytes(ts);
    const unknownFirst = w.finish();
    const base = toBinary(EventEnvelopeSchema, create(EventEnvelopeSchema, { ...full, occurredAt: undefined }));
    const bytes = new Uint8Array([...unknownFirst, ...base]);
    expectSameAsReference(bytes);
    expect(decodeEnvelope(bytes).metadata.occurredAt).toEqual(new Date(1_700_000_000_005));
  });

  it('lets the last value win and merges a repeated occurred_at, as protobuf does', () => {
    const first = toBinary(EventEnvelopeSchema, full);
    const second = toBinary(EventEnvelopeSchema, create(EventEnvelopeSchema, { eventType: 'ionet.inventory.v1.DeviceListed', aggregateVersion: 7n, occurredAt: { seconds: 0n, nanos: 999_999_999 }, payload: new Uint8Array([4]) }));
    const merged = new Uint8Array([...first, ...second]);
    expectSameAsReference(merged);
    const decoded = decodeEnvelope(merged);
    expect(decoded.metadata.eventType).toBe('ionet.inventory.v1.DeviceListed');
    expect(decoded.metadata.aggregateVersion).toBe(7n);
  });

  it('keeps defaults for absent fields and rejects what the generated decoder rejects', () => {
    const minimal = create(EventEnvelopeSchema, { eventId: full.eventId, eventType: 'x', schemaVersion: 1, aggregateType: 'a', aggregateId: 'b', aggregateVersion: 1n, occurredAt: { seconds: -5n, nanos: -1 }, producer: 'p' });
    expectSameAsReference(toBinary(EventEnvelopeSchema, minimal));
    expect(decodeEnvelope(toBinary(EventEnvelopeSchema, minimal)).payload).toEqual(new Uint8Array(0));
    const good = toBinary(EventEnvelopeSchema, full);
    for (let cut = 1; cut < good.length; cut += 7) expectSameAsReference(good.subarray(0, cut));
    // Invalid UTF-8 in a string field; an illegal tag (field 0); a truncated varint.
    expectSameAsReference(new Uint8Array([0x0a, 0x02, 0xc3, 0x28]));
    expectSameAsReference(new Uint8Array([0x00, 0x01]));
    expectSameAsReference(new Uint8Array([0x30, 0xff]));
    expect(() => decodeEnvelope(toBinary(EventEnvelopeSchema, create(EventEnvelopeSchema, { ...full, occurredAt: undefined })))).toThrow(/occurred_at/);
  });

  it('decodes from a Buffer at an offset of its pool, like kafkajs hands it', () => {
    const bytes = toBinary(EventEnvelopeSchema, full);
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes)]).subarray(3);
    expectSameAsReference(pooled);
  });

  it('checks UUIDs like the pattern it replaced', () => {
    const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const samples = [full.eventId, full.eventId.toUpperCase(), full.eventId.replace(/-/g, '_'), `${full.eventId}0`, full.eventId.slice(1), '', 'g'.repeat(36), full.eventId.replace('7a52', '7a5-'), full.eventId.replace('a', '/')];
    for (const s of samples) expect([s, isUuid(s)]).toEqual([s, pattern.test(s)]);
  });
});
