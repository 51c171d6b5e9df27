/**
 * Reading the answer to a grouped query, whose series belong to different rollouts. The
 * envelope must be sound for any series to be read; a series whose own value cannot be read
 * is kept with its problem, so that only the rollout it belongs to fails.
 */
import {
  describeSeries,
  isRecord,
  NOT_PROMETHEUS_FIX,
  readData,
  readPoints,
  readSample,
} from './query-result.js';

/** What one series of a grouped answer says, or why that cannot be read. */
export type SeriesReading<T> = { value: T } | { problem: string; fix: string };

/** One series of a grouped answer: its labels and its reading. */
export interface GroupSeries<T> {
  labels: Readonly<Record<string, string>>;
  sample: SeriesReading<T>;
}

/** An instant vector's series: a value each (null for NaN or Inf). */
export type VectorSeries = GroupSeries<number | null>;
/** A range query's series: a point per step of the grid each. */
export type MatrixSeries = GroupSeries<(number | null)[]>;

type Answer<T> = { value: GroupSeries<T>[] } | { problem: string; fix: string };

function labelsOf(series: unknown): Record<string, string> {
  const metric = isRecord(series) ? series.metric : undefined;
  const labels: Record<string, string> = {};
  if (isRecord(metric)) {
    for (const [key, value] of Object.entries(metric)) {
      if (typeof value === 'string') labels[key] = value;
    }
  }
  return labels;
}

function readEach<T>(
  answer: unknown,
  resultType: 'vector' | 'matrix',
  read: (series: Record<string, unknown>, which: string) => SeriesReading<T>,
): Answer<T> {
  const envelope = readData(answer);
  if ('problem' in envelope) return envelope;
  const { data } = envelope;
  if (data.resultType !== resultType || !Array.isArray(data.result)) {
    return {
      problem: `it did not return ${resultType === 'vector' ? 'an instant vector' : 'a range vector (matrix)'} to a grouped query`,
      fix: NOT_PROMETHEUS_FIX,
    };
  }
  return {
    value: data.result.map((series: unknown, index) => ({
      labels: labelsOf(series),
      sample: isRecord(series)
        ? read(series, `its series ${index} ${describeSeries(series)}`)
        : { problem: `its series ${index} is not an object`, fix: NOT_PROMETHEUS_FIX },
    })),
  };
}

/** An instant query's answer as every series it holds. */
export function readVector(answer: unknown): Answer<number | null> {
  return readEach(answer, 'vector', (series, which) => readSample(series.value, which));
}

/** A range query's answer as every series it holds, each on the asked grid. */
export function readMatrix(
  answer: unknown,
  range: { startMs: number; endMs: number; stepMs: number },
): Answer<(number | null)[]> {
  return readEach(answer, 'matrix', (series, which) => readPoints(series, range, which));
}
