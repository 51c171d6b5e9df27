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
});
