import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigHashes } from '../../../src/controller/config-hashes.js';
import type { ConfigRef } from '../../../src/controller/reference-index.js';
import { waitFor } from '../../support/wait.js';

/** Waits until `holds` is true. */
const until = (what: string, holds: () => boolean) =>
  waitFor(what, async () => holds() || undefined, { timeoutMs: 10_000, intervalMs: 2 });

const ref: ConfigRef = { kind: 'Secret', namespace: 'prod', name: 'key' };

/** A ConfigHashes over an in-memory store of objects: resourceVersion and digest by name. */
function hashesOver(store: Map<string, { resourceVersion: string; hash: string }>) {
  const reads: string[] = [];
  const changes: string[] = [];
  let failNext = 0;
  const hashes = new ConfigHashes({
    read: async (wanted) => {
      reads.push(wanted.name);
      if (failNext > 0) {
        failNext--;
        throw new Error('connection refused');
      }
      return store.get(wanted.name) ?? null;
    },
    changed: (changed) => changes.push(changed.name),
    log: pino({ level: 'silent' }),
    backoffInitialMs: 10,
    backoffMaxMs: 20,
  });
  return { hashes, reads, changes, fail: (n: number) => (failNext = n) };
}

describe('ConfigHashes', () => {
  it('reads an object when its first reader retains it, and tells of its digest', async () => {
    const store = new Map([['key', { resourceVersion: '1', hash: 'h1' }]]);
    const { hashes, reads, changes } = hashesOver(store);
    expect(hashes.get(ref)).toBeUndefined();
    hashes.retain(ref);
    hashes.retain(ref);
    await until('the read', () => hashes.get(ref) === 'h1');
    expect(reads).toEqual(['key']);
    expect(changes).toEqual(['key']);
    hashes.stop();
  });

  it('knows an absent object as null, so its readers are not held back', async () => {
    const { hashes } = hashesOver(new Map());
    hashes.retain(ref);
    await until('the read', () => hashes.get(ref) === null);
    hashes.stop();
  });

  it('reads again only when the watch reports another resourceVersion, and tells only of a new digest', async () => {
    const store = new Map([['key', { resourceVersion: '1', hash: 'h1' }]]);
    const { hashes, reads, changes } = hashesOver(store);
    hashes.retain(ref);
    await until('the first read', () => hashes.get(ref) === 'h1');
    hashes.observed(ref, '1');
    store.set('key', { resourceVersion: '2', hash: 'h1' });
    hashes.observed(ref, '2');
    await until('the second read', () => reads.length === 2);
    store.set('key', { resourceVersion: '3', hash: 'h2' });
    hashes.observed(ref, '3');
    await until('the new digest', () => hashes.get(ref) === 'h2');
    expect(reads).toHaveLength(3);
    expect(changes).toEqual(['key', 'key']);
    hashes.stop();
  });

  it('ignores objects no target reads', async () => {
    const { hashes, reads } = hashesOver(new Map());
    hashes.observed(ref, '5');
    hashes.deleted(ref);
    hashes.listed('Secret', 'prod', []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toEqual([]);
    expect(hashes.size).toBe(0);
  });

  it('learns of a deletion from a list that lacks the object', async () => {
    const store = new Map([['key', { resourceVersion: '1', hash: 'h1' }]]);
    const { hashes } = hashesOver(store);
    hashes.retain(ref);
    await until('the read', () => hashes.get(ref) === 'h1');
    store.delete('key');
    hashes.listed('Secret', 'other', []);
    hashes.listed('ConfigMap', 'prod', []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(hashes.get(ref)).toBe('h1');
    hashes.listed('Secret', 'prod', []);
    await until('the deletion', () => hashes.get(ref) === null);
    hashes.stop();
  });

  it('retries a failed read with a backoff', async () => {
    const store = new Map([['key', { resourceVersion: '1', hash: 'h1' }]]);
    const { hashes, reads, fail } = hashesOver(store);
    fail(2);
    hashes.retain(ref);
    await until('the read after two failures', () => hashes.get(ref) === 'h1');
    expect(reads).toHaveLength(3);
    hashes.stop();
  });

  it('forgets an object with its last reader', async () => {
    const store = new Map([['key', { resourceVersion: '1', hash: 'h1' }]]);
    const { hashes } = hashesOver(store);
    hashes.retain(ref);
    hashes.retain(ref);
    await until('the read', () => hashes.get(ref) === 'h1');
    hashes.release(ref);
    expect(hashes.get(ref)).toBe('h1');
    hashes.release(ref);
    expect(hashes.get(ref)).toBeUndefined();
    expect(hashes.size).toBe(0);
  });

  it('keeps at most `concurrency` reads in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const hashes = new ConfigHashes({
      read: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return { resourceVersion: '1', hash: 'h' };
      },
      changed: () => {},
      log: pino({ level: 'silent' }),
      concurrency: 3,
    });
    const refs = Array.from({ length: 20 }, (_, i): ConfigRef => ({ ...ref, name: `s${i}` }));
    for (const each of refs) hashes.retain(each);
    await until('every read', () => refs.every((each) => hashes.get(each) === 'h'));
    expect(most).toBe(3);
    hashes.stop();
  });
});
