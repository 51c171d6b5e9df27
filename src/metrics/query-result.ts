/**
 * Reading Prometheus's answer to an instant query (GET/POST /api/v1/query) as one number,
 * from the JSON exactly as Prometheus writes it. Nothing is taken on trust: the envelope, the
 * result type, each sample's shape and the sample value itself are checked, so an answer that
 * is not Prometheus's (a proxy's page, a half-compatible server, a tampered body) is an error,
 * never a value that passes a threshold.
 */

/** A query's single value (null = no data), or why its answer cannot be read as one value. */
export type SingleValue = { value: number | null } | { problem: string; fix: string };

export const NOT_PROMETHEUS_FIX =
  'check that --prometheus-url is the base address of Prometheus (or of an API compatible with it), without /api/v1 or a UI path';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A sample value as Prometheus writes it: a decimal float, or NaN, +Inf, -Inf. A number too
 * large for a double is as good as infinite. Anything else (`12abc`, `0x63`, ` 12`, `Infinity`)
 * is undefined, where parseFloat would have read 12, 0, 12 and Infinity.
 */
export function parseSampleValue(text: string): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return DECIMAL.test(text) ? Number(text) : undefined;
}

/** A piece of a foreign answer, fit to repeat: one line, no control characters, at most `max` characters. */
export function sanitiseForeign(text: string, max = 120): string {
  const line = text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

type Sample = { value: number | null } | { problem: string; fix: string };

/** `[<unix time>, "<value>"]`, Prometheus's shape of one sample. */
export function readSample(pair: unknown, where: string): Sample {
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    typeof pair[0] !== 'number' ||
    typeof pair[1] !== 'string'
  ) {
    return { problem: `${where} is not a [time, "value"] pair`, fix: NOT_PROMETHEUS_FIX };
  }
  const value = parseSampleValue(pair[1]);
  if (value === undefined) {
    return {
      problem: `${where} has the value ${JSON.stringify(sanitiseForeign(pair[1], 40))}, which is not a number Prometheus writes (a decimal, NaN, +Inf or -Inf)`,
      fix: NOT_PROMETHEUS_FIX,
    };
  }
  return { value: Number.isFinite(value) ? value : null };
}

export function describeSeries(series: unknown): string {
  const labels = isRecord(series) && isRecord(series.metric) ? series.metric : {};
  const text = Object.entries(labels)
    .slice(0, 5)
    .map(
      ([key, value]) =>
        `${sanitiseForeign(key, 40)}=${JSON.stringify(sanitiseForeign(String(value), 40))}`,
    )
    .join(', ');
  return `{${text}}`;
}

/** The `data` of a successful answer, or why the answer is not one. */
export function readData(
  answer: unknown,
): { data: Record<string, unknown> } | { problem: string; fix: string } {
  if (!isRecord(answer) || (answer.status !== 'success' && answer.status !== 'error')) {
    return { problem: 'its answer is not the Prometheus HTTP API', fix: NOT_PROMETHEUS_FIX };
  }
  if (answer.status === 'error') {
    const kind =
      typeof answer.errorType === 'string' ? `${sanitiseForeign(answer.errorType, 40)}: ` : '';
    const why =
      typeof answer.error === 'string' ? sanitiseForeign(answer.error) : 'no reason given';
    return { problem: `it answered an error (${kind}${why})`, fix: "fix the metric's query" };
  }
  const data = answer.data;
  if (!isRecord(data)) return { problem: 'its answer has no data', fix: NOT_PROMETHEUS_FIX };
  return { data };
}

/**
 * Reads an instant query's answer (the parsed JSON body of a 2xx) as one number. Several
 * series are refused rather than summed or picked from: which one is meant is ambiguous, and
 * a wrong pick can promote.
 */
export function readSingleValue(answer: unknown): SingleValue {
  const read = readData(answer);
  if ('problem' in read) return read;
  const { resultType, result } = read.data;
  if (resultType === 'scalar') return readSample(result, 'its scalar');
  if (resultType !== 'vector') {
    const type =
      typeof resultType === 'string' ? `a ${sanitiseForeign(resultType, 40)}` : 'no result type';
    return {
      problem: `it returned ${type} where an instant vector or scalar is needed`,
      fix: 'remove any range selector [..] left outside a function such as rate(...)',
    };
  }
  if (!Array.isArray(result))
    return { problem: 'its vector is not a list', fix: NOT_PROMETHEUS_FIX };
  if (result.length === 0) return { value: null };
  if (result.length > 1) {
    return {
      problem: `it returned ${result.length} series (first ${describeSeries(result[0])}) where one is needed`,
      fix: 'aggregate the query to one series, for example wrap it in sum(...)',
    };
  }
  const [series] = result;
  if (!isRecord(series))
    return { problem: 'its one series is not an object', fix: NOT_PROMETHEUS_FIX };
  return readSample(series.value, 'its one sample');
}

/** The points of a query_range's grid: start, start + step, ... up to end. */
export function gridLength(range: { startMs: number; endMs: number; stepMs: number }): number {
  return Math.floor((range.endMs - range.startMs) / range.stepMs + 1e-9) + 1;
}

/**
 * Reads a query_range answer as one series on the asked grid: a value per step, null where the
 * series has no point (Prometheus leaves such steps out) or a NaN/Inf. No series at all is a
 * grid of nulls; several series are refused, as for an instant query.
 */
export function readSingleSeries(
  answer: unknown,
  range: { startMs: number; endMs: number; stepMs: number },
): { value: (number | null)[] } | { problem: string; fix: string } {
  if (!isRecord(answer) || answer.status !== 'success') {
    const single = readSingleValue(answer);
    return 'problem' in single
      ? single
      : { problem: 'its answer is not the Prometheus HTTP API', fix: NOT_PROMETHEUS_FIX };
  }
  const data = answer.data;
  if (!isRecord(data)) return { problem: 'its answer has no data', fix: NOT_PROMETHEUS_FIX };
  if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    return {
      problem: 'it did not return a range vector (matrix) to a range query',
      fix: NOT_PROMETHEUS_FIX,
    };
  }
  const points: (number | null)[] = new Array(gridLength(range)).fill(null);
  if (data.result.length === 0) return { value: points };
  if (data.result.length > 1) {
    return {
      problem: `it returned ${data.result.length} series (first ${describeSeries(data.result[0])}) where one is needed`,
      fix: 'aggregate the query to one series, for example wrap it in sum(...)',
    };
  }
  const [series] = data.result;
  return readPoints(series, range, 'its one series');
}

/** A range series's points on the asked grid (null where it has none, or a NaN/Inf). */
export function readPoints(
  series: unknown,
  range: { startMs: number; endMs: number; stepMs: number },
  which: string,
): { value: (number | null)[] } | { problem: string; fix: string } {
  const points: (number | null)[] = new Array(gridLength(range)).fill(null);
  if (!isRecord(series) || !Array.isArray(series.values)) {
    return { problem: `${which} has no list of values`, fix: NOT_PROMETHEUS_FIX };
  }
  for (const [index, pair] of series.values.entries()) {
    const sample = readSample(pair, `its point ${index}`);
    if ('problem' in sample) return sample;
    const at = Math.round(((pair as [number, string])[0] * 1000 - range.startMs) / range.stepMs);
    if (at < 0 || at >= points.length) {
      return {
        problem: `its point ${index} lies outside the range asked for`,
        fix: NOT_PROMETHEUS_FIX,
      };
    }
    points[at] = sample.value;
  }
  return { value: points };
}
