import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderPrometheusConfig } from '../../../src/playground/prometheus.js';

describe('renderPrometheusConfig', () => {
  it('scrapes and evaluates every 2 s, and gives a scrape as long', () => {
    const config = parse(renderPrometheusConfig([]));
    expect(config.global).toEqual({
      scrape_interval: '2s',
      scrape_timeout: '2s',
      evaluation_interval: '2s',
    });
  });

  it('scrapes each mesh metrics URL with its cluster label and keeps exported labels', () => {
    const config = parse(
      renderPrometheusConfig([
        { cluster: 'east', metricsUrl: 'http://127.0.0.1:4191/metrics' },
        { cluster: 'west', metricsUrl: 'http://127.0.0.1:5191/proxy/metrics' },
      ]),
    );
    expect(config.scrape_configs[1]).toEqual({
      job_name: 'linkerd-proxy-west',
      honor_labels: true,
      metrics_path: '/proxy/metrics',
      scheme: 'http',
      static_configs: [{ targets: ['127.0.0.1:5191'], labels: { cluster: 'west' } }],
    });
  });
});
