/**
 * The Rollout's types under the names the rest of fledge uses. They are generated from
 * crds/rollout.yaml and describe a Rollout as validateRollout returns it: every default
 * applied, so consumers never repeat a default.
 */
import type { BackendsSpec, RolloutStatus } from './rollout.generated.js';

export type {
  AnalysisSpec,
  BackendsSpec,
  Condition,
  HistoryEntry,
  HistoryMetric,
  JudgedMetricStatus,
  JudgeMetricSpec,
  JudgementStatus,
  JudgeSpec,
  ManualAction,
  MetricSpec,
  MetricStatus,
  Rollout,
  RolloutSpec,
  RolloutStatus,
  RoutingSpec,
  ServiceSpec,
  TargetRef,
  ThresholdRange,
  WebhookSpec,
  WriterStamp,
} from './rollout.generated.js';

export const GROUP = 'fledge.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'Rollout';
export const PLURAL = 'rollouts';

export type Backend = BackendsSpec['stable'];
export type Phase = NonNullable<RolloutStatus['phase']>;

/** The metrics fledge knows how to query without a `query`. */
export const BUILT_IN_METRICS = ['request-success-rate', 'request-duration'] as const;
export type BuiltInMetric = (typeof BUILT_IN_METRICS)[number];

/** The condition types fledge sets on a Rollout. */
export const CONDITION_PROMOTED = 'Promoted';
export const CONDITION_INVALID = 'Invalid';

/** The annotations of contract §3, through which people steer a Rollout. */
export const ANNOTATIONS = {
  promote: `${GROUP}/promote`,
  abort: `${GROUP}/abort`,
  retry: `${GROUP}/retry`,
  pause: `${GROUP}/pause`,
} as const;

/** The annotations fledge removes once it has acted on them; `pause` stays while it is wanted. */
export const ONE_SHOT_ANNOTATIONS: readonly string[] = [
  ANNOTATIONS.promote,
  ANNOTATIONS.abort,
  ANNOTATIONS.retry,
];
