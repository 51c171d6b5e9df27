import { describe, expect, it } from 'vitest';
import { metricTemplatesCondition } from '../../../src/controller/effects/analysis.js';

describe('metricTemplatesCondition', () => {
  it('is True when every template the metrics name can be asked', () => {
    expect(metricTemplatesCondition({ metrics: [], problems: [], usesTemplates: true })).toEqual({
      type: 'MetricTemplates',
      status: 'True',
      reason: 'TemplatesFound',
      message: 'every MetricTemplate the metrics name exists and can be asked',
    });
  });

  it('is False with the first reason and every problem, each naming its metric', () => {
    const condition = metricTemplatesCondition({
      metrics: [],
      usesTemplates: true,
      problems: [
        {
          metric: 'success-rate',
          problem: {
            reason: 'MetricTemplateNotFound',
            message: 'MetricTemplate test/sr does not exist',
          },
        },
        {
          metric: 'latency',
          problem: { reason: 'MetricSecretNotFound', message: 'Secret test/auth does not exist' },
        },
      ],
    });
    expect(condition).toEqual({
      type: 'MetricTemplates',
      status: 'False',
      reason: 'MetricTemplateNotFound',
      message:
        'metric success-rate: MetricTemplate test/sr does not exist; metric latency: Secret test/auth does not exist',
    });
  });
});
