import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ApiKeyEvent } from '../../domain/api-key/api-key.decider';
import type { OrganizationEvent } from '../../domain/organization/organization.decider';
import { apiKeyEventCodec, organizationEventCodec } from './billing-event-codec';

const at = new Date('2026-12-01T10:00:00.123Z');

function roundTrip<E>(codec: { encode(e: E): { schema: Parameters<typeof create>[0]; data: unknown }; decode(m: never, t: string): E }, event: E): E {
  const { schema, data } = codec.encode(event);
  const bytes = toBinary(schema, create(schema, data as never));
  return codec.decode(fromBinary(schema, bytes) as never, schema.typeName);
}

describe('billing event codec', () => {
  it('round-trips organizations and keys through their protobuf bytes', () => {
    const created: OrganizationEvent = { type: 'OrganizationCreated', organizationId: 'org-1', name: 'Acme', kind: 'partner_network', at };
    expect(roundTrip(organizationEventCodec as never, created)).toEqual(created);
    const issued: ApiKeyEvent = { type: 'ApiKeyIssued', apiKeyId: 'k-1', organizationId: 'org-1', keyHash: 'f'.repeat(64), scopes: ['partner_network'], displayPrefix: 'ionet_partner_network_abcd', label: 'ci', at };
    expect(roundTrip(apiKeyEventCodec as never, issued)).toEqual(issued);
    const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', apiKeyId: 'k-1', organizationId: 'org-1', keyHash: 'f'.repeat(64), at };
    expect(roundTrip(apiKeyEventCodec as never, revoked)).toEqual(revoked);
  });

  it('writes the scopes as the contract enum the key projection of every service reads', () => {
    const { data } = apiKeyEventCodec.encode({ type: 'ApiKeyIssued', apiKeyId: 'k', organizationId: 'o', keyHash: 'a'.repeat(64), scopes: ['customer', 'ops'], displayPrefix: 'p', label: '', at });
    expect((data as { scopes: number[] }).scopes).toEqual([1, 4]);
  });
});
