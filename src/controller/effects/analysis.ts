import type { Effects } from '../../../machines/provide.js';
import { parseDuration } from '../../api/duration.js';
import type { Rollout } from '../../api/types.js';
import { analyse } from '../../metrics/analysis.js';
import type { AnalysisMode } from '../../metrics/linkerd.js';
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

/** The effects that judge a canary, the same in both modes: gates, webhooks and metrics. */
export function analysisEffects(
  ctx: EffectContext,
  names: { target: string; canaryService: string },
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
  return {
    checkGate: ({ type }, signal) => checkGate(webhooks(), type, about(), options(signal)),
    runWebhooks: ({ type }, signal) => runWebhooks(webhooks(), type, about(), options(signal)),
    analyse: (_input, signal) => {
      const rollout = ctx.rollout();
      const { analysis } = rollout.spec;
      return analyse({
        metrics: analysis.metrics ?? [],
        ...metricsSource(rollout, names.canaryService, ctx),
        namespace: rollout.metadata.namespace ?? 'default',
        target: names.target,
        defaultIntervalMs: parseDuration(analysis.interval) ?? 60_000,
        signal,
      });
    },
  };
}
