import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { storedSlot } from '../../../src/controller/stored-slot.js';
import { machineDocument } from '../../support/machine-documents.js';

const machine = machineDocument();

/** A cached Rollout that counts how often its stored machine document is read. */
function cached(document: unknown) {
  let reads = 0;
  const status = {};
  Object.defineProperty(status, 'machine', {
    get: () => {
      reads++;
      return document;
    },
  });
  return { rollout: { metadata: {}, status } as unknown as Rollout, reads: () => reads };
}

describe('storedSlot', () => {
  it('reads the stored document once per cached Rollout object, however many passes ask', () => {
    const first = cached(machine);
    for (let pass = 0; pass < 3; pass++)
      expect(storedSlot(first.rollout)).toEqual({ kind: 'holding' });
    expect(first.reads()).toBe(1);
    // The watch replaces the object on a change: the new version is read.
    const next = cached({ ...machine, state: 'Succeeded', phase: 'Succeeded' });
    expect(storedSlot(next.rollout)).toEqual({ kind: 'none' });
    expect(next.reads()).toBe(1);
  });

  it('holds no slot for a document fledge cannot read', () => {
    expect(storedSlot(cached({ version: 0 }).rollout)).toEqual({ kind: 'none' });
    expect(storedSlot(cached(undefined).rollout)).toEqual({ kind: 'none' });
  });
});
