import type { Effects } from '../../../machines/provide.js';
import type { ConditionUpdate } from '../../api/conditions.js';
import { parseDuration } from '../../api/duration.js';
import type { Rollout } from '../../api/types.js';
import { analyse } from '../../metrics/analysis.js';
import { type JudgedSide, sampleAndJudge } from '../../metrics/judge-sampling.js';
import type { AnalysisMode } from '../../metrics/linkerd.js';
import type { ResolvedMetrics } from '../../metrics/metric-templates.js';
import type { MetricsProvider } from '../../metrics/prometheus.js';
import { checkGate, runWebhooks } from '../../webhooks/steps.js';
import type { EffectContext } from './context.js';

/**
 * Where a canary is measured: workload mode at its pods; backend mode by its callers here,
 * unless the canary is in a linked cluster whose Prometheus the controller knows: then
 * inbound at its pods there, under the Service's own name.
 */
export function metricsSource(
  rollout: Rollout,
  canaryService: string,
  ctx: Pick<EffectContext, 'metrics' | 'clusterMetrics'>,
): { mode: AnalysisMode; service: string; provider: MetricsProvider } {
  if (rollout.spec.targetRef) {
    return { mode: 'workload', service: canaryService, provider: ctx.metrics };
  }
  const canary = rollout.spec.backends?.canary;
  const remote = canary?.cluster ? ctx.clusterMetrics(canary.cluster) : undefined;
  return remote && canary
    ? { mode: 'remote', service: canary.service, provider: remote }
    : { mode: 'backend', service: canaryService, provider: ctx.metrics };
}

/** The condition on a Rollout whose metrics name MetricTemplates: can each be used? */
export const CONDITION_METRIC_TEMPLATES = 'MetricTemplates';

/** Whether every MetricTemplate the metrics name can be asked; the problems name their fixes. */
export function metricTemplatesCondition(
  resolved: ResolvedMetrics,
): ConditionUpdate & { reason: string; message: string } {
  const [first] = resolved.problems;
  if (first) {
    return {
      type: CONDITION_METRIC_TEMPLATES,
      status: 'False',
      reason: first.problem.reason,
      message: resolved.problems
        .map(({ metric, problem }) => `metric ${metric}: ${problem.message}`)
        .join('; '),
    };
  }
  return {
    type: CONDITION_METRIC_TEMPLATES,
    status: 'True',
    reason: 'TemplatesFound',
    message: 'every MetricTemplate the metrics name exists and can be asked',
  };
}

/**
 * Where the primary is measured for the judge: at its pods in workload mode; by the callers
 * of the stable Service here in backend mode, also when the canary is in a linked cluster.
 */
export function primarySource(
  rollout: Rollout,
  names: { primary: string; primaryService: string },
  ctx: Pick<EffectContext, 'metrics'>,
): JudgedSide {
  return {
    mode: rollout.spec.targetRef ? 'workload' : 'backend',
    provider: ctx.metrics,
    target: names.primary,
    service: names.primaryService,
  };
}

/** The effects that judge a canary, the same in both modes: gates, webhooks and metrics. */
export function analysisEffects(
  ctx: EffectContext,
  names: { target: string; canaryService: string; primary: string; primaryService: string },
): Pick<Effects, 'checkGate' | 'runWebhooks' | 'analyse'> {
  const about = () => ({
    name: ctx.rollout().metadata.name ?? '',
    namespace: ctx.rollout().metadata.namespace ?? 'default',
    phase: ctx.phase(),
    checksum: ctx.revision(),
    ...ctx.progress(),
    revision: ctx.revision(),
  });
  const options = (signal: AbortSignal) => ({
    registry: ctx.registry,
    logger: ctx.log,
    signal,
    ...ctx.webhooks,
  });
  const webhooks = () => ctx.rollout().spec.analysis.webhooks ?? [];
  /** The last MetricTemplates condition: a change is also an Event, once. */
  let templates: ReturnType<typeof metricTemplatesCondition> | undefined;
  const reportTemplates = (resolved: ResolvedMetrics) => {
    if (!resolved.usesTemplates) return;
    const condition = metricTemplatesCondition(resolved);
    ctx.condition(condition);
    if (condition.message !== templates?.message && condition.status === 'False') {
      ctx.report({ type: 'Warning', reason: condition.reason, message: condition.message });
    }
    templates = condition;
  };
  return {
    checkGate: ({ type }, signal) => checkGate(webhooks(), type, about(), options(signal)),
    runWebhooks: ({ type }, signal) => runWebhooks(webhooks(), type, about(), options(signal)),
    analyse: async (_input, signal) => {
      const rollout = ctx.rollout();
      const { analysis } = rollout.spec;
      const namespace = rollout.metadata.namespace ?? 'default';
      const resolved = await ctx.templates.resolve(analysis.metrics ?? [], {
        name: rollout.metadata.name ?? '',
        namespace,
      });
      reportTemplates(resolved);
      const intervalMs = parseDuration(analysis.interval) ?? 60_000;
      const canary = metricsSource(rollout, names.canaryService, ctx);
      const [thresholds, judged] = await Promise.all([
        analyse({
          metrics: resolved.metrics,
          ...canary,
          namespace,
          target: names.target,
          defaultIntervalMs: intervalMs,
          signal,
        }),
        analysis.judge &&
          sampleAndJudge({
            spec: analysis.judge,
            namespace,
            canary: { ...canary, target: names.target },
            primary: primarySource(rollout, names, ctx),
            analysisIntervalMs: intervalMs,
            nowMs: Date.now(),
            signal,
          }),
      ]);
      if (!judged) return thresholds;
      return {
        results: [...thresholds.results, judged.result],
        noData: thresholds.noData,
        ...(judged.judgement ? { judgement: judged.judgement } : {}),
      };
    },
  };
}
