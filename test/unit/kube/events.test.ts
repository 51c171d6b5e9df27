import { describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/kube/api-server.js';
import { EventRecorder } from '../../../src/kube/events.js';

const involved = { apiVersion: 'v1', kind: 'Rollout', namespace: 'prod', name: 'api', uid: 'u' };

describe('EventRecorder', () => {
  // An API server that takes Events but never answers: what waits must stay bounded.
  it('drops an Event once 4 are in flight and 10,000 wait, instead of holding more', async () => {
    const sent: string[] = [];
    const api = {
      request: (method: string, path: string) => {
        sent.push(`${method} ${path}`);
        return new Promise(() => {});
      },
    } as unknown as ApiServer;
    const recorder = new EventRecorder(api);
    for (let i = 0; i < 10_004; i++) void recorder.record(involved, 'Normal', 'Step', `${i}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(4);
    expect(await recorder.record(involved, 'Normal', 'Step', 'one too many')).toBe(false);
  });

  it('never throws, and a failure past its own catch still frees the slot for the next Event', async () => {
    const api = {
      request: async () => {
        throw new Error('refused');
      },
    } as unknown as ApiServer;
    const throwingLogger = {
      warn: () => {
        throw new Error('the log is gone');
      },
    };
    const recorder = new EventRecorder(api, { logger: throwingLogger as never });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => recorder.record(involved, 'Normal', 'Step', `${i}`)),
    );
    expect(outcomes).toEqual(Array(10).fill(false));
    const quiet = new EventRecorder(api);
    const notText = { length: 5_000 } as unknown as string;
    expect(await quiet.record(involved, 'Normal', 'Step', notText)).toBe(false);
  });
});
