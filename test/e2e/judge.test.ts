import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/api/types.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  appManifest,
  finished,
  rolloutManifest,
  waitForStatus,
  waitInitialized,
} from './support/rollout.js';
import { controllerSuite } from './support/suite.js';

/**
 * The statistical judge on the playground: the canary's median latency against the
 * primary's, sampled every 3 s over 15 s (5 samples per side, the fewest the default 0.98
 * confidence can use), beside the usual fixed bounds (success rate >= 99, p99 <= 500 ms).
 */

const suite = controllerSuite('judge', ['slower', 'same', 'errors']);
const ns = suite.ns;

const latencyJudge = {
  step: '3s',
  window: '15s',
  // Three scrapes of the playground's 2 s: a rate that never misses a step.
  metrics: [{ name: 'request-duration', quantile: 0.5, interval: '6s' }],
};

/** Given an app answering in 40 ms and its judged Rollout, initialized, under traffic. */
async function givenJudged(
  scenario: string,
  threshold: number,
  { judge = latencyJudge as Record<string, unknown>, errorRate = 0, successRateMin = 99 } = {},
) {
  const namespace = ns(scenario);
  const name = 'podinfo';
  await kubectlApply(appManifest({ name, namespace, latencyMs: 40, errorRate }));
  await kubectlApply(
    rolloutManifest({ name, namespace, interval: '5s', threshold, judge, successRateMin }),
  );
  await waitInitialized(namespace, name);
  suite.traffic(
    [`http://${name}.${namespace}:8080/`, `http://${name}-canary.${namespace}:8080/`],
    10,
  );
  return { namespace, name, statuses: [] as RolloutStatus[] };
}

describe.concurrent('the statistical judge', () => {
  it('rolls back a canary 2.5 times slower than the primary, though under the fixed p99 bound', async () => {
    const d = await givenJudged('slower', 6);
    await kubectl(['-n', d.namespace, 'set', 'env', `deployment/${d.name}`, 'LATENCY_MS=100']);
    const done = await waitForStatus(d.namespace, d.name, 'to fail', finished, d.statuses);
    expect(done.phase, done.message).toBe('Failed');
    expect(done.conditions?.find((c) => c.type === 'Promoted')?.status).toBe('False');
    const fixedBound = d.statuses
      .flatMap((s) => s.lastAnalysis ?? [])
      .filter((m) => m.metric === 'request-duration' && m.value !== undefined);
    expect(fixedBound.length).toBeGreaterThan(0);
    for (const result of fixedBound) expect(result.passed, JSON.stringify(result)).toBe(true);
    const judged = d.statuses.map((s) => s.lastJudgement).filter((j) => j?.result === 'Fail');
    expect(judged.length, done.message).toBeGreaterThan(0);
    const metric = judged.at(-1)?.metrics[0];
    expect(metric).toMatchObject({ name: 'request-duration', classification: 'High' });
    expect((metric?.canaryMedian ?? 0) / (metric?.primaryMedian ?? 1)).toBeGreaterThan(1.5);
    expect(done.message).toMatch(
      /judge: judgement Fail, score 0 .*request-duration is High: canary median [\d.]+ vs baseline median [\d.]+, shift \+[\d.]+ \([\d.]+% interval \+[\d.]+ to \+[\d.]+\)/,
    );
  });

  it('rolls back a canary whose error rate doubles, though above the success-rate floor', async () => {
    // 10% of the primary's answers fail, 20% of the canary's: both above the floor of 70%.
    // Ten samples per side, as a success rate per step is noisier than a latency.
    const d = await givenJudged('errors', 8, {
      errorRate: 0.1,
      successRateMin: 70,
      judge: {
        step: '3s',
        window: '30s',
        metrics: [{ name: 'request-success-rate', interval: '6s' }],
      },
    });
    await kubectl(['-n', d.namespace, 'set', 'env', `deployment/${d.name}`, 'ERROR_RATE=0.2']);
    const done = await waitForStatus(d.namespace, d.name, 'to fail', finished, d.statuses);
    expect(done.phase, done.message).toBe('Failed');
    const floor = d.statuses
      .flatMap((s) => s.lastAnalysis ?? [])
      .filter((m) => m.metric === 'request-success-rate' && m.value !== undefined);
    expect(floor.length).toBeGreaterThan(0);
    for (const result of floor) expect(result.passed, JSON.stringify(result)).toBe(true);
    const metric = d.statuses
      .map((s) => s.lastJudgement)
      .filter((j) => j?.result === 'Fail')
      .at(-1)?.metrics[0];
    expect(metric).toMatchObject({ name: 'request-success-rate', classification: 'Low' });
    expect(done.message).toMatch(
      /request-success-rate is Low: canary median [\d.]+ vs baseline median [\d.]+, shift -[\d.]+/,
    );
  });

  it('promotes a canary as fast as the primary', async () => {
    const d = await givenJudged('same', 10);
    await kubectl([
      '-n',
      d.namespace,
      'set',
      'image',
      `deployment/${d.name}`,
      'app=fledge/demo:2.0.0',
    ]);
    const done = await waitForStatus(d.namespace, d.name, 'to succeed', finished, d.statuses);
    expect(done.phase, done.message).toBe('Succeeded');
    const passes = d.statuses.map((s) => s.lastJudgement).filter((j) => j?.result === 'Pass');
    expect(passes.length).toBeGreaterThan(0);
    expect(passes.at(-1)?.metrics[0]).toMatchObject({ classification: 'Pass' });
  });
});
