import { describe, expect, it } from 'vitest';
import { formatReport, passed } from '../../chaos/report.js';
import { runChaos } from '../../chaos/run.js';

/**
 * The short form of `npm run chaos` (docs/chaos.md): a few kills of two controller
 * replicas, one restart each of the API server and Prometheus, a few revisions of each
 * Rollout of the mix, all checked from the API server's audit log. It runs a playground of
 * its own, since it restarts parts of it; the shared one stays as it was.
 */
describe('chaos', () => {
  it('keeps every invariant through controller kills and API server and Prometheus restarts', async () => {
    const report = await runChaos({
      name: `chaos-e2e-${process.pid}`,
      // Four of its five kills hit the leader, two of them with SIGTERM (a hand-over).
      seed: 11,
      kills: 5,
      minutes: 1.25,
      apiServerRestarts: 1,
      prometheusRestarts: 1,
    });
    console.log(formatReport(report));
    const seeAbove = 'see the chaos report printed above';
    expect(report.kills, seeAbove).toHaveLength(5);
    expect(report.restarts, seeAbove).toHaveLength(2);
    expect(passed(report), seeAbove).toBe(true);
  }, 900_000);
});
