import { describe, expect, it } from 'vitest';
import { fieldPath, formatProblems } from '../../../src/api/problems.js';

describe('fieldPath', () => {
  it.each([
    ['', [], ''],
    ['', ['spec'], 'spec'],
    ['/spec/analysis', ['stepWeight'], 'spec.analysis.stepWeight'],
    ['/spec/analysis/metrics/0/interval', [], 'spec.analysis.metrics[0].interval'],
    ['/spec/analysis/stepWeights/3', [], 'spec.analysis.stepWeights[3]'],
    ['/metadata/annotations/fledge.dev~1promote', [], 'metadata.annotations.fledge.dev/promote'],
  ])('turns %j + %j into %s', (pointer, more, path) => {
    expect(fieldPath(pointer, ...more)).toBe(path);
  });
});

describe('formatProblems', () => {
  const stepWeight = { path: 'spec.analysis.stepWeight', message: 'is 60', fix: 'lower it' };
  const interval = { path: 'spec.analysis.interval', message: 'is 0s', fix: 'use 1m' };

  it('names the Rollout, the count, and each field with its fix', () => {
    expect(formatProblems([stepWeight, interval], 'production/api-service')).toBe(
      'Rollout production/api-service is invalid, 2 problems: spec.analysis.stepWeight: is 60 (fix: lower it); spec.analysis.interval: is 0s (fix: use 1m)',
    );
  });

  it('speaks of one problem in the singular', () => {
    expect(formatProblems([interval])).toBe(
      'the Rollout is invalid, 1 problem: spec.analysis.interval: is 0s (fix: use 1m)',
    );
  });

  it('stays short whatever the input: ten problems, each cut, then how many more', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => ({
      path: `spec.analysis.metrics[${i}].${'x'.repeat(10_000)}`,
      message: 'is not a field',
      fix: 'remove it',
    }));
    const text = formatProblems(many);
    expect(text).toMatch(
      /^the Rollout is invalid, 5000 problems: spec\.analysis\.metrics\[0\]\.x+\.\.\.; /,
    );
    expect(text).toMatch(/; and 4990 more$/);
    expect(text.length).toBeLessThan(3_200);
  });
});
