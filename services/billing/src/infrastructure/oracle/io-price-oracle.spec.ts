import { FixedIoPriceFeed, IoPriceOracle, type IoPriceFeed } from './io-price-oracle';

class ManualClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
}

describe('IO price oracle', () => {
  it('reads the feed again once its price is a minute old on the service clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const oracle = new IoPriceOracle(new FixedIoPriceFeed(500_000n), clock);
    expect(await oracle.current()).toEqual({ usdMicrosPerIo: 500_000n, observedAt: clock.now() });
    clock.ms += 59_999;
    await oracle.current();
    expect(oracle.fetches).toBe(1);
    clock.ms += 1;
    expect((await oracle.current()).observedAt).toEqual(clock.now());
    expect(oracle.fetches).toBe(2);
  });

  it('keeps the last price through a failing feed for a while, then refuses', async () => {
    const clock = new ManualClock(0);
    let fail = false;
    const feed: IoPriceFeed = { fetchUsdMicrosPerIo: () => (fail ? Promise.reject(new Error('feed down')) : Promise.resolve(700_000n)) };
    const oracle = new IoPriceOracle(feed, clock, 60_000, 300_000);
    await oracle.current();
    fail = true;
    clock.ms = 120_000;
    expect((await oracle.current()).usdMicrosPerIo).toBe(700_000n);
    clock.ms = 300_000;
    await expect(oracle.current()).rejects.toThrow('feed down');
    expect(() => new FixedIoPriceFeed(0n)).toThrow(RangeError);
  });
});
