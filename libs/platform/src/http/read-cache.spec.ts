import { ReadCache } from './read-cache';

const body = (text: string) => Buffer.from(text);

describe('ReadCache', () => {
  it('answers what was stored in the same epoch, and nothing once the epoch moved', () => {
    const cache = new ReadCache(100_000);
    expect(cache.get('a', 1)).toBeUndefined();
    cache.set('a', body('page a'), 1, 1);
    expect(cache.get('a', 1)?.toString()).toBe('page a');
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 2)).toBeUndefined();
    // The move dropped every entry: going back to an old number finds nothing either.
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not keep an answer computed while the epoch moved, or when it is unknown', () => {
    const cache = new ReadCache(100_000);
    cache.get('a', 1);
    cache.set('a', body('old'), 1, 2);
    expect(cache.get('a', 1)).toBeUndefined();
    cache.set('a', body('old'), 1, undefined);
    expect(cache.get('a', 1)).toBeUndefined();
    // Computed in epoch 1, stored after the cache itself moved to 2.
    cache.get('x', 2);
    cache.set('a', body('old'), 1, 1);
    expect(cache.get('a', 2)).toBeUndefined();
  });

  it('stays within its bytes, keys and overhead included, dropping the oldest entries, and skips answers too large to keep', () => {
    // An entry of key 'a' and 4 bytes of body costs 4 + 2 + 160 = 166 bytes.
    const cache = new ReadCache(400, 200);
    cache.get('', 1);
    cache.set('a', body('aaaa'), 1, 1);
    cache.set('b', body('bbbb'), 1, 1);
    cache.set('c', body('cccc'), 1, 1);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)?.toString()).toBe('bbbb');
    expect(cache.get('c', 1)?.toString()).toBe('cccc');
    expect(cache.sizeBytes).toBe(332);
    cache.set('big', body('x'.repeat(40)), 1, 1);
    expect(cache.get('big', 1)).toBeUndefined();
    // Replacing an entry counts its bytes once.
    cache.set('c', body('cc'), 1, 1);
    expect(cache.sizeBytes).toBe(330);
    // Many distinct URLs with tiny answers: the count stays bounded by the bytes.
    const many = new ReadCache(10_000);
    many.get('', 1);
    for (let i = 0; i < 1_000; i++) many.set(`/v1/devices?gpuModel=m${i}`, body('{"items":[]}'), 1, 1);
    expect(many.size).toBeLessThanOrEqual(Math.floor(10_000 / 160));
    expect(many.sizeBytes).toBeLessThanOrEqual(10_000);
  });
});
