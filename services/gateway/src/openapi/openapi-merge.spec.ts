import { mergeOpenApi, operationsOf, publicPathOf, type OpenApiDocument } from './openapi-merge';

const info = { title: 'ionet API', version: '1', description: 'd' };

const inventory: OpenApiDocument = {
  openapi: '3.0.0',
  paths: {
    '/v1/devices/{deviceId}': { get: { operationId: 'getDevice', responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Money' } } } } } } },
    '/v1/ops/projections/{name}/rebuild': { post: { operationId: 'rebuild', responses: {} } },
    '/health/ready': { get: { operationId: 'ready', responses: {} } },
    '/metrics': { get: { operationId: 'metrics', responses: {} } },
    '/v1/quotes': { post: { operationId: 'notMine', responses: {} } },
  },
  components: {
    schemas: { Money: { type: 'object', properties: { amountBaseUnits: { type: 'string' } } }, Page: { type: 'object' } },
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
  },
};

const billing: OpenApiDocument = {
  openapi: '3.0.0',
  paths: {
    '/v1/organizations': { post: { operationId: 'createOrganization', tags: ['accounts'], responses: { 201: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Money' } } } } } } },
  },
  components: {
    schemas: { Money: { type: 'object', properties: { cents: { type: 'integer' } } }, Page: { type: 'object' } },
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
  },
};

describe('mergeOpenApi', () => {
  const merged = mergeOpenApi(
    [
      { service: 'inventory', document: inventory },
      { service: 'billing', document: billing },
      { service: 'leasing', document: undefined },
    ],
    info,
  );

  it('keeps the public /v1 paths each service owns, and moves ops paths under the service', () => {
    expect(Object.keys(merged.paths!)).toEqual(['/v1/devices/{deviceId}', '/v1/ops/inventory/projections/{name}/rebuild', '/v1/organizations']);
    expect(operationsOf(merged).map((o) => `${o.method} ${o.path}`)).toEqual([
      'GET /v1/devices/{deviceId}',
      'POST /v1/ops/inventory/projections/{name}/rebuild',
      'POST /v1/organizations',
    ]);
  });

  it('prefixes operation ids with the service and tags untagged operations with it', () => {
    const op = merged.paths!['/v1/devices/{deviceId}']!.get as Record<string, unknown>;
    expect(op.operationId).toBe('inventory_getDevice');
    expect(op.tags).toEqual(['inventory']);
    expect(op['x-ionet-service']).toBe('inventory');
    expect((merged.paths!['/v1/organizations']!.post as Record<string, unknown>).tags).toEqual(['accounts']);
  });

  it('shares identical components and renames a clash, with the references that point at it', () => {
    const schemas = merged.components!.schemas!;
    expect(Object.keys(schemas).sort()).toEqual(['Money', 'Page', 'billing_Money']);
    expect(schemas.Money).toEqual(inventory.components!.schemas!.Money);
    expect(schemas.billing_Money).toEqual(billing.components!.schemas!.Money);
    expect(JSON.stringify(merged.paths!['/v1/organizations'])).toContain('#/components/schemas/billing_Money');
    expect(JSON.stringify(merged.paths!['/v1/devices/{deviceId}'])).toContain('"#/components/schemas/Money"');
  });

  it('says which services were merged and which were not reachable', () => {
    expect(merged.info!['x-ionet-services']).toEqual({ available: ['inventory', 'billing'], unavailable: ['leasing'] });
  });

  it('publicPathOf refuses paths another service owns', () => {
    expect(publicPathOf('inventory', '/v1/quotes')).toBeUndefined();
    expect(publicPathOf('matching', '/v1/quotes')).toBe('/v1/quotes');
    expect(publicPathOf('verification', '/v1/devices/{deviceId}/eligibility')).toBe('/v1/devices/{deviceId}/eligibility');
    expect(publicPathOf('inventory', '/v1/devices/{deviceId}/eligibility')).toBeUndefined();
  });
});
