import { describe, expect, it } from 'vitest';
import { quantileSorted } from '../../../src/judge/descriptive.js';
import { removeOutliers } from '../../../src/judge/outliers.js';

describe('removeOutliers (Kayenta IQR rule with reduced sensitivity)', () => {
  it("follows Kayenta's documented example: Q1 = 50, Q3 = 100, factor 3 keeps -100..250", () => {
    // docs/canary-config.md of spinnaker/kayenta, "Outliers": fences Q1 - 3·IQR = -100 and
    // Q3 + 3·IQR = 250. With 13 points R's type 7 quartiles are the 4th and 10th values.
    const kept = [10, 20, 40, 50, 60, 70, 80, 90, 95, 100, 110, 250];
    for (const outlier of [251, 900]) {
      const ascending = Float64Array.from([...kept, outlier]).sort();
      expect(quantileSorted(ascending, 0.25)).toBe(50);
      expect(quantileSorted(ascending, 0.75)).toBe(100);
      // The 99th percentile, 250 + 0.88·(outlier - 250), stays below the outlier: it goes.
      expect(removeOutliers([outlier, ...kept], 3)).toEqual(kept);
    }
    expect(removeOutliers([...kept, -100], 3)).toEqual([...kept, -100]);
  });

  it('keeps the tails of a sample whose IQR is 0 down to its 1st and 99th percentiles', () => {
    // Without the percentile fences every value but the mode would go.
    const sample = [...Array.from({ length: 200 }, () => 5), 1, 9];
    expect(removeOutliers(sample, 3)).toHaveLength(200);
    const ascending = Float64Array.from(sample).sort();
    expect(quantileSorted(ascending, 0.01)).toBe(5);
  });

  it('keeps an empty sample empty', () => {
    expect(removeOutliers([], 3)).toEqual([]);
  });
});
