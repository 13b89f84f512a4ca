import { decodeEnvelope, encodeEnvelope, isUuid, newEventId, type EventMetadata } from './envelope';

const metadata: EventMetadata = {
  eventId: '0190a6f4-7a52-7cc1-9d3e-3f1f7a1b2c3d',
  eventType: 'ionet.inventory.v1.DeviceListed',
  schemaVersion: 1,
  aggregateType: 'device',
  aggregateId: 'dev-1',
  aggregateVersion: 3n,
  occurredAt: new Date('2026-11-25T10:00:00.123Z'),
  correlationId: 'corr-1',
  causationId: 'cmd-1',
  producer: 'inventory',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: '',
  globalPosition: 42n,
};

describe('event envelope', () => {
  it('round-trips every field and the payload', () => {
    const bytes = encodeEnvelope(metadata, new Uint8Array([1, 2, 3]));
    const decoded = decodeEnvelope(bytes);
    expect(decoded.metadata).toEqual(metadata);
    expect([...decoded.payload]).toEqual([1, 2, 3]);
  });

  it('rejects bytes that are not an envelope, and envelopes missing required metadata', () => {
    expect(() => decodeEnvelope(Buffer.from('not protobuf at all \xff\xff'))).toThrow(expect.objectContaining({ code: 'CONTRACT.BAD_ENVELOPE' }));
    expect(() => decodeEnvelope(encodeEnvelope({ ...metadata, eventId: 'x' }, new Uint8Array()))).toThrow(/not a UUID/);
    expect(() => decodeEnvelope(encodeEnvelope({ ...metadata, aggregateVersion: 0n }, new Uint8Array()))).toThrow(/aggregate_version/);
    expect(() => decodeEnvelope(encodeEnvelope({ ...metadata, producer: '' }, new Uint8Array()))).toThrow(/producer/);
  });

  it('makes time-ordered UUIDv7 ids', () => {
    const a = newEventId();
    const b = newEventId();
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('7');
    expect(a < b || a.slice(0, 13) === b.slice(0, 13)).toBe(true);
  });
});
