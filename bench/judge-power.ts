/**
 * How many samples per side the judge needs to see a 20% latency regression at its default
 * confidence (0.98) and tolerance (0.25). Each sample is what a query_range point would be: the
 * p99 (histogram_quantile over Linkerd's buckets) or the mean latency of one step's requests,
 * with per-request latencies log-normal (median 100 ms, sigma 0.5: p99 about 320 ms), at four
 * traffic levels, the canary at a 20% weight. Seeded, so every run prints the same figures.
 */
import normal from '@stdlib/random-base-normal';
import { classifyMetric, type MetricRule } from '../src/judge/classify.js';
import { LATENCY_BUCKETS_MS } from '../src/playground/mesh/proxy-metrics.js';
import type { Benchmark } from './run.js';

const SAMPLE_SIZES = [5, 8, 10, 15, 20, 30, 40, 60, 80];
/** Canary requests per sample: a step of 10 s to 5 min at 1 to 10 rps. */
const CANARY_REQUESTS = [10, 30, 100, 300];
/** The baseline's share at a canary weight of 20%. */
const BASELINE_TO_CANARY = 4;
const TRIALS = 200;
const MEDIAN_MS = 100;
const SIGMA = 0.5;
const REGRESSION = 1.2;

const rule: MetricRule = {
  name: 'latency',
  direction: 'increase',
  critical: false,
  effectSize: [1, 1],
  criticalEffectSize: [1, 1],
  confidence: 0.98,
  tolerance: 0.25,
  nanStrategy: 'remove',
  outlierFactor: undefined,
};

/** Prometheus's histogram_quantile: linear inside the bucket that holds the rank. */
function histogramQuantile(q: number, counts: Float64Array): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i += 1) {
    const here = below + (counts[i] as number);
    if (here >= rank) {
      // The +Inf bucket answers the largest finite bound, as Prometheus does.
      if (i === LATENCY_BUCKETS_MS.length) return LATENCY_BUCKETS_MS[i - 1] as number;
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const upper = LATENCY_BUCKETS_MS[i] as number;
      return lower + ((upper - lower) * (rank - below)) / (here - below);
    }
    below = here;
  }
  return Number.NaN;
}

interface Step {
  p99: number;
  mean: number;
}

/** One step's requests, summarised as Linkerd's histogram and sum/count would have them. */
function step(gaussian: () => number, requests: number, median: number): Step {
  const counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  let sum = 0;
  for (let r = 0; r < requests; r += 1) {
    const latency = median * Math.exp(SIGMA * gaussian());
    sum += latency;
    let bucket = LATENCY_BUCKETS_MS.findIndex((le) => latency <= le);
    if (bucket < 0) bucket = LATENCY_BUCKETS_MS.length;
    counts[bucket] = (counts[bucket] as number) + 1;
  }
  return { p99: histogramQuantile(0.99, counts), mean: sum / requests };
}

type Statistic = keyof Step;
const STATISTICS: Statistic[] = ['p99', 'mean'];

/** Counts of trials classified High: [statistic][requests level][sample size]. */
type Counts = Record<Statistic, number[][]>;

function detections(factor: number, seed: number): Counts {
  const gaussian = normal.factory(0, 1, { seed });
  const largest = SAMPLE_SIZES[SAMPLE_SIZES.length - 1] as number;
  const counts: Counts = {
    p99: CANARY_REQUESTS.map(() => SAMPLE_SIZES.map(() => 0)),
    mean: CANARY_REQUESTS.map(() => SAMPLE_SIZES.map(() => 0)),
  };
  for (let trial = 0; trial < TRIALS; trial += 1) {
    CANARY_REQUESTS.forEach((requests, level) => {
      const canary = Array.from({ length: largest }, () =>
        step(gaussian, requests, MEDIAN_MS * factor),
      );
      const baseline = Array.from({ length: largest }, () =>
        step(gaussian, requests * BASELINE_TO_CANARY, MEDIAN_MS),
      );
      // Samples are independent, so the first n of the largest draw are a draw of size n.
      for (const statistic of STATISTICS) {
        const row = counts[statistic][level] as number[];
        SAMPLE_SIZES.forEach((n, index) => {
          const verdict = classifyMetric(
            rule,
            canary.slice(0, n).map((s) => s[statistic]),
            baseline.slice(0, n).map((s) => s[statistic]),
          );
          if (verdict.classification === 'High') row[index] = (row[index] as number) + 1;
        });
      }
    });
  }
  return counts;
}

const percent = (count: number) => `${Math.round((count / TRIALS) * 100)}%`;

function table(statistic: Statistic, regressed: Counts, same: Counts): string[] {
  const header = CANARY_REQUESTS.map((r) => `${r} req`.padStart(13)).join('');
  const lines = [
    `${statistic} of each step: detected (false alarms), by canary requests per sample`,
  ];
  lines.push(`samples/side${header}`);
  SAMPLE_SIZES.forEach((n, index) => {
    const cells = CANARY_REQUESTS.map((_, level) => {
      const hit = percent(regressed[statistic][level]?.[index] as number);
      const falseAlarms = percent(same[statistic][level]?.[index] as number);
      return `${hit} (${falseAlarms})`.padStart(13);
    });
    lines.push(`${String(n).padStart(12)}${cells.join('')}`);
  });
  return lines;
}

export const judgePowerBenchmark: Benchmark = {
  name: 'judge',
  description: `samples per side the judge needs to see a ${Math.round((REGRESSION - 1) * 100)}% latency regression (confidence 0.98, tolerance 0.25)`,
  async run() {
    const regressed = detections(REGRESSION, 20_161);
    const same = detections(1, 70_913);
    return [
      `per-request latency log-normal, median ${MEDIAN_MS} ms, sigma ${SIGMA}; canary median x${REGRESSION} (detected) or x1 (false alarms); baseline ${BASELINE_TO_CANARY}x the canary's requests (weight 20%); ${TRIALS} seeded trials per cell`,
      ...table('p99', regressed, same),
      ...table('mean', regressed, same),
    ];
  },
};
