import { describe, expect, it } from 'vitest';
import { supersededBy } from '../../../src/controller/fence.js';
import {
  fairShare,
  mayTakeShard,
  shardLeaseName,
  shardOf,
  shardToRelease,
  stableHash,
} from '../../../src/controller/shards.js';

describe('the shard of a Rollout', () => {
  it('is FNV-1a of namespace/name, the same on every replica and version', () => {
    // Reference values of 32-bit FNV-1a.
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
    expect(shardOf('production/api', 6)).toBe(stableHash('production/api') % 6);
  });

  it('hashes the UTF-8 bytes, so a non-ASCII name maps alike everywhere', () => {
    expect(stableHash('é')).not.toBe(stableHash('\u00e9'.normalize('NFD')));
    expect(stableHash('ns/é')).toBe(stableHash('ns/\u00e9'));
  });

  it('is always 0 with one shard', () => {
    expect(shardOf('any/thing', 1)).toBe(0);
    expect(shardOf('other/thing', 0)).toBe(0);
  });

  it.each([2, 3, 6, 16, 64])(
    'spreads 10,000 names over %i shards as evenly as a uniform draw would',
    (shards) => {
      const counts = new Array<number>(shards).fill(0);
      for (let i = 0; i < 10_000; i++) {
        const key = `team-${i % 97}/service-${i}`;
        const shard = shardOf(key, shards);
        counts[shard] = (counts[shard] ?? 0) + 1;
      }
      const even = 10_000 / shards;
      // Four standard deviations of a binomial count: 6 shards ±10%, 64 shards ±32%.
      const bound = (4 * Math.sqrt(even * (1 - 1 / shards))) / even;
      for (const count of counts) expect(Math.abs(count - even) / even).toBeLessThan(bound);
      // And far tighter over the whole: the squared deviations of a fair spread.
      const chiSquare = counts.reduce((sum, count) => sum + (count - even) ** 2 / even, 0);
      expect(chiSquare).toBeLessThan(shards + 4 * Math.sqrt(2 * shards));
    },
  );
});

describe('shard Lease names', () => {
  it.each([
    ['fledge-controller', 0, 1, 'fledge-controller'],
    ['fledge-controller', 0, 6, 'fledge-controller-shard-0'],
    ['fledge-controller', 5, 6, 'fledge-controller-shard-5'],
  ])('%s, shard %i of %i: %s', (base, shard, shards, name) => {
    expect(shardLeaseName(base, shard, shards)).toBe(name);
  });
});

describe('fair share', () => {
  it.each([
    // shards, replicas, share
    [6, 1, 6],
    [6, 2, 3],
    [6, 3, 2],
    [6, 4, 2],
    [6, 6, 1],
    [6, 8, 1],
    [7, 3, 3],
    [1, 3, 1],
    [6, 0, 6],
  ])('%i shards over %i replicas: %i each at most', (shards, replicas, share) => {
    expect(fairShare(shards, replicas)).toBe(share);
    // Every shard has a replica that may hold it.
    expect(share * Math.max(1, replicas)).toBeGreaterThanOrEqual(shards);
  });
});

describe('taking a free shard', () => {
  const grace = 800;
  it.each([
    // what happened, held, shards, replicas seen, free for (ms), may take
    ['alone at start: takes every shard', [], 6, 1, 0, true],
    ['one of three at start, under its share', [0], 6, 3, 0, true],
    ['at its share, when a peer released one', [0, 1], 6, 3, 0, false],
    ['at its share, the shard orphaned past the grace', [0, 1], 6, 3, grace, true],
    ['a peer died: two left, share grows to 3', [0, 1], 6, 2, 0, true],
    ['a peer died, not yet seen dead', [0, 1], 6, 3, 100, false],
    ['uneven: 7 shards over 3, share 3', [0, 1], 7, 3, 0, true],
    ['uneven: 7 shards over 3, at 3', [0, 1, 2], 7, 3, 0, false],
  ] as const)('%s', (_what, held, shards, replicas, freeFor, may) => {
    expect(mayTakeShard({ held, shards, replicas }, freeFor, grace)).toBe(may);
  });
});

describe('releasing a shard above the fair share', () => {
  it.each([
    // what happened, held, shards, replicas seen, shard to release
    ['alone: keeps all', [0, 1, 2, 3, 4, 5], 6, 1, undefined],
    ['a second replica joined', [0, 1, 2, 3, 4, 5], 6, 2, 5],
    ['a third joined, at 3 of share 2', [0, 2, 4], 6, 3, 4],
    ['at its share', [1, 3], 6, 3, undefined],
    ['under its share', [1], 6, 3, undefined],
    ['uneven: 7 over 3, at 3', [0, 3, 6], 7, 3, undefined],
    ['uneven: 7 over 3, at 4', [0, 3, 5, 6], 7, 3, 6],
    ['more replicas than shards', [2, 4], 3, 5, 4],
  ] as const)('%s', (_what, held, shards, replicas, release) => {
    expect(shardToRelease({ held, shards, replicas })).toBe(release);
  });
});

describe('fencing by a status stamp across shards', () => {
  it.each([
    ['same leader Lease, newer term', { identity: 'b', term: 4 }, { identity: 'a', term: 3 }, true],
    [
      'same leader Lease, older term',
      { identity: 'b', term: 2 },
      { identity: 'a', term: 3 },
      false,
    ],
    [
      'same shard, newer term',
      { identity: 'b@shard-2', term: 9 },
      { identity: 'a@shard-2', term: 3 },
      true,
    ],
    [
      'another shard (the shard count changed)',
      { identity: 'b@shard-1', term: 9 },
      { identity: 'a@shard-2', term: 3 },
      false,
    ],
    [
      'the leader Lease before sharding was turned on',
      { identity: 'b', term: 40 },
      { identity: 'a@shard-0', term: 0 },
      false,
    ],
    ['no term (no leader election)', { identity: 'b' }, { identity: 'a', term: 0 }, false],
  ] as const)('%s: superseded %s', (_what, stored, mine, superseded) => {
    expect(supersededBy(stored, mine)).toBe(superseded);
  });
});
