import type { Result } from 'autocannon';
import { describe, expect, it } from 'vitest';
import {
  errorRate,
  judge,
  type LoadSummary,
  publicSummary,
  summarize,
} from '../../../src/loadtester/summary.js';

function summary(counts: Partial<LoadSummary>): LoadSummary {
  return {
    requests: 0,
    '2xx': 0,
    non2xx: 0,
    errors: 0,
    latencyMs: { p50: 1, p99: 2 },
    durationSeconds: 1,
    rps: 0,
    stopped: false,
    ...counts,
  };
}

describe('summarize', () => {
  it('counts answers and transport errors as requests and derives the achieved rate', () => {
    const result = {
      '2xx': 570,
      non2xx: 20,
      errors: 10,
      duration: 3,
      latency: { p50: 12, p99: 48 },
    } as unknown as Result;
    expect(summarize(result, false, 3)).toEqual({
      requests: 600,
      '2xx': 570,
      non2xx: 20,
      errors: 10,
      latencyMs: { p50: 12, p99: 48 },
      durationSeconds: 3,
      rps: 200,
      stopped: false,
    });
  });

  it('reports no latency when nothing answered', () => {
    const result = {
      '2xx': 0,
      non2xx: 0,
      errors: 5,
      duration: 1,
      latency: { p50: 0, p99: 0 },
    } as unknown as Result;
    expect(summarize(result, true, 1).latencyMs).toEqual({ p50: null, p99: null });
  });

  it("takes the rate over the planned duration when autocannon's last tick overshoots it", () => {
    const result = {
      '2xx': 15,
      non2xx: 0,
      errors: 0,
      duration: 2.05,
      latency: { p50: 1, p99: 2 },
    } as unknown as Result;
    expect(summarize(result, false, 1.5).rps).toBe(10);
  });

  it('takes the rate over the run time when the run was stopped early', () => {
    const result = {
      '2xx': 50,
      non2xx: 0,
      errors: 0,
      duration: 1,
      latency: { p50: 1, p99: 2 },
    } as unknown as Result;
    expect(summarize(result, true, 60).rps).toBe(50);
  });
});

describe('errorRate and judge', () => {
  it('counts non-2xx answers and requests without an answer as errors', () => {
    expect(errorRate(summary({ requests: 100, '2xx': 90, non2xx: 6, errors: 4 }))).toBe(0.1);
  });

  it('passes at exactly maxErrorRate and fails just above it', () => {
    const atLimit = summary({ requests: 100, '2xx': 95, non2xx: 5 });
    expect(judge(atLimit, 0.05)).toEqual({ passed: true, errorRate: 0.05 });
    expect(judge(summary({ requests: 100, '2xx': 94, non2xx: 6 }), 0.05).passed).toBe(false);
  });

  it('fails a run that made no requests at all, even with maxErrorRate 1', () => {
    expect(judge(summary({ requests: 0 }), 0.99)).toEqual({ passed: false, errorRate: 1 });
  });
});

describe('publicSummary', () => {
  it('tells how many requests failed, not how: no status classes, no latencies', () => {
    const full = summary({ requests: 100, '2xx': 90, non2xx: 6, errors: 4, rps: 50 });
    expect(publicSummary(full)).toEqual({
      requests: 100,
      failed: 10,
      durationSeconds: 1,
      rps: 50,
      stopped: false,
    });
  });
});
