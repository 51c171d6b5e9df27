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

  it('keeps what lies deeper than it compares as received, without overflowing the stack', () => {
    const deep = (levels: number, leaf: unknown) => {
      let value: unknown = leaf;
      for (let i = 0; i < levels; i++) value = { inner: value };
      return value as Record<string, unknown>;
    };
    const previous = { machine: deep(10_000, 1), history: [deep(10_000, 1)] };
    const next = { machine: deep(10_000, 2), history: [deep(10_000, 1)] };
    const shared = sharingWith(previous, next);
    const down = (value: unknown, levels: number) => {
      let at = value as { inner: unknown };
      for (let i = 0; i < levels; i++) at = at.inner as { inner: unknown };
      return at;
    };
    // Past the depth it compares, the received parts themselves.
    expect(down(shared.machine, 100)).toBe(down(next.machine, 100));
    expect(down(shared.history[0], 100)).toBe(down(next.history[0], 100));
    expect(down(shared.machine, 9_999)).toEqual({ inner: 2 });
  });

  it('shares plain objects only, and keeps a key named __proto__ as a field', () => {
    const date = new Date(0);
    expect(sharingWith({ a: date }, { a: {} })).toEqual({ a: {} });
    const previous = JSON.parse('{"meta":{"__proto__":{"x":1},"b":"1"}}');
    const next = JSON.parse('{"meta":{"__proto__":{"x":1},"b":"2"}}');
    const shared = sharingWith(previous, next);
    expect(Object.hasOwn(shared.meta, '__proto__')).toBe(true);
    const field = (meta: object) => Object.getOwnPropertyDescriptor(meta, '__proto__')?.value;
    expect(field(shared.meta)).toBe(field(previous.meta));
    expect(Object.getPrototypeOf(shared.meta)).toBe(Object.prototype);
    expect(shared.meta.b).toBe('2');
  });

  it('takes what it is given when there is nothing before it', () => {
    const next = { a: 1 };
    expect(sharingWith(undefined, next)).toBe(next);
  });
});
