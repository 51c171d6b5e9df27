import { describe, expect, it } from 'vitest';
import { sharingWith } from '../../../src/kube/structural-sharing.js';

const entry = (n: number) => ({ at: `2026-12-05T00:00:0${n}Z`, reason: 'WeightChanged', n });

describe('sharingWith', () => {
  it('returns the previous object itself when nothing changed', () => {
    const previous = { spec: { a: [1, 2] }, status: { phase: 'Progressing' } };
    expect(sharingWith(previous, structuredClone(previous))).toBe(previous);
  });

  it('shares the unchanged parts of a changed object and keeps the changed ones', () => {
    const previous = { spec: { a: [1, 2] }, status: { phase: 'Progressing', weight: 10 } };
    const next = { spec: { a: [1, 2] }, status: { phase: 'Progressing', weight: 20 } };
    const shared = sharingWith(previous, structuredClone(next));
    expect(shared).toEqual(next);
    expect(shared).not.toBe(previous);
    expect(shared.spec).toBe(previous.spec);
    expect(shared.status).not.toBe(previous.status);
  });

  it('keeps the entries of an appended history from the previous version', () => {
    const previous = { history: [entry(1), entry(2)] };
    const next = structuredClone({ history: [entry(1), entry(2), entry(3)] });
    const shared = sharingWith(previous, next);
    expect(shared.history[0]).toBe(previous.history[0]);
    expect(shared.history[1]).toBe(previous.history[1]);
    expect(shared.history[2]).toBe(next.history[2]);
  });

  it('still shares a history at its cap, whose entries moved down by the ones dropped', () => {
    const previous = { history: [entry(1), entry(2), entry(3)] };
    const next = structuredClone({ history: [entry(2), entry(3), entry(4)] });
    const shared = sharingWith(previous, next);
    expect(shared).toEqual(next);
    expect(shared.history[0]).toBe(previous.history[1]);
    expect(shared.history[1]).toBe(previous.history[2]);
  });

  it('notices removed keys, shorter arrays and a changed type', () => {
    const previous = { a: 1, b: 2, list: [1, 2, 3], nested: { x: 1 } };
    expect(sharingWith(previous, { a: 1 })).toEqual({ a: 1 });
    expect(sharingWith(previous, { a: 1, b: 2, list: [1, 2], nested: { x: 1 } })).toEqual({
      a: 1,
      b: 2,
      list: [1, 2],
      nested: { x: 1 },
    });
    expect(sharingWith(previous, { a: 1, b: 2, list: [1, 2, 3], nested: [1] })).toEqual({
      a: 1,
      b: 2,
      list: [1, 2, 3],
      nested: [1],
    });
    expect(sharingWith(previous, { a: 1, c: 2, list: [1, 2, 3], nested: { x: 1 } })).toEqual({
      a: 1,
      c: 2,
      list: [1, 2, 3],
      nested: { x: 1 },
    });
  });

  it('takes what it is given when there is nothing before it', () => {
    const next = { a: 1 };
    expect(sharingWith(undefined, next)).toBe(next);
  });
});
