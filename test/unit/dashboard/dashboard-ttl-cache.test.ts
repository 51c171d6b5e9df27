import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../../src/dashboard/ttl-cache.js';

describe('TtlCache', () => {
  it('forgets an entry once its time is up', () => {
    let now = 0;
    const cache = new TtlCache<string>(10, 1000, () => now);
    cache.set('a', 'x');
    now = 999;
    expect(cache.get('a')).toBe('x');
    now = 1000;
    expect(cache.get('a')).toBeUndefined();
  });

  it('never holds more than its capacity, the least recently set going first', () => {
    const cache = new TtlCache<number>(2, 60_000);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(3);
    expect(cache.get('c')).toBe(4);
  });

  it('holds null as an answer, apart from a missing entry', () => {
    const cache = new TtlCache<string | null>(2, 60_000);
    cache.set('allowed', null);
    expect(cache.get('allowed')).toBeNull();
    expect(cache.get('unknown')).toBeUndefined();
  });
});
