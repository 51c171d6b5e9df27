import { parseGoDuration } from '../api/duration.js';
import { API_VERSION, KIND, type MetricSpec } from '../api/types.js';
import { formatProblems, validateRollout } from '../api/validate.js';
import type { Webhook } from '../webhooks/payload.js';
import { dropUnmapped, duration } from './fields.js';
import type {
  ConversionNote,
  FlaggerAnalysis,
  FlaggerCanary,
  FlaggerMetricTemplate,
} from './flagger-types.js';
import { convertMetric } from './metrics.js';
import { convertProvider } from './routing.js';
import { convertWebhook } from './webhooks.js';

export interface ConvertOptions {
  /** Where fledge's loadtester answers; calls to Flagger's loadtester are sent there. */
  loadtesterUrl: string;
  /** Flagger's --mesh-provider, for Canaries without spec.provider. */
  provider?: string;
}

export type CanaryConversion =
  | { ok: true; rollout: Record<string, unknown>; notes: ConversionNote[] }
  | { ok: false; reason: string; notes: ConversionNote[] };

const MAPPED_SPEC = new Set([
  'provider',
  'targetRef',
  'service',
  'analysis',
  'canaryAnalysis',
  'progressDeadlineSeconds',
  'skipAnalysis',
  'suspend',
]);
const MAPPED_SERVICE = new Set(['name', 'port', 'targetPort', 'gatewayRefs']);
const MAPPED_ANALYSIS = new Set([
  'interval',
  'threshold',
  'maxWeight',
  'stepWeight',
  'stepWeights',
  'metrics',
  'webhooks',
]);

export function convertCanary(
  canary: FlaggerCanary,
  templates: readonly FlaggerMetricTemplate[],
  options: ConvertOptions,
): CanaryConversion {
  const notes: ConversionNote[] = [];
  const fail = (reason: string): CanaryConversion => ({ ok: false, reason, notes });
  const spec = canary.spec ?? {};
  const name = canary.metadata?.name;
  const namespace = canary.metadata?.namespace;
  if (!name) return fail('metadata.name is missing');
  const target = spec.targetRef;
  if (!target?.name || (target.kind ?? 'Deployment') !== 'Deployment') {
    return fail(
      `spec.targetRef must name a Deployment (got ${target?.kind ?? 'nothing'}): fledge rolls out Deployments only`,
    );
  }
  const routing = convertProvider(
    spec.provider,
    options.provider,
    (spec.service?.gatewayRefs?.length ?? 0) > 0,
  );
  if (!routing.ok) return fail(`spec.provider: ${routing.reason}`);
  if (routing.note) notes.push({ path: 'spec.provider', kind: 'changed', message: routing.note });
  const flaggerAnalysis = spec.analysis ?? spec.canaryAnalysis;
  if (!flaggerAnalysis)
    return fail('spec.analysis is missing: there is nothing to convert into steps');
  if (spec.canaryAnalysis && !spec.analysis) {
    notes.push({
      path: 'spec.canaryAnalysis',
      kind: 'changed',
      message: 'the deprecated canaryAnalysis became spec.analysis',
    });
  }
  const port = spec.service?.port;
  if (typeof port !== 'number') return fail('spec.service.port is missing');

  dropUnmapped(spec, MAPPED_SPEC, 'spec', notes);
  dropUnmapped(spec.service, MAPPED_SERVICE, 'spec.service', notes);
  const apex = spec.service?.name ?? target.name;
  const foreignRefs = (spec.service?.gatewayRefs ?? []).filter(
    (ref) => ref.kind !== 'Service' || ref.name !== apex,
  );
  if (foreignRefs.length > 0) {
    notes.push({
      path: 'spec.service.gatewayRefs',
      kind: 'dropped',
      message: `fledge attaches its HTTPRoute to the apex Service ${apex} only (Linkerd's GAMMA mode); ${foreignRefs.map((r) => `${r.kind ?? 'Gateway'} ${r.name ?? ''}`).join(', ')} has no counterpart`,
    });
  }
  const analysis = convertAnalysis(flaggerAnalysis, name, namespace, templates, options, notes);
  if ('reason' in analysis) return fail(analysis.reason);

  const rollout = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(canary.metadata?.labels ? { labels: canary.metadata.labels } : {}),
    },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
      // Flagger names the Services after the target, fledge after the Rollout: keep Flagger's.
      service: {
        name: spec.service?.name ?? target.name,
        port,
        targetPort: spec.service?.targetPort ?? port,
      },
      routing: routing.routing,
      analysis: analysis.analysis,
      ...(spec.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: spec.progressDeadlineSeconds }
        : {}),
      ...(spec.skipAnalysis ? { skipAnalysis: true } : {}),
      ...(spec.suspend ? { suspend: true } : {}),
    },
  };
  const validation = validateRollout(rollout);
  if (!validation.ok)
    return fail(`the converted Rollout is not valid:\n${formatProblems(validation.problems)}`);
  return { ok: true, rollout, notes };
}

function convertAnalysis(
  flagger: FlaggerAnalysis,
  canaryName: string,
  namespace: string | undefined,
  templates: readonly FlaggerMetricTemplate[],
  options: ConvertOptions,
  notes: ConversionNote[],
): { analysis: Record<string, unknown> } | { reason: string } {
  const path = 'spec.analysis';
  const hasSteps = flagger.stepWeight !== undefined || (flagger.stepWeights?.length ?? 0) > 0;
  if (!hasSteps) {
    return {
      reason: `${path} has no stepWeight or stepWeights${flagger.iterations ? ` but iterations (${flagger.iterations})` : ''}: this is a Flagger A/B or blue/green Canary, and fledge only shifts weights step by step; add stepWeight and maxWeight to convert it`,
    };
  }
  dropUnmapped(flagger, MAPPED_ANALYSIS, path, notes);

  let interval = duration(flagger.interval ?? '1m');
  if (interval === undefined)
    return { reason: `${path}.interval "${flagger.interval}" is not a duration` };
  if ((parseGoDuration(interval) ?? 0) < 10_000) {
    notes.push({
      path: `${path}.interval`,
      kind: 'changed',
      message: `${interval} became 10s, the shortest interval Flagger runs`,
    });
    interval = '10s';
  }
  const threshold = flagger.threshold && flagger.threshold > 0 ? flagger.threshold : 1;
  if (!flagger.threshold) {
    notes.push({
      path: `${path}.threshold`,
      kind: 'changed',
      message: "not set: Flagger's default 1 is written (fledge's own default is 5)",
    });
  }
  const weights: Record<string, unknown> = {};
  if (flagger.stepWeights?.length) {
    weights.stepWeights = flagger.stepWeights;
    const last = flagger.stepWeights.at(-1);
    if (flagger.maxWeight !== undefined && flagger.maxWeight !== last) {
      notes.push({
        path: `${path}.maxWeight`,
        kind: 'dropped',
        message: `Flagger ignores maxWeight ${flagger.maxWeight} with stepWeights; the last step (${last}) is the maximum`,
      });
    }
  } else {
    weights.stepWeight = flagger.stepWeight;
    if (flagger.maxWeight !== undefined) weights.maxWeight = flagger.maxWeight;
  }

  const metrics = (flagger.metrics ?? [])
    .map((m, i) =>
      convertMetric(m, `${path}.metrics[${i}]`, canaryName, namespace, templates, notes),
    )
    .filter((m): m is MetricSpec => m !== undefined);
  const webhooks = (flagger.webhooks ?? [])
    .map((w, i) => convertWebhook(w, `${path}.webhooks[${i}]`, options.loadtesterUrl, notes))
    .filter((w): w is Webhook => w !== undefined);
  return {
    analysis: {
      interval,
      threshold,
      ...weights,
      ...(metrics.length > 0 ? { metrics } : {}),
      ...(webhooks.length > 0 ? { webhooks } : {}),
    },
  };
}
