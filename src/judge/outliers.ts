/**
 * Outlier removal by the interquartile range, as Kayenta's judge does it (IQRDetector with
 * reduceSensitivity): a value is an outlier below min(P1, Q1 - factor·IQR) or above
 * max(P99, Q3 + factor·IQR), so that a sample with a narrow IQR does not lose its tails.
 */
import { quantileSorted } from './descriptive.js';

/** Kayenta's default `outlierFactor`. */
export const DEFAULT_OUTLIER_FACTOR = 3;

export function removeOutliers(values: readonly number[], factor: number): number[] {
  if (values.length === 0) return [];
  const ascending = Float64Array.from(values).sort();
  const q1 = quantileSorted(ascending, 0.25);
  const q3 = quantileSorted(ascending, 0.75);
  const iqr = q3 - q1;
  const lowFence = Math.min(quantileSorted(ascending, 0.01), q1 - factor * iqr);
  const highFence = Math.max(quantileSorted(ascending, 0.99), q3 + factor * iqr);
  return values.filter((v) => v >= lowFence && v <= highFence);
}
