import { readFileSync } from 'node:fs';
import { EventRegistry } from '@ionet/contracts';
import { buildEventCatalogue } from './event-catalogue';
import { generatedFiles, protoImage } from './generate';

describe('the event catalogue (AsyncAPI) generated from proto/', () => {
  const image = protoImage();
  const { asyncapi, events, markdown } = buildEventCatalogue(image, '0.0.0-test');
  const doc = asyncapi as {
    channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
    components: { messages: Record<string, { payload: { $ref: string } }>; schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; enum?: string[] }> };
  };

  it('is committed as generated: run `npm run docs:events` after changing proto/', () => {
    for (const file of generatedFiles()) expect({ path: file.path, content: readFileSync(file.path, 'utf8') }).toEqual({ path: file.path, content: file.content });
  });

  it('has a message on its topic for every event of the registry, and nothing else', () => {
    const registry = EventRegistry.catalogue();
    const documented = events.filter((e) => e.context !== 'dlq').map((e) => e.typeName).sort();
    expect(documented).toEqual(registry.types());
    for (const type of registry.types()) {
      const channel = doc.channels[registry.require(type).context];
      expect(channel.address).toBe(registry.topicOf(type));
      expect(channel.messages[type.slice(type.lastIndexOf('.') + 1)]).toBeDefined();
    }
  });

  it('resolves every reference, and describes fields with their protobuf names and numbers', () => {
    const text = JSON.stringify(asyncapi);
    for (const [, pointer] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = pointer.split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], asyncapi);
      expect({ pointer, resolved: target !== undefined }).toEqual({ pointer, resolved: true });
    }
    const leaseCreated = doc.components.schemas['ionet.leasing.v1.LeaseCreated'];
    expect(leaseCreated.properties?.leaseId).toMatchObject({ 'x-protobuf-field': 'lease_id', 'x-protobuf-number': 1 });
    // Money's base units are exact (a decimal string) and its asset an enum of names.
    const money = doc.components.schemas['ionet.common.v1.Money'];
    expect(money.properties?.amountBaseUnits).toMatchObject({ type: 'string', 'x-protobuf-number': 1 });
    expect(money.properties?.asset).toMatchObject({ allOf: [{ $ref: '#/components/schemas/ionet.common.v1.Asset' }] });
    expect(doc.components.schemas['ionet.common.v1.Asset'].enum).toContain('ASSET_IO');
    // 64-bit integers are decimal strings in proto3 JSON.
    expect(doc.components.schemas['ionet.common.v1.EventEnvelope'].properties?.aggregateVersion).toMatchObject({ type: 'string', format: 'uint64' });
  });

  it('writes a page per topic with each event and its fields', () => {
    expect(markdown).toContain('## `ionet.billing.v1`');
    expect(markdown).toContain('### PayoutScheduled');
    expect(markdown).toMatch(/\| 1 \| `payout_id` \| string \|/);
  });
});
