import { describe, expect, it } from 'vitest';
import { validateRollout } from '../../../src/api/validate.js';
import { convertCanary } from '../../../src/convert/canary.js';
import { readFlaggerInput } from '../../../src/convert/documents.js';
import type { FlaggerCanary } from '../../../src/convert/flagger-types.js';
import {
  convertedCanary,
  convertOptions,
  flaggerExample,
  minimalCanary,
} from '../../support/flagger-canary.js';

describe("the Linkerd production guide's Canary (the seed)", () => {
  const input = flaggerExample('seed-api-service.yaml');
  const result = convertCanary(input.canaries[0] as FlaggerCanary, input.templates, convertOptions);

  it('converts into a Rollout that validateRollout accepts', () => {
    expect(result.ok).toBe(true);
    expect(result.ok && validateRollout(result.rollout).ok).toBe(true);
  });

  it('maps target, autoscaler, service, steps, metrics and the hey load test', () => {
    expect(result.ok && result.rollout).toEqual({
      apiVersion: 'fledge.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'api-service', namespace: 'production' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-service' },
        autoscalerRef: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          name: 'api-service',
        },
        service: { name: 'api-service', port: 8080, targetPort: 8080 },
        routing: { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha2' },
        analysis: {
          interval: '1m',
          threshold: 5,
          stepWeight: 10,
          maxWeight: 50,
          metrics: [
            { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
            { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
          ],
          webhooks: [
            {
              name: 'load-test',
              type: 'rollout',
              url: 'http://fledge-loadtester.fledge-system/',
              timeout: '5s',
              metadata: {
                type: 'autocannon',
                url: 'http://api-service-canary.production:8080/',
                rps: '20',
                connections: '2',
                duration: '1m',
              },
            },
          ],
        },
      },
    });
  });

  it('lists the Istio traffic policy as not converted, and explains the cmd webhook', () => {
    const dropped = result.notes.filter((n) => n.kind === 'dropped').map((n) => n.path);
    expect(dropped).toEqual(['spec.service.trafficPolicy']);
    const cmd = result.notes.find((n) => n.path === 'spec.analysis.webhooks[0].metadata');
    expect(cmd?.message).toMatch(/type: cmd is not supported.*rps: "20"/);
  });
});

describe("Flagger's Linkerd tutorial (podinfo with MetricTemplates)", () => {
  const input = flaggerExample('linkerd-podinfo.yaml');
  const result = convertCanary(input.canaries[0] as FlaggerCanary, input.templates, convertOptions);
  const { spec } = (result.ok ? result.rollout : { spec: {} }) as {
    spec: {
      routing?: unknown;
      progressDeadlineSeconds?: number;
      analysis?: { metrics?: unknown[]; webhooks?: { name: string }[] };
    };
  };

  it('converts into a valid Rollout with Gateway API routing', () => {
    expect(result.ok && validateRollout(result.rollout).ok).toBe(true);
    expect(spec.routing).toEqual({
      provider: 'gateway-api',
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
    });
    expect(spec.progressDeadlineSeconds).toBe(60);
  });

  it('keeps each templateRef and its templateVariables, as Flagger wrote them', () => {
    expect(spec.analysis?.metrics).toEqual([
      {
        name: 'success-rate',
        templateRef: { name: 'success-rate', namespace: 'test' },
        templateVariables: { direction: 'inbound' },
        thresholdRange: { min: 99 },
        interval: '1m',
      },
      {
        name: 'latency',
        templateRef: { name: 'latency', namespace: 'test' },
        templateVariables: { direction: 'inbound' },
        thresholdRange: { max: 500 },
        interval: '30s',
      },
    ]);
    expect(result.notes.some((n) => n.path.includes('templateRef'))).toBe(false);
  });

  it('drops the bash acceptance test and keeps the load test in autocannon form', () => {
    const webhooks = spec.analysis?.webhooks ?? [];
    expect(webhooks.map((w) => w.name)).toEqual(['load-test']);
    const dropped = result.notes.find((n) => n.path === 'spec.analysis.webhooks[0].metadata.cmd');
    expect(dropped?.message).toMatch(/acceptance-test was dropped.*runs no commands/);
  });

  it('does not report the gatewayRefs to its own Service as lost', () => {
    expect(result.notes.some((n) => n.path === 'spec.service.gatewayRefs')).toBe(false);
  });
});

describe('convertCanary', () => {
  it('names the Services after the target, as Flagger does, when the names differ', () => {
    const canary = minimalCanary({}, { targetRef: { kind: 'Deployment', name: 'web-v2' } });
    const spec = convertedCanary(canary).rollout.spec as { service: { name: string } };
    expect(spec.service).toEqual({ name: 'web-v2', port: 80, targetPort: 80 });
  });

  it("writes Flagger's default threshold of 1 when none is set", () => {
    const result = convertedCanary(minimalCanary({ threshold: undefined }));
    expect((result.rollout.spec as { analysis: { threshold: number } }).analysis.threshold).toBe(1);
    expect(result.notes.map((n) => n.path)).toContain('spec.analysis.threshold');
  });

  it('keeps stepWeights and lets their last step be the maximum', () => {
    const result = convertedCanary(
      minimalCanary({ stepWeight: undefined, maxWeight: 60, stepWeights: [5, 10, 30] }),
    );
    const analysis = (result.rollout.spec as { analysis: Record<string, unknown> }).analysis;
    expect(analysis.stepWeights).toEqual([5, 10, 30]);
    expect(analysis.maxWeight).toBeUndefined();
    expect(validateRollout(result.rollout).ok).toBe(true);
  });

  it("raises an interval below Flagger's 10s floor", () => {
    const result = convertedCanary(minimalCanary({ interval: '5s' }));
    expect((result.rollout.spec as { analysis: { interval: string } }).analysis.interval).toBe(
      '10s',
    );
  });

  it('turns the deprecated metric threshold into a range: a floor for the success rate', () => {
    const result = convertedCanary(
      minimalCanary({
        metrics: [
          { name: 'request-success-rate', threshold: 99 },
          { name: 'errors', threshold: 3, query: 'sum(x)' },
        ],
      }),
    );
    const metrics = (result.rollout.spec as { analysis: { metrics: unknown[] } }).analysis.metrics;
    expect(metrics).toEqual([
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
      { name: 'errors', thresholdRange: { max: 3 }, query: 'sum(x)', interval: '1m' },
    ]);
  });

  it('keeps a templateRef whose MetricTemplate is not in the input, saying to convert it too', () => {
    const result = convertedCanary(
      minimalCanary({
        metrics: [
          {
            name: 'latency',
            templateRef: { name: 'latency' },
            templateVariables: { quantile: 0.99 },
            thresholdRange: { max: 5 },
          },
        ],
      }),
    );
    expect((result.rollout.spec as { analysis: { metrics?: unknown } }).analysis.metrics).toEqual([
      {
        name: 'latency',
        templateRef: { name: 'latency' },
        templateVariables: { quantile: '0.99' },
        thresholdRange: { max: 5 },
        interval: '1m',
      },
    ]);
    expect(validateRollout(result.rollout).ok).toBe(true);
    expect(result.notes[0]).toMatchObject({
      path: 'spec.analysis.metrics[0].templateRef',
      kind: 'changed',
      message: expect.stringMatching(
        /fledge MetricTemplate shop\/latency, which is not in the input: convert the Flagger one/,
      ),
    });
  });

  it.each([
    [
      'asks another provider',
      { provider: { type: 'datadog' }, query: 'avg:x{*}' },
      /its MetricTemplate shop\/t: its provider is datadog; fledge asks Prometheus-API servers only/,
    ],
    [
      "uses Flagger's {{ ingress }}",
      { query: 'sum(rate(x{ingress="{{ ingress }}"}[1m]))' },
      /its query uses \{\{ ingress \}\}, which fledge does not fill in/,
    ],
    [
      'uses a variable the metric does not give',
      { query: 'sum(rate(x{d="{{ variables.direction }}"}[1m]))' },
      /uses \{\{ variables\.direction \}\}, which templateVariables does not give/,
    ],
  ])('drops a metric whose MetricTemplate %s, saying why', (_case, templateSpec, why) => {
    const template = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 't', namespace: 'shop' },
      spec: templateSpec,
    };
    const canary = minimalCanary({
      metrics: [{ name: 'm', templateRef: { name: 't' }, thresholdRange: { max: 5 } }],
    });
    const result = convertCanary(canary, [template], convertOptions);
    expect(result.ok).toBe(true);
    expect(result.notes[0]).toMatchObject({ kind: 'dropped', message: expect.stringMatching(why) });
  });

  it('refuses a Canary with neither steps nor iterations: nothing says how traffic moves', () => {
    const result = convertCanary(
      minimalCanary({ stepWeight: undefined, maxWeight: undefined, iterations: 0 }),
      [],
      convertOptions,
    );
    expect(result).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'spec.analysis',
          message: expect.stringMatching(/no stepWeight, stepWeights or iterations.*blue\/green/),
        },
      ],
    });
  });

  it('refuses a provider other than Linkerd routing', () => {
    const result = convertCanary(minimalCanary({}, { provider: 'istio' }), [], convertOptions);
    expect(result).toMatchObject({
      ok: false,
      problems: [{ path: 'spec.provider', message: expect.stringMatching(/^provider istio/) }],
    });
  });

  it('lists every field without a counterpart', () => {
    const result = convertedCanary(
      minimalCanary(
        { mirror: true },
        { ingressRef: { name: 'web' }, metricsServer: 'http://prom:9090' },
      ),
    );
    expect(result.notes.filter((n) => n.kind === 'dropped').map((n) => n.path)).toEqual([
      'spec.ingressRef',
      'spec.metricsServer',
      'spec.analysis.mirror',
    ]);
  });

  it("keeps a gate webhook to Flagger's loadtester, sent to fledge's at the same path", () => {
    const result = convertedCanary(
      minimalCanary({
        webhooks: [
          {
            name: 'approval',
            type: 'confirm-promotion',
            url: 'http://flagger-loadtester.test/gate/check',
          },
        ],
      }),
    );
    const webhooks = (result.rollout.spec as { analysis: { webhooks: unknown[] } }).analysis
      .webhooks;
    expect(webhooks).toEqual([
      {
        name: 'approval',
        type: 'confirm-promotion',
        url: 'http://fledge-loadtester.fledge-system/gate/check',
      },
    ]);
  });
});

describe('readFlaggerInput', () => {
  it('sorts Canaries, MetricTemplates and other documents, also inside a List', () => {
    const input = readFlaggerInput([
      {
        name: 'a.yaml',
        text: 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: flagger.app/v1beta1, kind: Canary, metadata: {name: x}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n',
      },
      {
        name: 'b.yaml',
        text: 'apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: t}\n',
      },
    ]);
    expect(input.canaries).toHaveLength(1);
    expect(input.templates).toHaveLength(1);
    expect(input.ignored).toEqual(['Service s']);
  });

  it('names the file and line of a YAML error', () => {
    const input = readFlaggerInput([{ name: 'bad.yaml', text: 'a: b\n  c: [\n' }]);
    expect(input.problems).toEqual([
      {
        path: expect.stringMatching(/^bad\.yaml:\d+$/),
        message: expect.stringMatching(/^not valid YAML/),
      },
    ]);
  });
});
