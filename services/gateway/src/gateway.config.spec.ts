import { ConfigError } from '@ionet/platform';
import { loadGatewayConfig } from './gateway.config';

describe('gateway configuration', () => {
  it('defaults to the base URL :4000 with bounded bodies and limits', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({ HTTP_PORT: 4000, BODY_LIMIT_BYTES: 65_536, GATEWAY_UPSTREAMS: {}, TRUST_PROXY: false });
  });

  it('reads the upstream list as service -> origin', () => {
    const config = loadGatewayConfig({ GATEWAY_UPSTREAMS: 'inventory=http://127.0.0.1:4101/, billing=http://billing:3000' });
    expect(config.GATEWAY_UPSTREAMS).toEqual({ inventory: 'http://127.0.0.1:4101', billing: 'http://billing:3000' });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({ GATEWAY_UPSTREAMS: 'warehouse=http://x:1,inventory=ftp://x', HTTP_PORT: 'eighty', BODY_LIMIT_BYTES: '10' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((i) => i.variable);
    expect(variables).toEqual(expect.arrayContaining(['GATEWAY_UPSTREAMS', 'HTTP_PORT', 'BODY_LIMIT_BYTES']));
    expect((error as ConfigError).message).toContain('warehouse=http://x:1');
    expect((error as ConfigError).message).toContain('the URL of inventory');
  });
});
