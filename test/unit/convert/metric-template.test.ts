import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { MetricTemplate } from '../../../src/api/metrictemplate.generated.js';
import { validateRollout } from '../../../src/api/validate.js';
import { convertFlaggerFiles } from '../../../src/convert/convert-files.js';
import type { FlaggerMetricTemplate } from '../../../src/convert/flagger-types.js';
import { convertMetricTemplate } from '../../../src/convert/metric-template.js';
import { prepareQuery } from '../../../src/metrics/analysis.js';
import { templateSource } from '../../../src/metrics/template-source.js';
import { convertOptions, exampleFile } from '../../support/flagger-canary.js';

const flagger = (spec: FlaggerMetricTemplate['spec'], namespace = 'test') => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'MetricTemplate',
  metadata: { name: 'errors', namespace },
  spec,
});

describe('convertMetricTemplate', () => {
  it('keeps the query, address, Secret, TLS setting and headers of a Prometheus template', () => {
    const result = convertMetricTemplate(
      flagger({
        provider: {
          type: 'prometheus',
          address: 'https://mimir.example/prometheus',
          secretRef: { name: 'mimir-auth' },
          insecureSkipVerify: true,
          headers: { 'X-Scope-OrgID': ['team-a'] },
        },
        query: 'sum(rate(x{ns="{{namespace}}",d="{{ variables.direction }}"}[{{ interval }}]))\n',
      }),
    );
    expect(result).toEqual({
      ok: true,
      notes: [],
      template: {
        apiVersion: 'fledge.dev/v1alpha1',
        kind: 'MetricTemplate',
        metadata: { name: 'errors', namespace: 'test' },
        spec: {
          provider: {
            type: 'prometheus',
            address: 'https://mimir.example/prometheus',
            headers: { 'X-Scope-OrgID': ['team-a'] },
            secretRef: { name: 'mimir-auth' },
            insecureSkipVerify: true,
          },
          query: 'sum(rate(x{ns="{{ namespace }}",d="{{ variables.direction }}"}[{{ interval }}]))',
        },
      },
    });
  });

  it("says a template without address is asked of the controller's Prometheus", () => {
    const result = convertMetricTemplate(flagger({ provider: { type: 'prometheus' }, query: 'x' }));
    expect(result.ok).toBe(true);
    expect(result.notes).toEqual([
      expect.objectContaining({ path: 'spec.provider.address', kind: 'changed' }),
    ]);
  });

  it('lists a provider field fledge has no use for as not converted', () => {
    const result = convertMetricTemplate(
      flagger({ provider: { address: 'http://p:9090', region: 'eu-west-1' }, query: 'x' }),
    );
    expect(result.ok).toBe(true);
    expect(result.notes.map((n) => [n.path, n.kind])).toEqual([
      ['spec.provider.region', 'dropped'],
    ]);
  });

  it.each([
    [
      'another provider',
      { provider: { type: 'datadog' }, query: 'avg:x{*}' },
      /provider is datadog/,
    ],
    ["Flagger's {{ ingress }}", { query: 'x{i="{{ ingress }}"}' }, /uses \{\{ ingress \}\}/],
  ])('leaves out a template with %s, saying why', (_case, spec, why) => {
    const result = convertMetricTemplate(flagger(spec as FlaggerMetricTemplate['spec']));
    expect(result.ok && result.template).toBeUndefined();
    expect(result.notes).toEqual([
      { path: 'spec', kind: 'dropped', message: expect.stringMatching(why) },
    ]);
  });

  it.each([
    ['no query', { provider: { address: 'http://p:9090' } }, /spec\.query: is required/],
    [
      'credentials in the address',
      { provider: { address: 'http://user:pw@p:9090' }, query: 'x' },
      /spec\.provider\.address/,
    ],
  ])('refuses a template with %s, saying why', (_case, spec, why) => {
    const result = convertMetricTemplate(flagger(spec as FlaggerMetricTemplate['spec']));
    expect(result.ok).toBe(false);
    expect(
      result.ok ? '' : result.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
    ).toMatch(why);
  });

  it('reports a field of the wrong type at its path', () => {
    const result = convertMetricTemplate(
      flagger({ provider: { insecureSkipVerify: 'yes' as unknown as boolean }, query: 'x' }),
    );
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([
      'spec.provider.insecureSkipVerify',
    ]);
  });
});

describe("fledge convert on Flagger's Linkerd tutorial (two MetricTemplates and podinfo)", () => {
  const converted = convertFlaggerFiles([exampleFile('linkerd-podinfo.yaml')], convertOptions);
  const documents = parseAllDocuments(converted.yaml).map((d) => d.toJSON());
  const templates = documents.filter((d) => d.kind === 'MetricTemplate') as MetricTemplate[];
  const rollout = documents.find((d) => d.kind === 'Rollout');

  it('writes both MetricTemplates, then the Rollout that refers to them', () => {
    expect(converted.failed).toBe(0);
    expect(documents.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'MetricTemplate test/success-rate',
      'MetricTemplate test/latency',
      'Rollout test/podinfo',
    ]);
    expect(validateRollout(rollout).ok).toBe(true);
  });

  it('gives queries that fledge renders with the metric’s templateVariables', () => {
    const validation = validateRollout(rollout);
    if (!validation.ok) throw new Error('invalid Rollout');
    for (const metric of validation.rollout.spec.analysis.metrics ?? []) {
      const ref = { namespace: 'test', name: metric.templateRef?.name ?? '' };
      const template = templates.find((t) => t.metadata?.name === ref.name) ?? null;
      const source = templateSource(ref, template, null);
      if (!source.ok) throw new Error(source.problem.message);
      expect(source.provider.address).toBe('http://prometheus.linkerd-viz:9090');
      const prepared = prepareQuery(
        {
          name: metric.name,
          query: source.query,
          interval: metric.interval,
          shared: { rollout: 'podinfo', variables: metric.templateVariables ?? {} },
        },
        {
          mode: 'workload',
          namespace: 'test',
          target: 'podinfo',
          service: 'podinfo-canary',
          defaultIntervalMs: 30_000,
        },
      );
      expect(prepared).toMatchObject({ query: expect.stringContaining('direction="inbound"') });
      expect('query' in prepared && prepared.query).toContain('deployment=~"podinfo"');
    }
  });
});
