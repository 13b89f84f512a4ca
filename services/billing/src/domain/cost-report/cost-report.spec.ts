import { costReport, type PublicCloudPriceTable } from './cost-report';

const table: PublicCloudPriceTable = {
  asOf: '2025-06-01',
  currency: 'USD',
  basis: 'test',
  pricesUsdMicrosPerGpuHour: { 'H100-80GB': { aws: 6_880_000, gcp: 11_060_000 }, 'A100-80GB': { aws: 5_120_000 } },
};
const at = (h: number) => new Date(Date.UTC(2026, 11, 1, h));

describe('cost report', () => {
  it('puts each hour beside the list price of the same GPU-hours, only where a provider lists every model of the hour', () => {
    const report = costReport(
      'USDC',
      0n,
      [
        { hourIndex: 0, hourStart: at(0), deviceId: 'a', gpuModel: 'H100-80GB', gpuCount: 8, costBaseUnits: 16_000_000n, refunded: false },
        { hourIndex: 0, hourStart: at(0), deviceId: 'b', gpuModel: 'A100-80GB', gpuCount: 1, costBaseUnits: 1_000_000n, refunded: false },
        { hourIndex: 1, hourStart: at(1), deviceId: 'a', gpuModel: 'H100-80GB', gpuCount: 8, costBaseUnits: 16_000_000n, refunded: false },
        { hourIndex: 1, hourStart: at(1), deviceId: 'b', gpuModel: 'A100-80GB', gpuCount: 1, costBaseUnits: 0n, refunded: true },
      ],
      table,
    );
    expect(report.hours).toEqual([
      { hourIndex: 0, hourStart: at(0), gpuHours: 9, refundedGpuHours: 0, costBaseUnits: 17_000_000n, publicCloudUsdMicros: { aws: 8n * 6_880_000n + 5_120_000n } },
      { hourIndex: 1, hourStart: at(1), gpuHours: 8, refundedGpuHours: 1, costBaseUnits: 16_000_000n, publicCloudUsdMicros: { aws: 8n * 6_880_000n, gcp: 8n * 11_060_000n } },
    ]);
    expect(report.totalCostBaseUnits).toBe(33_000_000n);
    expect(report.totalCostUsdMicros).toBe(33_000_000n);
    expect(report.publicCloudTotalUsdMicros).toEqual({ aws: 16n * 6_880_000n + 5_120_000n, gcp: 8n * 11_060_000n });
    expect(report.priceTable).toEqual({ asOf: '2025-06-01', basis: 'test' });
  });

  it('states an IO cost in dollars at the lease IO price; an unknown GPU model is compared with nothing', () => {
    const report = costReport('IO', 500_000n, [{ hourIndex: 0, hourStart: at(0), deviceId: 'a', gpuModel: null, gpuCount: 1, costBaseUnits: 400_000_000n, refunded: false }], table);
    expect(report.totalCostUsdMicros).toBe(2_000_000n);
    expect(report.hours[0]!.publicCloudUsdMicros).toEqual({});
  });
});
