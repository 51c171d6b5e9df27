import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/kube/api-server.js';
import { mergePatchBetween, retryOnConflict } from '../../../src/kube/patch.js';

describe('mergePatchBetween', () => {
  it('is undefined when nothing changed, so the write can be skipped', () => {
    const status = { phase: 'Progressing', conditions: [{ type: 'Promoted', status: 'Unknown' }] };
    expect(mergePatchBetween(status, structuredClone(status))).toBeUndefined();
  });

  it('sets changed fields, nulls removed ones and replaces arrays whole', () => {
    const from = {
      phase: 'Progressing',
      message: 'x',
      results: [{ a: 1 }, { a: 2 }],
      nested: { a: 1, b: 2 },
    };
    const to = { phase: 'Failed', results: [{ a: 1 }], nested: { a: 1, b: 3 } };
    expect(mergePatchBetween(from, to)).toEqual({
      phase: 'Failed',
      message: null,
      results: [{ a: 1 }],
      nested: { b: 3 },
    });
  });

  it('takes a null where the field is absent for no change: a merge patch stores null as absent', () => {
    // A machine document as restored (null fields) against the one the server holds (none).
    const stored = { phase: 'Initialized', machine: { state: 'Initialized', canaryWeight: 0 } };
    const restored = {
      phase: 'Initialized',
      machine: { state: 'Initialized', canaryWeight: 0, nextAnalysisAt: null, reason: null },
    };
    expect(mergePatchBetween(stored, restored)).toBeUndefined();
    expect(mergePatchBetween({ a: 1 }, { a: null })).toEqual({ a: null });
  });
});

describe('retryOnConflict', () => {
  const conflict = () =>
    new KubeApiError('PATCH', '/x', 409, 'Conflict', 'the object has been modified');
  const noSleep = async () => {};

  it('retries a 409 with a fresh attempt and returns the first success', async () => {
    const attempts: number[] = [];
    const result = await retryOnConflict(
      async (n) => {
        attempts.push(n);
        if (n < 3) throw conflict();
        return 'done';
      },
      { sleep: noSleep },
    );
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('gives up after the bounded attempts with advice in the message', async () => {
    await expect(
      retryOnConflict(async () => Promise.reject(conflict()), { attempts: 2, sleep: noSleep }),
    ).rejects.toThrow(/still conflicting after 2 attempts/);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await expect(
      retryOnConflict(
        async () => {
          calls++;
          throw new KubeApiError('PATCH', '/x', 422, 'Invalid', 'bad');
        },
        { sleep: noSleep },
      ),
    ).rejects.toThrow(/422/);
    expect(calls).toBe(1);
  });

  it('spreads retries with growing, jittered delays', async () => {
    const delays: number[] = [];
    await retryOnConflict(
      async (n) => {
        if (n < 4) throw conflict();
      },
      { baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays).toHaveLength(3);
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(100 * 2 ** i * 0.5);
      expect(ms).toBeLessThan(100 * 2 ** i * 1.5);
    });
  });
});
