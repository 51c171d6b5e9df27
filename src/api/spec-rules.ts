/**
 * The rules a structural schema cannot express (it relates fields to each other, or needs
 * parsing). Each rule reads the Rollout defensively: the input may also have failed the
 * schema, and every problem is reported at once, so a rule skips what is not of its type.
 */

import { templateProblem } from '../metrics/templates.js';
import { durationProblems } from './duration-rules.js';
import { isObject } from './json.js';
import { judgeProblems } from './judge-rules.js';
import { nameProblems } from './name-rules.js';
import type { Problem } from './problems.js';
import { serviceProblems } from './service-rules.js';
import { strategyProblems } from './strategy-rules.js';
import { API_VERSION, BUILT_IN_METRICS, KIND } from './types.js';

type Fields = Record<string, unknown>;

/** Routing apiVersions by provider; the first is the default. */
export const ROUTING_API_VERSIONS = {
  smi: ['split.smi-spec.io/v1alpha2', 'split.smi-spec.io/v1alpha1'],
  'gateway-api': [
    'gateway.networking.k8s.io/v1',
    'gateway.networking.k8s.io/v1beta1',
    'policy.linkerd.io/v1beta3',
    'gateway.networking.k8s.io/v1alpha2',
  ],
} as const;

export function checkRules(rollout: unknown): Problem[] {
  const root = fields(rollout) ?? {};
  const spec = fields(root.spec) ?? {};
  const analysis = fields(spec.analysis) ?? {};
  return [
    ...identityProblems(root),
    ...nameProblems(root, spec),
    ...weightProblems(analysis),
    ...durationProblems(analysis),
    ...metricProblems(analysis),
    ...judgeProblems(analysis),
    ...webhookProblems(analysis),
    ...routingProblems(fields(spec.routing) ?? {}),
    ...serviceProblems(spec),
    ...backendProblems(fields(spec.backends) ?? {}),
    ...autoscalerProblems(spec),
    ...strategyProblems(spec),
  ];
}

function identityProblems(root: Fields): Problem[] {
  const problems: Problem[] = [];
  if (root.apiVersion !== API_VERSION) {
    problems.push({
      path: 'apiVersion',
      message: `must be ${API_VERSION}; got ${show(root.apiVersion)}`,
      fix: `set apiVersion: ${API_VERSION}`,
    });
  }
  if (root.kind !== KIND) {
    problems.push({
      path: 'kind',
      message: `must be ${KIND}; got ${show(root.kind)}`,
      fix: `set kind: ${KIND}`,
    });
  }
  return problems;
}

function weightProblems(analysis: Fields): Problem[] {
  const problems: Problem[] = [];
  const { maxWeight, stepWeight } = analysis;
  if (isNumber(stepWeight) && isNumber(maxWeight) && stepWeight > maxWeight) {
    problems.push({
      path: 'spec.analysis.stepWeight',
      message: `${stepWeight} is greater than maxWeight ${maxWeight}`,
      fix: `lower stepWeight to ${maxWeight} or less, or raise maxWeight to ${stepWeight} or more`,
    });
  }
  const weights = Array.isArray(analysis.stepWeights) ? analysis.stepWeights : [];
  weights.forEach((weight, index) => {
    const previous = weights[index - 1];
    if (index > 0 && isNumber(weight) && isNumber(previous) && weight <= previous) {
      problems.push({
        path: `spec.analysis.stepWeights[${index}]`,
        message: `${weight} does not rise above the weight before it (${previous})`,
        fix: 'list the weights in strictly ascending order, without repeats',
      });
    }
    if (isNumber(weight) && isNumber(maxWeight) && weight > maxWeight) {
      problems.push({
        path: `spec.analysis.stepWeights[${index}]`,
        message: `${weight} is greater than maxWeight ${maxWeight}`,
        fix: `keep every weight at or below ${maxWeight}, or remove maxWeight (it defaults to the last weight)`,
      });
    }
  });
  const last = weights.at(-1);
  if (isNumber(last) && isNumber(maxWeight) && last < maxWeight) {
    problems.push({
      path: 'spec.analysis.maxWeight',
      message: `${maxWeight} is never reached: the last of stepWeights is ${last}`,
      fix: `end stepWeights with ${maxWeight}, or remove maxWeight (it defaults to the last weight)`,
    });
  }
  return problems;
}

function metricProblems(analysis: Fields): Problem[] {
  const builtIn: readonly unknown[] = BUILT_IN_METRICS;
  return items(analysis.metrics).flatMap((metric, i): Problem[] => {
    const problems: Problem[] = [];
    const { name, query, templateRef, templateVariables } = metric;
    const at = `spec.analysis.metrics[${i}]`;
    if (
      typeof name === 'string' &&
      query === undefined &&
      templateRef === undefined &&
      !builtIn.includes(name)
    ) {
      problems.push({
        path: `${at}.query`,
        message: `is required: ${name} is not a built-in metric and has no templateRef`,
        fix: `add a PromQL query or a templateRef to a MetricTemplate, or use a built-in metric (${BUILT_IN_METRICS.join(', ')})`,
      });
    }
    if (query !== undefined && templateRef !== undefined) {
      problems.push({
        path: `${at}.query`,
        message: 'is given with templateRef: a metric takes its query from one or the other',
        fix: 'remove query to use the MetricTemplate, or remove templateRef to use query',
      });
    }
    if (templateVariables !== undefined && templateRef === undefined) {
      problems.push({
        path: `${at}.templateVariables`,
        message:
          "are given without templateRef: only a MetricTemplate's query has {{ variables.NAME }}",
        fix: 'add the templateRef they are meant for, or write the values into query',
      });
    }
    const template = typeof query === 'string' ? templateProblem(query) : undefined;
    if (template !== undefined) {
      problems.push({
        path: `${at}.query`,
        message: template,
        fix: "fledge fills in only these placeholders in a metric's own query: write any other value into the query itself, or move the query into a MetricTemplate, whose query may use {{ name }} and {{ variables.NAME }}",
      });
    }
    const range = fields(metric.thresholdRange) ?? {};
    if (isNumber(range.min) && isNumber(range.max) && range.min > range.max) {
      problems.push({
        path: `spec.analysis.metrics[${i}].thresholdRange`,
        message: `min ${range.min} is greater than max ${range.max}: no value can pass`,
        fix: 'make min less than or equal to max',
      });
    }
    return problems;
  });
}

function webhookProblems(analysis: Fields): Problem[] {
  return items(analysis.webhooks).flatMap((webhook, i): Problem[] => {
    if (typeof webhook.url !== 'string' || isHttpUrl(webhook.url)) return [];
    return [
      {
        path: `spec.analysis.webhooks[${i}].url`,
        message: `${show(webhook.url)} is not a valid http(s) URL`,
        fix: 'write a full URL such as http://fledge-loadtester.fledge-system/',
      },
    ];
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function routingProblems(routing: Fields): Problem[] {
  const { provider, apiVersion } = routing;
  if (provider !== 'smi' && provider !== 'gateway-api') return [];
  const allowed: readonly unknown[] = ROUTING_API_VERSIONS[provider];
  if (apiVersion === undefined || allowed.includes(apiVersion)) return [];
  return [
    {
      path: 'spec.routing.apiVersion',
      message: `${show(apiVersion)} is not an apiVersion of provider ${provider}`,
      fix: `use one of ${allowed.join(', ')}, or change spec.routing.provider`,
    },
  ];
}

function backendProblems(backends: Fields): Problem[] {
  const stable = fields(backends.stable);
  const canary = fields(backends.canary);
  if (!stable || !canary || typeof stable.service !== 'string') return [];
  if (stable.service !== canary.service || stable.cluster !== canary.cluster) return [];
  return [
    {
      path: 'spec.backends.canary',
      message: `is the same Service as the stable backend (${stable.service})`,
      fix: 'point canary at the Service that serves the new version',
    },
  ];
}

/** An autoscaler scales the target and its primary copy: there is none in backend mode. */
function autoscalerProblems(spec: Fields): Problem[] {
  const ref = fields(spec.autoscalerRef);
  if (!ref) return [];
  const problems: Problem[] = [];
  if (spec.targetRef === undefined) {
    problems.push({
      path: 'spec.autoscalerRef',
      message: 'needs spec.targetRef: backend mode manages no workload to scale',
      fix: 'remove spec.autoscalerRef, or roll out a Deployment with spec.targetRef',
    });
  }
  const { minReplicas, maxReplicas } = fields(ref.primaryScalerReplicas) ?? {};
  if (isNumber(minReplicas) && isNumber(maxReplicas) && minReplicas > maxReplicas) {
    problems.push({
      path: 'spec.autoscalerRef.primaryScalerReplicas',
      message: `minReplicas ${minReplicas} is greater than maxReplicas ${maxReplicas}`,
      fix: 'make minReplicas less than or equal to maxReplicas',
    });
  }
  return problems;
}

function fields(value: unknown): Fields | undefined {
  return isObject(value) ? value : undefined;
}

function items(value: unknown): Fields[] {
  return Array.isArray(value) ? value.map((item) => fields(item) ?? {}) : [];
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
