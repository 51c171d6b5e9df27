import { parseGoDuration } from '../api/duration.js';
import { API_VERSION, KIND, type MetricSpec } from '../api/types.js';
import { validateRollout } from '../api/validate.js';
import type { Webhook } from '../webhooks/payload.js';
import { convertAlerts } from './alert-provider.js';
import { convertAutoscalerRef } from './autoscaler.js';
import { deletionNote, dropUnmapped, duration } from './fields.js';
import { canaryShapeProblems } from './flagger-schema.js';
import type {
  ConversionNote,
  ConversionProblem,
  ConversionReport,
  FlaggerAlertProvider,
  FlaggerAnalysis,
  FlaggerCanary,
  FlaggerMetricTemplate,
} from './flagger-types.js';
import { convertMetric } from './metrics.js';
import { convertProvider } from './routing.js';
import { convertService } from './service.js';
import { convertStrategy, routeOnlyField } from './strategy.js';
import { convertWebhook } from './webhooks.js';

export interface ConvertOptions {
  /** Where fledge's loadtester answers; calls to Flagger's loadtester are sent there. */
  loadtesterUrl: string;
  /** Flagger's --mesh-provider, for Canaries without spec.provider. */
  provider?: string;
}

export type CanaryConversion =
  | { ok: true; rollout: Record<string, unknown>; notes: ConversionNote[] }
  | { ok: false; problems: ConversionProblem[]; notes: ConversionNote[] };

const MAPPED_SPEC = new Set([
  'provider',
  'targetRef',
  'autoscalerRef',
  'service',
  'analysis',
  'canaryAnalysis',
  'progressDeadlineSeconds',
  'skipAnalysis',
  'suspend',
  'revertOnDeletion',
]);
const MAPPED_ANALYSIS = new Set([
  'interval',
  'threshold',
  'maxWeight',
  'stepWeight',
  'stepWeights',
  'stepWeightPromotion',
  'primaryReadyThreshold',
  'canaryReadyThreshold',
  'iterations',
  'match',
  'mirror',
  'mirrorWeight',
  'sessionAffinity',
  'metrics',
  'webhooks',
  'alerts',
]);

/** Where each part of the Rollout came from in the Canary, to name a refused field there. */
interface Origins {
  analysis: 'spec.analysis' | 'spec.canaryAnalysis';
  metrics: number[];
  webhooks: number[];
  alerts: number[];
  serviceName: string;
}

/** The shared objects of the input that a Canary may refer to. */
interface SharedObjects {
  templates: readonly FlaggerMetricTemplate[];
  alertProviders: readonly FlaggerAlertProvider[];
}

/**
 * One Flagger Canary as a fledge Rollout. It never throws: a Canary that cannot be converted
 * comes back with its problems, each at the Canary field to fix, and what was left out or
 * changed is in the notes either way.
 */
export function convertCanary(
  canary: FlaggerCanary,
  templates: readonly FlaggerMetricTemplate[],
  options: ConvertOptions,
  alertProviders: readonly FlaggerAlertProvider[] = [],
): CanaryConversion {
  const report: ConversionReport = { notes: [], problems: canaryShapeProblems(canary) };
  const fail = (): CanaryConversion => ({
    ok: false,
    problems: report.problems,
    notes: report.notes,
  });
  if (report.problems.length > 0) return fail();
  const problem = (path: string, message: string) => {
    report.problems.push({ path, message });
    return fail();
  };
  const spec = canary.spec ?? {};
  const name = canary.metadata?.name ?? '';
  const namespace = canary.metadata?.namespace;
  const target = spec.targetRef ?? {};
  if ((target.kind ?? 'Deployment') !== 'Deployment') {
    return problem('spec.targetRef.kind', `is ${target.kind}: fledge rolls out Deployments only`);
  }
  const analysisPath = spec.analysis ? 'spec.analysis' : 'spec.canaryAnalysis';
  const flaggerAnalysis = spec.analysis ?? spec.canaryAnalysis;
  const routing = convertProvider(
    spec.provider,
    options.provider,
    impliedGatewayApi(spec.service?.gatewayRefs, flaggerAnalysis, analysisPath),
  );
  if (!routing.ok) return problem('spec.provider', routing.reason);
  if (routing.note)
    report.notes.push({ path: 'spec.provider', kind: 'changed', message: routing.note });
  const routeOnly = flaggerAnalysis && routeOnlyField(flaggerAnalysis);
  if (routeOnly && routing.routing.provider !== 'gateway-api') {
    return problem(
      'spec.provider',
      `is ${spec.provider ?? options.provider}, an SMI TrafficSplit, which only splits by weight; ${analysisPath}.${routeOnly} needs Linkerd's HTTPRoute (Linkerd 2.14+): set spec.provider: gatewayapi:v1, or pass --provider gatewayapi:v1`,
    );
  }
  if (!flaggerAnalysis)
    return problem('spec.analysis', 'is missing: there is nothing to convert into steps');
  if (spec.canaryAnalysis && !spec.analysis) {
    report.notes.push({
      path: 'spec.canaryAnalysis',
      kind: 'changed',
      message: 'the deprecated canaryAnalysis became spec.analysis',
    });
  }
  dropUnmapped(spec, MAPPED_SPEC, 'spec', report.notes);
  const apex = spec.service?.name ?? target.name;
  const service = convertService(spec.service ?? {}, apex, report);
  const deletion = deletionNote(spec.revertOnDeletion);
  if (deletion) report.notes.push(deletion);
  const foreignRefs = (spec.service?.gatewayRefs ?? []).filter(
    (ref) => ref.kind !== 'Service' || ref.name !== apex,
  );
  if (foreignRefs.length > 0) {
    report.notes.push({
      path: 'spec.service.gatewayRefs',
      kind: 'dropped',
      message: `fledge attaches its HTTPRoute to the apex Service ${apex} only (Linkerd's GAMMA mode); ${foreignRefs.map((r) => `${r.kind ?? 'Gateway'} ${r.name ?? ''}`).join(', ')} has no counterpart`,
    });
  }
  const origins: Origins = {
    analysis: analysisPath,
    metrics: [],
    webhooks: [],
    alerts: [],
    serviceName: spec.service?.name === undefined ? 'spec.targetRef.name' : 'spec.service.name',
  };
  const analysis = convertAnalysis(
    flaggerAnalysis,
    analysisPath,
    name,
    namespace,
    { templates, alertProviders },
    options,
    report,
    origins,
  );
  const autoscalerRef = convertAutoscalerRef(spec.autoscalerRef, target.name, report);
  if (!analysis || report.problems.length > 0) return fail();

  const rollout = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(canary.metadata?.labels ? { labels: canary.metadata.labels } : {}),
    },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
      ...(autoscalerRef ? { autoscalerRef } : {}),
      service,
      routing: routing.routing,
      analysis,
      ...(spec.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: spec.progressDeadlineSeconds }
        : {}),
      ...(spec.skipAnalysis ? { skipAnalysis: true } : {}),
      ...(spec.suspend ? { suspend: true } : {}),
    },
  };
  const validation = validateRollout(rollout);
  if (!validation.ok) {
    for (const refused of validation.problems) {
      report.problems.push({
        path: canaryPath(refused.path, origins),
        message: `${refused.message} in the Rollout it becomes (${refused.path}); ${refused.fix}`,
      });
    }
    return fail();
  }
  return { ok: true, rollout, notes: report.notes };
}

/** The Canary's fields that only Gateway API routing carries, named for the note that says so. */
function impliedGatewayApi(
  gatewayRefs: unknown[] | undefined,
  analysis: FlaggerAnalysis | undefined,
  analysisPath: string,
): string | undefined {
  const routeOnly = analysis && routeOnlyField(analysis);
  const implied = [
    ...((gatewayRefs?.length ?? 0) > 0 ? ['service.gatewayRefs'] : []),
    ...(routeOnly ? [`${analysisPath.slice('spec.'.length)}.${routeOnly}`] : []),
  ];
  return implied.length > 0 ? implied.join(' and ') : undefined;
}

/** The Canary field a field of the converted Rollout came from. */
function canaryPath(rolloutPath: string, origins: Origins): string {
  const listItem = /^spec\.analysis\.(metrics|webhooks|alerts)\[(\d+)\](.*)$/.exec(rolloutPath);
  if (listItem) {
    const [, list, index, rest] = listItem as unknown as [
      string,
      'metrics' | 'webhooks' | 'alerts',
      string,
      string,
    ];
    const source = origins[list][Number(index)] ?? Number(index);
    return `${origins.analysis}.${list}[${source}]${rest}`;
  }
  if (rolloutPath.startsWith('spec.analysis'))
    return `${origins.analysis}${rolloutPath.slice('spec.analysis'.length)}`;
  if (rolloutPath === 'spec.service.name') return origins.serviceName;
  if (rolloutPath.startsWith('spec.routing')) return 'spec.provider';
  return rolloutPath;
}

function convertAnalysis(
  flagger: FlaggerAnalysis,
  path: string,
  canaryName: string,
  namespace: string | undefined,
  { templates, alertProviders }: SharedObjects,
  options: ConvertOptions,
  report: ConversionReport,
  origins: Origins,
): Record<string, unknown> | undefined {
  const { notes, problems } = report;
  const strategy = convertStrategy(flagger, path, report);
  if (!strategy) return undefined;
  dropUnmapped(flagger, MAPPED_ANALYSIS, path, notes);

  let interval = duration(flagger.interval ?? '1m');
  if (interval === undefined) {
    problems.push({
      path: `${path}.interval`,
      message: `${JSON.stringify(flagger.interval)} is not a duration such as 30s or 1m`,
    });
    return undefined;
  }
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
  const metrics: MetricSpec[] = [];
  (flagger.metrics ?? []).forEach((m, i) => {
    const metric = convertMetric(
      m,
      `${path}.metrics[${i}]`,
      canaryName,
      namespace,
      templates,
      report,
    );
    if (metric) {
      metrics.push(metric);
      origins.metrics.push(i);
    }
  });
  const webhooks: Webhook[] = [];
  (flagger.webhooks ?? []).forEach((w, i) => {
    const webhook = convertWebhook(w, `${path}.webhooks[${i}]`, options.loadtesterUrl, report);
    if (webhook) {
      webhooks.push(webhook);
      origins.webhooks.push(i);
    }
  });
  const { alerts, origins: alertOrigins } = convertAlerts(
    flagger.alerts ?? [],
    `${path}.alerts`,
    namespace,
    alertProviders,
    report,
  );
  origins.alerts = alertOrigins;
  if (problems.length > 0) return undefined;
  return {
    interval,
    threshold,
    ...strategy,
    ...readyThresholds(flagger),
    ...(metrics.length > 0 ? { metrics } : {}),
    ...(webhooks.length > 0 ? { webhooks } : {}),
    ...(alerts.length > 0 ? { alerts } : {}),
  };
}

/** Flagger's ready thresholds, which fledge reads the same way (percent of replicas available). */
function readyThresholds(flagger: FlaggerAnalysis): Record<string, number> {
  return {
    ...(flagger.primaryReadyThreshold !== undefined
      ? { primaryReadyThreshold: flagger.primaryReadyThreshold }
      : {}),
    ...(flagger.canaryReadyThreshold !== undefined
      ? { canaryReadyThreshold: flagger.canaryReadyThreshold }
      : {}),
  };
}
