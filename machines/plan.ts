/**
 * What the rollout machine needs to know about a Rollout, already validated and with
 * defaults applied. `src/api` derives it from the Rollout spec (`planFromSpec`); the
 * machine never reads the raw spec, so it stays independent of the CRD's shape.
 */
/** Flagger's webhook types, in the order a rollout meets them. */
export const webhookTypes = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;

export type WebhookType = (typeof webhookTypes)[number];

/**
 * How the canary gets traffic (docs/strategies.md): `canary` steps the weight; `abTesting`
 * keeps it at 0 while requests that match go to the canary; `blueGreen` keeps it at 0 (the
 * canary gets only the load tests' traffic), then switches all of it at once.
 */
export const strategies = ['canary', 'abTesting', 'blueGreen'] as const;
export type Strategy = (typeof strategies)[number];

export interface RolloutPlan {
  /** workload: targetRef with a managed primary; backend: two existing Services. */
  mode: 'workload' | 'backend';
  strategy: Strategy;
  /**
   * Canary weights to step through, ascending; the last one is the maximum weight. None for
   * A/B testing; blue/green has one, 100, the switch.
   */
  weights: number[];
  /**
   * A/B testing and blue/green: analysis intervals before promotion, or before the switch.
   * 0 for a weighted canary, which steps after every passing interval.
   */
  iterations: number;
  /**
   * Whether the route sends some requests to the canary whatever the weight while it is
   * analysed: those that match (A/B testing), or those with the affinity cookie.
   */
  pinsRequests: boolean;
  /**
   * spec.analysis.stepWeightPromotion: after promotion, the percent of traffic that moves each
   * interval to where promotion ends (the primary; the canary backend in backend mode).
   * Unset: all of it at once.
   */
  promotionStep?: number;
  /** Failed checks that end the analysis. */
  threshold: number;
  /** Time between analyses, in milliseconds. */
  intervalMs: number;
  onFailure: 'rollback' | 'pause';
  onNoData: 'fail' | 'pause';
  promotion: 'auto' | 'manual';
  skipAnalysis: boolean;
  /** How long a workload may take to become ready before the rollout fails, in ms. */
  progressDeadlineMs: number;
  /** Which webhook types the spec declares, so the machine can skip absent steps. */
  webhookTypes: WebhookType[];
  /**
   * Whether a release waits in the controller's release queue for a slot before its analysis
   * (spec.releaseQueue or a controller limit); without, it takes its slot at once.
   */
  waitsForSlot?: boolean;
}
