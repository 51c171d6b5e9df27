import { describe, expect, it } from 'vitest';
import { GRANT_TTL_MS, MAX_GRANTS, readGrants } from '../../../src/controller/slot-ledger.js';

describe('readGrants', () => {
  const now = 1_000_000;

  it('reads the grants younger than their time to live', () => {
    const text = JSON.stringify({
      'a/x': [now - 1_000, 5],
      'b/y': [now - GRANT_TTL_MS - 1, 6],
      'c/z': [now, null],
    });
    expect([...readGrants(text, now)]).toEqual([
      ['a/x', { at: now - 1_000, queuedAt: 5 }],
      ['c/z', { at: now, queuedAt: null }],
    ]);
  });

  it.each([
    ['no annotation', undefined],
    ['not JSON', '{"a/x":'],
    ['an array', '[["a/x", 1]]'],
    ['null', 'null'],
  ])('reads %s as no grant', (_, text) => {
    expect(readGrants(text, now).size).toBe(0);
  });

  it('leaves out entries that are not a namespace/name and a time', () => {
    const text = JSON.stringify({
      'a/x': [now, 1],
      'no-slash': [now, 1],
      'a/b/c': [now, 1],
      'a/ x': [now, 1],
      'b/y': ['soon', 1],
      'c/z': null,
      'd/w': now,
      'e/v': [now, 'then'],
      'f/u': [now, 1, 2],
    });
    expect([...readGrants(text, now).keys()]).toEqual(['a/x']);
  });

  it(`holds at most ${MAX_GRANTS} grants, whatever the annotation says`, () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_GRANTS + 50 }, (_, i) => [`ns/r${i}`, [now, i]]),
    );
    expect(readGrants(JSON.stringify(many), now).size).toBe(MAX_GRANTS);
  });
});
