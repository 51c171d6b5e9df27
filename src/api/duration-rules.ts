/**
 * The bounds of each duration in a spec, beyond the pattern the schema checks. Machine waits
 * are honoured exactly however long (the controller chains its timers), so only absurd ones
 * are refused; the others become timers and ranges that must stay sane.
 */
import { parseDuration } from './duration.js';
import { isObject } from './json.js';
import type { Problem } from './problems.js';

const SECOND = 1_000;
const HOUR = 3_600_000;

interface Bound {
  max: number;
  maxText: string;
  why: string;
}

/**
 * analysis.interval: a week between checks is longer than any release waits at one step (and,
 * like every bound here, below the 24.8 days past which a Node timer fires at once).
 * metrics[].interval: a PromQL range; over a day, each analysis reads a day of samples per
 * series and a regression shows only hours later.
 * webhooks[].timeout: one call, retries included, holds its analysis interval; the loadtester's
 * longest run is an hour.
 */
export const DURATION_BOUNDS = {
  analysisInterval: { max: 168 * HOUR, maxText: '168h (7 days)', why: 'a week between checks' },
  metricInterval: { max: 24 * HOUR, maxText: '24h', why: 'a PromQL range of a day' },
  webhookTimeout: { max: HOUR, maxText: '1h', why: 'an hour for one webhook call' },
} as const satisfies Record<string, Bound>;

type Fields = Record<string, unknown>;

function items(value: unknown): Fields[] {
  return Array.isArray(value) ? value.map((item) => (isObject(item) ? item : {})) : [];
}

function check(path: string, text: unknown, bound: Bound): Problem[] {
  const ms = typeof text === 'string' ? parseDuration(text) : undefined;
  if (ms === undefined) return [];
  if (ms < SECOND) {
    return [
      {
        path,
        message: `${text} is shorter than the minimum of 1s`,
        fix: 'use a duration of at least 1s, such as 10s or 1m',
      },
    ];
  }
  if (ms > bound.max) {
    return [
      {
        path,
        message: `${text} is longer than the maximum of ${bound.maxText}: more than ${bound.why}`,
        fix: `use a duration from 1s to ${bound.maxText.split(' ')[0]}`,
      },
    ];
  }
  return [];
}

export function durationProblems(analysis: Fields): Problem[] {
  return [
    ...check('spec.analysis.interval', analysis.interval, DURATION_BOUNDS.analysisInterval),
    ...items(analysis.metrics).flatMap((metric, i) =>
      check(
        `spec.analysis.metrics[${i}].interval`,
        metric.interval,
        DURATION_BOUNDS.metricInterval,
      ),
    ),
    ...items(analysis.webhooks).flatMap((webhook, i) =>
      check(
        `spec.analysis.webhooks[${i}].timeout`,
        webhook.timeout,
        DURATION_BOUNDS.webhookTimeout,
      ),
    ),
  ];
}
