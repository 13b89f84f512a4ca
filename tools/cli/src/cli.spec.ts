import { cumulativeEmission, emissionForEpoch, EMISSION_EPOCHS } from '@ionet/tokenomics';
import { runCli } from './cli';
import { parseEpochList } from './tokenomics-schedule.command';

function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const files = new Map<string, string>();
  const code = runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), writeFile: (p, c) => files.set(p, c) }, () => 0);
  return { code, stdout: out.join(''), stderr: err.join(''), files };
}

describe('ionet tokenomics schedule', () => {
  it('prints exactly the requested epochs as JSON with base units as strings', () => {
    const { code, stdout, stderr } = run('tokenomics', 'schedule', '--format', 'json', '--epochs', '1,8760');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual([
      { epoch: 1, emissionBaseUnits: '456621004566', cumulativeBaseUnits: '456621004566' },
      { epoch: 8760, emissionBaseUnits: emissionForEpoch(8760).toString(), cumulativeBaseUnits: cumulativeEmission(8760).toString() },
    ]);
  });

  it('accepts ranges and lists of epochs', () => {
    expect(parseEpochList('3-5,1,4')).toEqual([1, 3, 4, 5]);
    const rows = JSON.parse(run('tokenomics', 'schedule', '--format=json', '--epochs', `${EMISSION_EPOCHS - 1}-${EMISSION_EPOCHS}`).stdout);
    expect(rows.map((r: { epoch: number }) => r.epoch)).toEqual([EMISSION_EPOCHS - 1, EMISSION_EPOCHS]);
    expect(rows[1].cumulativeBaseUnits).toBe('30000000000000000');
  });

  it('groups by year: 21 rows (the 21st has the last 119 epochs) that add up to 300M IO', () => {
    const rows = JSON.parse(run('tokenomics', 'schedule', '--by', 'year', '--format', 'json').stdout);
    expect(rows).toHaveLength(21);
    expect(rows[20]).toMatchObject({ year: 21, firstEpoch: 175_201, lastEpoch: 175_319 });
    const total = rows.reduce((s: bigint, r: { emissionBaseUnits: string }) => s + BigInt(r.emissionBaseUnits), 0n);
    expect(total).toBe(30_000_000_000_000_000n);
    expect(rows[0].emissionBaseUnits).toBe(cumulativeEmission(8_760).toString());
  });

  it('groups by day in CSV with decimal IO columns and start times', () => {
    const { stdout } = run('tokenomics', 'schedule', '--by', 'day', '--format', 'csv', '--start', '2030-01-01T00:00:00Z');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('day,firstEpoch,lastEpoch,startsAt,emissionBaseUnits,cumulativeBaseUnits,supplyBaseUnits,emissionIo,cumulativeIo,supplyIo');
    expect(lines).toHaveLength(1 + Math.ceil(EMISSION_EPOCHS / 24));
    expect(lines[2].split(',').slice(0, 4)).toEqual(['2', '25', '48', '2030-01-02T00:00:00.000Z']);
    expect(lines.at(-1)!.split(',').at(-1)).toBe('800000000.00000000');
  });

  it('prints a readable table by default', () => {
    const { stdout } = run('tokenomics', 'schedule');
    expect(stdout).toContain('total supply (IO)');
    expect(stdout).toContain('37662980.66331321');
    expect(stdout.trim().split('\n')).toHaveLength(2 + 21);
  });

  it('writes an SVG supply chart when asked, reporting on stderr so stdout stays clean', () => {
    const { code, files, stderr, stdout } = run('tokenomics', 'schedule', '--format', 'json', '--epochs', '1', '--chart', 'supply.svg');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toHaveLength(1);
    expect(stderr).toContain('supply.svg');
    const svg = files.get('supply.svg')!;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const points = /points="([^"]+)"/.exec(svg)![1].split(' ');
    expect(points.length).toBeGreaterThan(1_000);
    // Supply only grows, so the line only goes up (smaller y) from left to right.
    const ys = points.map((p) => Number(p.split(',')[1]));
    expect(ys.every((y, i) => i === 0 || y <= ys[i - 1])).toBe(true);
  });

  it.each([
    [['tokenomics', 'schedule', '--by', 'week']],
    [['tokenomics', 'schedule', '--format', 'xml']],
    [['tokenomics', 'schedule', '--epochs', '0']],
    [['tokenomics', 'schedule', '--epochs', '9-3']],
    [['tokenomics', 'schedule', '--epochs', `${EMISSION_EPOCHS + 1}`]],
    [['tokenomics', 'schedule', '--by', 'year', '--epochs', '1']],
    [['tokenomics', 'schedule', '--start', 'yesterday']],
    [['tokenomics', 'schedule', '--start', '2024-02-30T00:00:00Z']],
    [['tokenomics', 'schedule', '--start', '2024-04-28T24:00:00Z']],
    [['tokenomics', 'schedule', '--nope', '1']],
    [['tokenomics', 'schedule', '--format']],
    [['tokenomics', 'frobnicate']],
    [['simulate', 'economy']],
    [['simulate', 'economy', '--seed', '1', '--seeds', '1..2']],
    [['simulate', 'economy', '--seed', '1', '--steps', '0']],
    [['simulate', 'economy', '--seeds', '9..3']],
  ])('exits 2 with a clear error for %j', (argv) => {
    const { code, stderr, stdout } = run(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: /);
    expect(stdout).toBe('');
  });
});

describe('ionet simulate economy', () => {
  it('runs one seed and reports its state hash and supply', () => {
    const { code, stdout } = run('simulate', 'economy', '--seed', '7', '--steps', '50');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok: seed 7, 50 steps/);
    expect(stdout).toMatch(/state hash\s+[0-9a-f]{64}/);
  });

  it('runs many seeds, "--seeds N" meaning the first N', () => {
    const { code, stdout } = run('simulate', 'economy', '--seeds', '3', '--steps', '20');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok: seeds 1\.\.3 \(3\) x 20 steps, 60 steps run, 0 failing, 0 not replayable/);
  });
});
