import { jobConcurrency } from './leasing.module';

describe('leasing job concurrency', () => {
  it('never runs more jobs than the pool has pairs of connections for, leaving two for the API and consumers', () => {
    expect(jobConcurrency({ LEASING_DISPATCH_CONCURRENCY: 32, DATABASE_POOL_MAX: 20 })).toBe(9);
    expect(jobConcurrency({ LEASING_DISPATCH_CONCURRENCY: 4, DATABASE_POOL_MAX: 20 })).toBe(4);
    expect(jobConcurrency({ LEASING_DISPATCH_CONCURRENCY: 32, DATABASE_POOL_MAX: 2 })).toBe(1);
  });
});
