import { explain, place, rankOrder, type Candidate, type PlacementRequest } from './placement';

let seq = 0;
const device = (o: Partial<Candidate> = {}): Candidate => ({
  deviceId: `d-${String(++seq).padStart(4, '0')}`,
  supplierId: 's-1',
  gpuModel: 'H100-80GB',
  gpuCount: 8,
  vramMib: 81_920,
  countryCode: 'DE',
  region: 'eu-central',
  connectivity: 3,
  security: 2,
  source: 'data_center',
  priceUsdMicros: 2_000_000n,
  reputationBps: 9_000,
  held: false,
  ...o,
});
const request = (o: Partial<PlacementRequest> = {}): PlacementRequest => ({
  clusterType: 'ray',
  gpuModel: 'H100-80GB',
  gpuCount: 16,
  countryCodes: [],
  connectivityMin: 0,
  securityMin: 0,
  sources: [],
  ...o,
});

describe('placement', () => {
  it('given enough matching devices, when a ray cluster is placed, then a head and workers are chosen, cheapest first', () => {
    const cheap = [device({ priceUsdMicros: 1_000_000n }), device({ priceUsdMicros: 1_100_000n })];
    const dear = device({ priceUsdMicros: 5_000_000n });
    const result = place([dear, ...cheap], request());
    expect(result.placed).toBe(true);
    if (!result.placed) return;
    expect(result.devices.map((d) => d.deviceId).sort()).toEqual(cheap.map((d) => d.deviceId).sort());
    expect(result.devices.filter((d) => d.role === 'head')).toHaveLength(1);
    expect(result.devices.filter((d) => d.role === 'worker')).toHaveLength(1);
  });

  it('given a ray request, when one location holds it, then it is placed in that location even past cheaper devices elsewhere', () => {
    const us = [device({ countryCode: 'US', region: 'us-east', priceUsdMicros: 1_000_000n, connectivity: 3 })];
    const de = [device({ connectivity: 3, priceUsdMicros: 1_500_000n }), device({ connectivity: 3, priceUsdMicros: 1_600_000n })];
    const result = place([...us, ...de], request());
    expect(result.placed && result.devices.every((d) => d.countryCode === 'DE')).toBe(true);
  });

  it('given a ray request, when devices differ in connectivity, then the best connected are preferred and one of them heads', () => {
    const fast = device({ connectivity: 4, priceUsdMicros: 3_000_000n });
    const slow = [device({ connectivity: 1, priceUsdMicros: 1_000_000n }), device({ connectivity: 1, priceUsdMicros: 1_000_000n })];
    const result = place([...slow, fast], request({ gpuCount: 16 }));
    expect(result.placed).toBe(true);
    if (!result.placed) return;
    expect(result.devices.find((d) => d.role === 'head')!.deviceId).toBe(fast.deviceId);
  });

  it('given held devices, when placed, then they are never chosen', () => {
    const held = device({ held: true, priceUsdMicros: 1n });
    const free = [device(), device()];
    const result = place([held, ...free], request());
    expect(result.placed && result.devices.some((d) => d.deviceId === held.deviceId)).toBe(false);
  });

  it('given a request smaller than a device, when a smaller device exists, then no GPUs are wasted', () => {
    const big = device({ gpuCount: 8, priceUsdMicros: 1_000_000n });
    const small = device({ gpuCount: 2, priceUsdMicros: 2_000_000n });
    const result = place([big, small], request({ gpuCount: 2, clusterType: 'container' }));
    expect(result.placed && result.devices.map((d) => d.deviceId)).toEqual([small.deviceId]);
  });

  it('given only larger devices, when placed, then the smallest device that covers the gap is taken', () => {
    const eight = device({ gpuCount: 8 });
    const four = device({ gpuCount: 4, priceUsdMicros: 9_000_000n });
    const result = place([eight, four], request({ gpuCount: 3, clusterType: 'kubernetes' }));
    expect(result.placed && result.devices.map((d) => [d.deviceId, d.role])).toEqual([[four.deviceId, 'node']]);
  });

  it('given mega-ray, when placed, then every matching GPU is taken', () => {
    const all = [device(), device(), device({ gpuModel: 'A100-80GB' })];
    const result = place(all, request({ clusterType: 'mega_ray', gpuCount: 1 }));
    expect(result.placed && result.devices).toHaveLength(2);
  });

  it('given a model class, when placed, then every model of the class qualifies', () => {
    const result = place([device({ gpuModel: 'A100-40GB', gpuCount: 4 }), device({ gpuModel: 'A100-80GB', gpuCount: 4 })], request({ gpuModel: 'A100*', gpuCount: 8 }));
    expect(result.placed && result.devices).toHaveLength(2);
  });

  it('given filters that leave too few GPUs, when placed, then the explain counts each filter in order', () => {
    const all = [
      device({ countryCode: 'US' }),
      device({ connectivity: 1 }),
      device({ security: 1 }),
      device({ source: 'individual' }),
      device({ priceUsdMicros: 9_000_000n }),
      device({ held: true }),
      device({ gpuModel: 'RTX-4090' }),
      device(),
    ];
    const result = place(all, request({ countryCodes: ['DE'], connectivityMin: 3, securityMin: 2, sources: ['data_center'], maxPriceUsdMicros: 3_000_000n }));
    expect(result.placed).toBe(false);
    if (result.placed) return;
    expect(result.explain.steps.map((s) => [s.filter, s.devicesLeft])).toEqual([
      ['cluster_ready', 8],
      ['gpuModel', 7],
      ['not_reserved', 6],
      ['countryCodes', 5],
      ['connectivityTier', 4],
      ['securityTier', 3],
      ['sources', 2],
      ['maxPricePerGpuHour', 1],
    ]);
    expect(result.explain.gpusRequested).toBe(16);
  });

  it('given a request a relaxed filter would place, when unmatchable, then each nearest alternative is offered', () => {
    const all = [device({ countryCode: 'US', region: 'us' }), device({ countryCode: 'US', region: 'us' }), device({ connectivity: 2, security: 1, source: 'mining_farm', priceUsdMicros: 4_000_000n })];
    const r = request({ countryCodes: ['DE'], connectivityMin: 3, securityMin: 2, sources: ['data_center'], maxPriceUsdMicros: 3_000_000n, gpuCount: 16 });
    const e = explain(all, r);
    const byChange = Object.fromEntries(e.alternatives.map((a) => [a.change, a.value]));
    expect(byChange.countryCodes).toEqual(['US']);
    expect(e.alternatives.find((a) => a.change === 'gpuCount')).toBeUndefined();
    const priced = explain([device({ priceUsdMicros: 4_000_000n }), device({ priceUsdMicros: 5_000_000n }), device({ priceUsdMicros: 7_000_000n })], request({ maxPriceUsdMicros: 3_000_000n }));
    expect(priced.alternatives).toContainEqual({ change: 'maxPricePerGpuHour', value: '5000000', gpusAvailable: 16 });
    const fewer = explain([device()], request({ gpuCount: 16 }));
    expect(fewer.alternatives).toContainEqual({ change: 'gpuCount', value: 8, gpusAvailable: 8 });
    const tiers = explain([device({ connectivity: 2, security: 1 }), device({ connectivity: 2, security: 1 })], request({ connectivityMin: 3 }));
    expect(tiers.alternatives).toContainEqual({ change: 'connectivityTier', value: 'medium', gpusAvailable: 16 });
    const secure = explain([device({ security: 1 }), device({ security: 1 })], request({ securityMin: 2 }));
    expect(secure.alternatives).toContainEqual({ change: 'securityTier', value: 'standard', gpusAvailable: 16 });
    const sourced = explain([device({ source: 'individual' }), device({ source: 'individual' })], request({ sources: ['data_center'] }));
    expect(sourced.alternatives).toContainEqual({ change: 'sources', value: [], gpusAvailable: 16 });
  });
});

describe('placement on a ranked index', () => {
  it('given candidates already in rank order, when placed with ranked, then the result is the unranked placement', () => {
    const countries = ['DE', 'NL', 'US'];
    for (let round = 0; round < 50; round++) {
      const all = Array.from({ length: 60 }, (_, i) =>
        device({
          gpuCount: [1, 2, 4, 8][(i * 7 + round) % 4]!,
          countryCode: countries[(i + round) % 3]!,
          region: `r${(i * 5 + round) % 2}`,
          connectivity: 1 + ((i * 3 + round) % 4),
          priceUsdMicros: BigInt(1_000_000 + ((i * 7919 + round * 104_729) % 50) * 10_000),
          held: (i + round) % 11 === 0,
        }),
      );
      for (const clusterType of ['ray', 'container', 'mega_ray'] as const) {
        const r = request({ clusterType, gpuCount: 5 + (round % 40), connectivityMin: round % 3 });
        const ranked = [...all].sort(rankOrder(clusterType));
        expect(place(ranked, r, { ranked: true })).toEqual(place(all, r));
      }
    }
  });
});
