import { describe, expect, it } from 'vitest';
import { defaultWatchdogMs } from '../../../src/kube/watcher.js';

describe('the watch watchdog default', () => {
  // It was 330 s beside a 300 s timeout asked with up to 10% jitter (330 s): a watch of a type
  // nobody changed (GRPCRoutes in the scale bench) was declared idle as the server ended it.
  it('leaves the server time to end the longest watch it was asked for', () => {
    for (const timeoutSeconds of [1, 60, 300]) {
      const longestAsked = Math.round(timeoutSeconds * 1.1) * 1000;
      expect(defaultWatchdogMs(timeoutSeconds)).toBeGreaterThanOrEqual(longestAsked + 30_000);
    }
  });
});
