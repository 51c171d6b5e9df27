import { describe, expect, it } from 'vitest';
import { classifyMetric, type MetricRule } from '../../../src/judge/classify.js';

const rule = (overrides: Partial<MetricRule> = {}): MetricRule => ({
  name: 'latency',
  direction: 'either',
  critical: false,
  effectSize: [1, 1],
  criticalEffectSize: [1, 1],
  confidence: 0.98,
  tolerance: 0.25,
  nanStrategy: 'remove',
  outlierFactor: undefined,
  ...overrides,
});

/** 30 latencies around 100 with a spread of ±11, the same every run. */
const baseline = Array.from({ length: 30 }, (_, i) => 100 + ((i * 37) % 23) - 11);
const scaled = (factor: number) => baseline.map((v, i) => v * factor + ((i * 17) % 7) - 3);

describe('classifyMetric', () => {
  it('classifies a canary 2.5 times slower as High, naming both medians, the shift and its interval', () => {
    const verdict = classifyMetric(rule({ direction: 'increase' }), scaled(2.5), baseline);
    expect(verdict.classification).toBe('High');
    expect(verdict.critical).toBe(false);
    // Medians, shift (median of the 900 differences) and ratio of means as numpy has them:
    // 249.5, 99.5, 149.5 and 2.49899...; the interval is checked against R's algorithm in
    // hodges-lehmann.test.ts.
    expect(verdict.reason).toBe(
      'latency is High: canary median 249.5 vs baseline median 99.5, shift +149.5 (98% interval +139.5 to +159.5), means ×2.499',
    );
    expect(verdict).toMatchObject({
      method: 'normal',
      canary: { count: 30 },
      baseline: { count: 30 },
    });
    expect(verdict.pValue).toBeLessThan(1e-6);
  });

  it('passes a rise when only a decrease fails the metric, and the reverse', () => {
    expect(
      classifyMetric(rule({ direction: 'decrease' }), scaled(2.5), baseline).classification,
    ).toBe('Pass');
    expect(
      classifyMetric(rule({ direction: 'increase' }), scaled(0.5), baseline).classification,
    ).toBe('Pass');
    expect(
      classifyMetric(rule({ direction: 'decrease' }), scaled(0.5), baseline).classification,
    ).toBe('Low');
    expect(
      classifyMetric(rule({ direction: 'either' }), scaled(0.5), baseline).classification,
    ).toBe('Low');
  });

  it('passes identical and near-identical samples', () => {
    const same = classifyMetric(rule(), [...baseline].reverse(), baseline);
    expect(same).toMatchObject({ classification: 'Pass', shift: 0 });
    expect(same.reason).toBe('latency passes: canary and baseline samples are identical');
    const tied = classifyMetric(rule(), Array(20).fill(7), Array(25).fill(7));
    expect(tied.reason).toBe('latency passes: every sample is 7');
  });

  it('asks the interval to clear 0 by tolerance × shift (Kayenta), not just to exclude 0', () => {
    const canary = scaled(1.08);
    const strict = classifyMetric(rule({ tolerance: 0 }), canary, baseline);
    expect(strict.classification).toBe('High');
    const [lower] = strict.interval as [number, number];
    const shift = strict.shift as number;
    // The same data, with a tolerance that puts the margin above the interval's lower end.
    const lenient = classifyMetric(
      rule({ tolerance: Math.min(0.99, (lower / shift) * 1.01) }),
      canary,
      baseline,
    );
    expect(lenient.classification).toBe('Pass');
  });

  it('passes a significant change below the allowed effect size (ratio of the means)', () => {
    const canary = scaled(1.1);
    expect(classifyMetric(rule({ tolerance: 0 }), canary, baseline).classification).toBe('High');
    const allowed = classifyMetric(
      rule({ tolerance: 0, effectSize: [0.8, 1.2] }),
      canary,
      baseline,
    );
    expect(allowed.classification).toBe('Pass');
    expect(allowed.meanRatio).toBeGreaterThan(1.05);
    expect(allowed.meanRatio).toBeLessThan(1.2);
  });

  it('makes a critical metric fail critically only beyond its critical effect size', () => {
    const canary = scaled(1.5);
    expect(classifyMetric(rule({ critical: true }), canary, baseline)).toMatchObject({
      classification: 'High',
      critical: true,
    });
    const mild = classifyMetric(
      rule({ critical: true, criticalEffectSize: [0.5, 2] }),
      canary,
      baseline,
    );
    expect(mild).toMatchObject({ classification: 'High', critical: false });
    expect(mild.reason).not.toContain('critical');
  });

  it('is Nodata without samples on a side, critical for a critical metric', () => {
    const empty = classifyMetric(rule({ critical: true }), [], baseline);
    expect(empty).toMatchObject({ classification: 'Nodata', critical: true, shift: null });
    expect(empty.reason).toBe('latency has no verdict: no canary samples');
    const missing = classifyMetric(rule(), [null, null], [null]);
    expect(missing.reason).toBe(
      'latency has no verdict: no canary and baseline samples (2 canary and 1 baseline points were missing or outliers)',
    );
  });

  it('counts missing points as 0 with nanStrategy replace (counters absent when nothing happened)', () => {
    const errors = classifyMetric(
      rule({ nanStrategy: 'replace', direction: 'increase' }),
      Array.from({ length: 30 }, (_, i) => 3 + (i % 4)),
      Array.from({ length: 30 }, () => null),
    );
    expect(errors).toMatchObject({
      classification: 'High',
      baseline: { count: 30, removed: 0, median: 0 },
    });
  });

  it('is Nodata, never Pass, when the samples are too few for the confidence', () => {
    const verdict = classifyMetric(rule(), [300, 310, 320], [100, 101, 102]);
    expect(verdict.classification).toBe('Nodata');
    expect(verdict.reason).toBe(
      'latency has no verdict: 3 canary and 3 baseline samples are too few for 98% confidence (the widest interval holds at 90%); judge over more samples',
    );
    expect(verdict.shift).toBe(209);
    // 5 against 5 reach it: 252 arrangements, 2/252 < 2%.
    expect(
      classifyMetric(rule(), [300, 310, 320, 330, 340], [100, 101, 102, 103, 104]).classification,
    ).toBe('High');
  });

  it('drops outliers when asked and says how many', () => {
    const spiky = [...baseline.slice(0, 29), 5000];
    const kept = classifyMetric(rule(), spiky, baseline);
    expect(kept.canary).toMatchObject({ count: 30, removed: 0 });
    const removed = classifyMetric(rule({ outlierFactor: 3 }), spiky, baseline);
    expect(removed.canary).toMatchObject({ count: 29, removed: 1 });
    expect(removed.classification).toBe('Pass');
  });
});
