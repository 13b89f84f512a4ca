import type { Clock } from '@ionet/platform';

/** Where the IO price comes from: a market feed in production, a fixed price in development. */
export interface IoPriceFeed {
  /** USDC base units (micro-dollars) per whole IO. */
  fetchUsdMicrosPerIo(): Promise<bigint>;
}

export class FixedIoPriceFeed implements IoPriceFeed {
  constructor(private readonly usdMicrosPerIo: bigint) {
    if (usdMicrosPerIo <= 0n) throw new RangeError('the IO price must be positive');
  }

  fetchUsdMicrosPerIo(): Promise<bigint> {
    return Promise.resolve(this.usdMicrosPerIo);
  }
}

export interface IoPrice {
  usdMicrosPerIo: bigint;
  /** When the feed was read, on the service's clock. */
  observedAt: Date;
}

/** The oracle billing prices IO escrows with: the feed's price, read again once it is older than
 *  `refreshMs` on the service's clock (every minute by default, DOMAIN.md). A feed that fails keeps
 *  the last price for at most `staleAfterMs`, then the oracle refuses (a fault: the caller retries). */
export class IoPriceOracle {
  private last: IoPrice | undefined;
  private inFlight: Promise<IoPrice> | undefined;
  fetches = 0;

  constructor(
    private readonly feed: IoPriceFeed,
    private readonly clock: Clock,
    private readonly refreshMs = 60_000,
    private readonly staleAfterMs = 10 * 60_000,
  ) {}

  async current(): Promise<IoPrice> {
    const now = this.clock.now();
    if (this.last && now.getTime() - this.last.observedAt.getTime() < this.refreshMs) return this.last;
    this.inFlight ??= this.refresh(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async refresh(now: Date): Promise<IoPrice> {
    try {
      this.fetches++;
      const usdMicrosPerIo = await this.feed.fetchUsdMicrosPerIo();
      if (usdMicrosPerIo <= 0n) throw new RangeError(`the IO price feed answered ${usdMicrosPerIo}`);
      this.last = { usdMicrosPerIo, observedAt: now };
      return this.last;
    } catch (err) {
      if (this.last && now.getTime() - this.last.observedAt.getTime() < this.staleAfterMs) return this.last;
      throw err;
    }
  }
}
