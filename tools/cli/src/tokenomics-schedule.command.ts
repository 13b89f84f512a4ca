import { formatAmount } from '@ionet/ledger';
import {
  cumulativeEmission,
  cumulativeEmissionTable,
  DEFAULT_EPOCH_ONE_START_MS,
  EMISSION_EPOCHS,
  epochStartMs,
  GENESIS_SUPPLY_BASE_UNITS,
} from '@ionet/tokenomics';
import { parseArgs, UsageError } from './cli-args';
import { supplyChartSvg, SupplyPoint } from './supply-chart';

export type ScheduleGrouping = 'epoch' | 'day' | 'year';
export type OutputFormat = 'table' | 'csv' | 'json';

const EPOCHS_PER: Record<ScheduleGrouping, number> = { epoch: 1, day: 24, year: 8_760 };

export interface ScheduleRow {
  /** The epoch, day or year number (1-based). */
  readonly period: number;
  readonly firstEpoch: number;
  readonly lastEpoch: number;
  readonly emissionBaseUnits: bigint;
  readonly cumulativeBaseUnits: bigint;
}

export const SCHEDULE_USAGE = `usage: ionet tokenomics schedule [--by epoch|day|year] [--epochs 1,8760|A-B,...]
                                [--format table|csv|json] [--start 2024-04-28T00:00:00Z] [--chart supply.svg]
  --by       group epochs: a day is 24 epochs, a year 8,760 (default: year, or epoch with --epochs)
  --epochs   epochs to print, with --by epoch: a list of numbers and ranges, e.g. 1-24,8760
  --format   table (default), csv or json; json amounts are IO base units (8 decimals) as strings,
             csv has base units and decimal IO, the table decimal IO
  --start    when epoch 1 begins (ISO 8601, UTC), for the timestamps in table and csv
  --chart    also write an SVG chart of total supply over the 20 years to this file`;

/** "1,8760" or "1-24,100" into sorted, distinct epochs within the schedule. */
export function parseEpochList(text: string): number[] {
  const epochs = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!match) throw new UsageError(`--epochs: "${part}" is not an epoch or a range A-B`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < 1 || to > EMISSION_EPOCHS || to < from) throw new UsageError(`--epochs: ${part} is outside 1-${EMISSION_EPOCHS} or reversed`);
    for (let e = from; e <= to; e += 1) epochs.add(e);
  }
  return [...epochs].sort((a, b) => a - b);
}

export function scheduleRows(by: ScheduleGrouping, epochs?: readonly number[]): ScheduleRow[] {
  cumulativeEmissionTable();
  const size = EPOCHS_PER[by];
  const periods = epochs ?? Array.from({ length: Math.ceil(EMISSION_EPOCHS / size) }, (_, i) => i + 1);
  return periods.map((period) => {
    const firstEpoch = (period - 1) * size + 1;
    const lastEpoch = Math.min(period * size, EMISSION_EPOCHS);
    const cumulativeBaseUnits = cumulativeEmission(lastEpoch);
    return { period, firstEpoch, lastEpoch, emissionBaseUnits: cumulativeBaseUnits - cumulativeEmission(firstEpoch - 1), cumulativeBaseUnits };
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function formatSchedule(rows: readonly ScheduleRow[], by: ScheduleGrouping, format: OutputFormat, startMs: number): string {
  switch (format) {
    case 'json': {
      const json = rows.map((r) =>
        by === 'epoch'
          ? { epoch: r.period, emissionBaseUnits: r.emissionBaseUnits.toString(), cumulativeBaseUnits: r.cumulativeBaseUnits.toString() }
          : { [by]: r.period, firstEpoch: r.firstEpoch, lastEpoch: r.lastEpoch, emissionBaseUnits: r.emissionBaseUnits.toString(), cumulativeBaseUnits: r.cumulativeBaseUnits.toString() },
      );
      return `${JSON.stringify(json, null, 2)}\n`;
    }
    case 'csv': {
      const header = `${by},firstEpoch,lastEpoch,startsAt,emissionBaseUnits,cumulativeBaseUnits,supplyBaseUnits,emissionIo,cumulativeIo,supplyIo`;
      const lines = rows.map((r) => {
        const supply = GENESIS_SUPPLY_BASE_UNITS + r.cumulativeBaseUnits;
        return [
          r.period,
          r.firstEpoch,
          r.lastEpoch,
          iso(epochStartMs(r.firstEpoch, startMs)),
          r.emissionBaseUnits,
          r.cumulativeBaseUnits,
          supply,
          formatAmount('IO', r.emissionBaseUnits),
          formatAmount('IO', r.cumulativeBaseUnits),
          formatAmount('IO', supply),
        ].join(',');
      });
      return `${[header, ...lines].join('\n')}\n`;
    }
    case 'table': {
      const header = [by, 'epochs', 'starts (UTC)', 'emission (IO)', 'cumulative emission (IO)', 'total supply (IO)'];
      const body = rows.map((r) => [
        String(r.period),
        r.firstEpoch === r.lastEpoch ? String(r.firstEpoch) : `${r.firstEpoch}-${r.lastEpoch}`,
        iso(epochStartMs(r.firstEpoch, startMs)).replace('.000Z', 'Z'),
        formatAmount('IO', r.emissionBaseUnits),
        formatAmount('IO', r.cumulativeBaseUnits),
        formatAmount('IO', GENESIS_SUPPLY_BASE_UNITS + r.cumulativeBaseUnits),
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
      const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
      return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')}\n`;
    }
    default: {
      const unhandled: never = format;
      throw new UsageError(`unknown format ${String(unhandled)}`);
    }
  }
}

/** Total supply at the end of every week, and at the end of the schedule. */
export function supplyPoints(): SupplyPoint[] {
  cumulativeEmissionTable();
  const points: SupplyPoint[] = [{ years: 0, supplyBaseUnits: GENESIS_SUPPLY_BASE_UNITS }];
  for (let epoch = 168; epoch < EMISSION_EPOCHS; epoch += 168) {
    points.push({ years: epoch / 8_760, supplyBaseUnits: GENESIS_SUPPLY_BASE_UNITS + cumulativeEmission(epoch) });
  }
  points.push({ years: EMISSION_EPOCHS / 8_760, supplyBaseUnits: GENESIS_SUPPLY_BASE_UNITS + cumulativeEmission(EMISSION_EPOCHS) });
  return points;
}

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly writeFile: (path: string, content: string) => void;
}

export function tokenomicsScheduleCommand(argv: readonly string[], io: CommandIo): number {
  const { positionals, options } = parseArgs(argv, ['by', 'epochs', 'format', 'start', 'chart']);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const byText = options.get('by') ?? (options.has('epochs') ? 'epoch' : 'year');
  if (byText !== 'epoch' && byText !== 'day' && byText !== 'year') throw new UsageError(`--by must be epoch, day or year, got "${byText}"`);
  const format = options.get('format') ?? 'table';
  if (format !== 'table' && format !== 'csv' && format !== 'json') throw new UsageError(`--format must be table, csv or json, got "${format}"`);
  if (options.has('epochs') && byText !== 'epoch') throw new UsageError('--epochs goes with --by epoch');
  let startMs = DEFAULT_EPOCH_ONE_START_MS;
  const start = options.get('start');
  if (start !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/.test(start)) throw new UsageError(`--start must be an ISO 8601 UTC time like 2024-04-28T00:00:00Z, got "${start}"`);
    startMs = Date.parse(start);
    // Date.parse rolls impossible dates over (2024-02-30 becomes March 1st); the round trip refuses them.
    if (Number.isNaN(startMs) || new Date(startMs).toISOString().slice(0, 16) !== start.slice(0, 16)) {
      throw new UsageError(`--start is not a valid time: "${start}"`);
    }
  }
  const epochs = options.has('epochs') ? parseEpochList(options.get('epochs')!) : undefined;
  io.stdout(formatSchedule(scheduleRows(byText, epochs), byText, format, startMs));
  const chart = options.get('chart');
  if (chart !== undefined) {
    io.writeFile(chart, supplyChartSvg(supplyPoints(), 'IO total supply: 500M genesis + 300M hourly emissions over 20 years'));
    // stderr, so that stdout stays pure JSON or CSV when both are asked for.
    io.stderr(`wrote supply chart to ${chart}\n`);
  }
  return 0;
}
