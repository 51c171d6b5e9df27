import type { QueryResult } from 'prometheus-query';

/** A query's single value (null = no data), or why its answer cannot be read as one value. */
export type SingleValue = { value: number | null } | { problem: string; fix: string };

interface VectorSample {
  metric?: { name?: string; labels?: Record<string, string> } | null;
  value?: { value?: unknown };
}

function finiteOrNull(value: unknown): number | null {
  const parsed = typeof value === 'number' ? value : Number.parseFloat(String(value));
  return Number.isFinite(parsed) ? parsed : null;
}

function describeSeries(sample: VectorSample | undefined): string {
  const labels = sample?.metric?.labels ?? {};
  const text = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ');
  return `{${text}}`;
}

/**
 * Reads an instant query's answer as one number. Several series are refused rather than
 * summed or picked from: which one is meant is ambiguous, and a wrong pick can promote.
 */
export function readSingleValue(result: QueryResult): SingleValue {
  switch (result.resultType) {
    case 'scalar': {
      const pair = result.result as unknown as [number, string];
      return { value: finiteOrNull(pair[1]) };
    }
    case 'vector': {
      const samples = result.result as VectorSample[];
      if (samples.length === 0) return { value: null };
      if (samples.length > 1) {
        return {
          problem: `it returned ${samples.length} series (first ${describeSeries(samples[0])}) where one is needed`,
          fix: 'aggregate the query to one series, for example wrap it in sum(...)',
        };
      }
      return { value: finiteOrNull(samples[0]?.value?.value) };
    }
    default:
      return {
        problem: `it returned a ${result.resultType} where an instant vector or scalar is needed`,
        fix: 'remove any range selector [..] left outside a function such as rate(...)',
      };
  }
}
