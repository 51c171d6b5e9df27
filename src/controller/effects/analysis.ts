import type { Effects } from '../../../machines/provide.js';
import { parseDuration } from '../../api/duration.js';
import { analyse } from '../../metrics/analysis.js';
import { checkGate, runWebhooks } from '../../webhooks/steps.js';
import type { EffectContext } from './context.js';

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
  });
  const options = (signal: AbortSignal) => ({
    registry: ctx.registry,
    logger: ctx.log,
    signal,
    ...(ctx.proxy === undefined ? { proxy: '' } : { proxy: ctx.proxy }),
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
        mode: rollout.spec.targetRef ? 'workload' : 'backend',
        namespace: rollout.metadata.namespace ?? 'default',
        target: names.target,
        service: names.canaryService,
        defaultIntervalMs: parseDuration(analysis.interval) ?? 60_000,
        provider: ctx.metrics,
        signal,
      });
    },
  };
}
