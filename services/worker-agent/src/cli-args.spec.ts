import { parseCli } from './cli-args';

describe('the command line', () => {
  it('reads a command, its options and IONET_API_URL for --api', () => {
    const { command, options } = parseCli(['join', '--token', 't-1', '--dir', '/tmp/a', '--simulate-gpus', 'H100x8', '--country', 'DE'], { IONET_API_URL: 'http://127.0.0.1:4000' });
    expect(command).toBe('join');
    expect(options).toMatchObject({ token: 't-1', dir: '/tmp/a', simulateGpus: 'H100x8', country: 'DE', api: 'http://127.0.0.1:4000', heartbeatIntervalSeconds: 30, runtime: 'auto', unsafeTestCorruptProof: false });
    expect(parseCli(['join', '--api', 'http://x'], { IONET_API_URL: 'http://y' }).options.api).toBe('http://x');
    expect(parseCli(['run', '--heartbeat-interval', '0.5']).options.heartbeatIntervalSeconds).toBe(0.5);
  });

  it('shows help without a command, and refuses unknown commands, options and bad values', () => {
    expect(parseCli([]).command).toBe('help');
    expect(parseCli(['--help']).command).toBe('help');
    expect(() => parseCli(['start'])).toThrow('unknown command "start"');
    expect(() => parseCli(['run', '--tokn', 'x'])).toThrow("Unknown option '--tokn'");
    expect(() => parseCli(['run', '--heartbeat-interval', 'often'])).toThrow('--heartbeat-interval is a number');
    expect(() => parseCli(['run', '--heartbeat-interval', '0'])).toThrow('--heartbeat-interval is a number');
    expect(() => parseCli(['join', '--download-mbps', '1.5'])).toThrow('--download-mbps is a whole number');
    expect(() => parseCli(['run', '--runtime', 'vm'])).toThrow('--runtime is auto, process or container');
    expect(() => parseCli(['run', 'extra'])).toThrow('unexpected arguments: extra');
  });
});
