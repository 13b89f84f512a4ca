// eslint-disable-next-line @typescript-eslint/no-require-imports
const { classifyLine } = require('../log-lines.cjs') as {
  classifyLine(service: string, line: string): { text?: string; record?: Record<string, unknown>; levelValue?: number; kafkaStartup?: boolean };
};

describe('npm start: reading the children\'s output', () => {
  it('keeps a pino line and names its service', () => {
    const entry = classifyLine('inventory', JSON.stringify({ level: 'info', time: 't', msg: 'inventory listening' }));
    expect(entry).toEqual({ record: { service: 'inventory', level: 'info', time: 't', msg: 'inventory listening' }, levelValue: 30, kafkaStartup: false });
  });

  it('turns a fresh broker\'s coordinator and leader retries from ERROR into debug', () => {
    for (const message of [
      '[Connection] Response GroupCoordinator(key: 10, version: 2)',
      '[BrokerPool] Failed to connect to seed broker, trying another broker from the list: There is no leader for this topic-partition as we are in the middle of a leadership election',
    ]) {
      const entry = classifyLine('inventory', JSON.stringify({ level: 'ERROR', timestamp: 't', logger: 'kafkajs', message, error: 'The group coordinator is not available' }));
      expect(entry).toMatchObject({ levelValue: 20, kafkaStartup: true, record: { level: 'debug', service: 'inventory', msg: `kafka: ${message}` } });
    }
  });

  it('keeps other kafkajs errors as errors', () => {
    const entry = classifyLine('inventory', JSON.stringify({ level: 'ERROR', timestamp: 't', logger: 'kafkajs', message: '[Producer] SASL authentication failed' }));
    expect(entry).toMatchObject({ levelValue: 50, kafkaStartup: false, record: { level: 'error' } });
  });

  it('shows Nest\'s module and route inventory only at debug', () => {
    const entry = classifyLine('inventory', JSON.stringify({ level: 'info', context: 'RouterExplorer', msg: 'Mapped {/v1/devices, GET} route' }));
    expect(entry).toMatchObject({ levelValue: 20, record: { level: 'debug' } });
    expect(classifyLine('inventory', JSON.stringify({ level: 'info', context: 'NestApplication', msg: 'started' }))).toMatchObject({ levelValue: 30 });
  });

  it('passes text that is not JSON through', () => {
    expect(classifyLine('gateway', '    at Object.<anonymous> (main.js:1:1)')).toEqual({ text: '    at Object.<anonymous> (main.js:1:1)' });
    expect(classifyLine('gateway', '[1,2]')).toEqual({ text: '[1,2]' });
  });
});
