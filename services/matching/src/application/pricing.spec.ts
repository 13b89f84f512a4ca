import type { Placed } from '../domain/placement';
import { capInUsdMicros, pricedDevice, quotePrice } from './pricing';

const IO_PRICE = 2_000_000n; // $2.00 per IO
const placed = (gpuCount: number, priceUsdMicros: bigint): Placed => ({ deviceId: 'd', supplierId: 's', gpuCount, priceUsdMicros, role: 'node', countryCode: 'DE', region: 'eu' });

describe('quote pricing', () => {
  it('given USDC, when priced, then compute is GPUs x price x hours and the fees are 0.25% and 2%, floored', () => {
    const devices = [pricedDevice(placed(8, 2_000_000n), 'USDC', IO_PRICE), pricedDevice(placed(8, 2_100_000n), 'USDC', IO_PRICE)];
    expect(quotePrice(devices, { durationHours: 2, paymentAsset: 'USDC' })).toEqual({ compute: 65_600_000n, reservationFee: 164_000n, paymentFee: 1_312_000n, total: 67_076_000n });
  });

  it('given IO, when priced, then each price converts at the oracle price rounded up and no payment fee applies', () => {
    // $1.999999 an hour at $2/IO = 0.9999995 IO = 99,999,950 base units (8 decimals), exact.
    const device = pricedDevice(placed(1, 1_999_999n), 'IO', IO_PRICE);
    expect(device.pricePerGpuHour).toBe(99_999_950n);
    // $0.000001 at $3/IO is a third of a base unit: rounded up to one.
    expect(pricedDevice(placed(1, 1n), 'IO', 300_000_000n).pricePerGpuHour).toBe(1n);
    expect(quotePrice([device], { durationHours: 3, paymentAsset: 'IO' })).toEqual({ compute: 299_999_850n, reservationFee: 749_999n, paymentFee: 0n, total: 300_749_849n });
  });

  it('given credits, when priced, then they are dollars one to one with the USDC fees', () => {
    const device = pricedDevice(placed(4, 1_234_567n), 'CREDIT', IO_PRICE);
    expect(quotePrice([device], { durationHours: 1, paymentAsset: 'CREDIT' })).toEqual({ compute: 4_938_268n, reservationFee: 12_345n, paymentFee: 98_765n, total: 5_049_378n });
  });

  it('given a cap in IO, when converted, then it is the dollars it buys, rounded down', () => {
    expect(capInUsdMicros(150_000_000n, 'IO', IO_PRICE)).toBe(3_000_000n);
    expect(capInUsdMicros(1n, 'IO', IO_PRICE)).toBe(0n);
    expect(capInUsdMicros(2_500_000n, 'USDC', IO_PRICE)).toBe(2_500_000n);
  });
});
