import { Controller, Get, Post, UseGuards, type INestApplicationContext } from '@nestjs/common';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { Public, RequireScopes } from '../auth/auth.decorators';
import type { AuthContext } from '../auth/scopes';
import { acceptQuery, fastRead, installFastReads, nestRouteOf, type AnyFastRead } from './fast-read';

@Controller('v1/widgets')
@RequireScopes('supplier')
class WidgetsController {
  @Get()
  list(): Promise<unknown> {
    return Promise.resolve({ items: [] });
  }

  @Get(':widgetId/parts')
  parts(): Promise<unknown> {
    return Promise.resolve([]);
  }

  @Post()
  create(): Promise<unknown> {
    return Promise.resolve({});
  }

  @Public()
  @Get('open')
  open(): Promise<unknown> {
    return Promise.resolve({});
  }

  @UseGuards(class {})
  @Get('guarded')
  guarded(): Promise<unknown> {
    return Promise.resolve({});
  }
}

const app = { get: () => new WidgetsController() } as unknown as INestApplicationContext;
const read = (method: keyof WidgetsController): AnyFastRead => fastRead({ controller: WidgetsController, method, accept: () => ({}), call: (c) => c[method]() });
const install = (...reads: AnyFastRead[]) => installFastReads(Fastify(), app, reads, (): AuthContext | undefined => undefined, new Registry());

describe('fast reads', () => {
  it('find the Nest route of a controller method', () => {
    expect(nestRouteOf(WidgetsController, 'list').url).toBe('/v1/widgets');
    expect(nestRouteOf(WidgetsController, 'parts').url).toBe('/v1/widgets/:widgetId/parts');
  });

  it('refuse at start-up to stand in for a route whose checks they would skip', () => {
    expect(() => install(read('list'), read('parts'))).not.toThrow();
    expect(() => install(read('create'))).toThrow(/not a GET/);
    expect(() => install(read('open'))).toThrow(/public/);
    expect(() => install(read('guarded'))).toThrow(/guards/);
  });

  it('compile a query check that declines unknown keys, arrays and values out of rule', () => {
    const accept = acceptQuery<{ limit?: number; name?: string; code?: string }>({ limit: 'pageLimit', name: { text: [1, 8] }, code: /^[a-z]{2}$/ });
    expect(accept({ limit: '20', name: 'gpu', code: 'de' })).toEqual({ limit: 20, name: 'gpu', code: 'de' });
    for (const q of [{ other: '1' }, { limit: ['1', '2'] }, { limit: '0' }, { limit: '201' }, { name: '' }, { name: 'x'.repeat(9) }, { name: 'tab\t' }, { code: 'DE' }, null]) {
      expect(accept(q)).toBeUndefined();
    }
  });
});
