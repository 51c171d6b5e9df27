import { describe, expect, it } from 'vitest';
import { builtinQuery, isBuiltinMetric } from '../../../src/metrics/linkerd.js';
import { renderQuery } from '../../../src/metrics/templates.js';

const vars = { namespace: 'prod', target: 'api', service: 'api-canary-west', interval: '30s' };
const compact = (s: string) => s.replace(/\s+/g, '');

describe('built-in Linkerd queries', () => {
  it('workload success rate is Flagger’s inbound query in percent', () => {
    const q = renderQuery(
      'request-success-rate',
      builtinQuery('request-success-rate', 'workload'),
      vars,
    );
    expect(compact(q)).toBe(
      compact(
        'sum(rate(response_total{namespace="prod",deployment=~"api",direction="inbound",classification!="failure"}[30s]))' +
          ' / sum(rate(response_total{namespace="prod",deployment=~"api",direction="inbound"}[30s])) * 100',
      ),
    );
  });

  it('workload duration is the inbound p99 in milliseconds', () => {
    const q = renderQuery('request-duration', builtinQuery('request-duration', 'workload'), vars);
    expect(compact(q)).toBe(
      compact(
        'histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="prod",deployment=~"api",direction="inbound"}[30s])) by (le))',
      ),
    );
  });

  it('backend mode reads the callers’ outbound side by destination service', () => {
    for (const name of ['request-success-rate', 'request-duration'] as const) {
      const q = renderQuery(name, builtinQuery(name, 'backend'), vars);
      expect(q).toContain('dst_service="api-canary-west"');
      expect(q).toContain('dst_namespace="prod"');
      expect(q).toContain('direction="outbound"');
      expect(q).not.toContain('deployment');
      expect(q).not.toContain('direction="inbound"');
    }
  });

  it('knows exactly its two built-in names', () => {
    expect(isBuiltinMetric('request-success-rate')).toBe(true);
    expect(isBuiltinMetric('request-duration')).toBe(true);
    expect(isBuiltinMetric('error-ratio')).toBe(false);
  });
});
