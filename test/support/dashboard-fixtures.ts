import type { RolloutStatus } from '../../src/api/types.js';
import type { RolloutObject } from '../../src/cli/rollout-object.js';
import { type ApiServer, isNotFound } from '../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../src/kube/resources.js';

export interface ReleaseStory {
  /** Epoch ms of the first entry. */
  start: number;
  intervalMs: number;
  revision: string;
  /** Success rate (percent) per analysis interval; below 99 fails. */
  successRates: number[];
  /** p99 latency (ms) per interval; above 500 fails. */
  latencies: number[];
  threshold: number;
  stepWeight: number;
  maxWeight: number;
}

type Entry = Record<string, unknown>;

/**
 * A release told as the controller records it: one entry per decision, the analysis
 * intervals with their values, weight steps after passing intervals, failed checks, and the
 * end: promoted at maxWeight, or rolled back at the threshold-th failed check.
 */
export function releaseHistory(story: ReleaseStory): { history: Entry[]; status: RolloutStatus } {
  const history: Entry[] = [];
  let weight = 0;
  let failed = 0;
  let at = story.start;
  const stamp = () => new Date(at).toISOString();
  const push = (entry: Entry) => history.push({ at: stamp(), revision: story.revision, ...entry });
  push({
    phase: 'Progressing',
    canaryWeight: 0,
    failedChecks: 0,
    type: 'Normal',
    reason: 'Progressing',
    message: `new revision ${story.revision}: analysing from weight 0`,
  });
  let phase: RolloutStatus['phase'] = 'Progressing';
  let message = '';
  for (const [i, rate] of story.successRates.entries()) {
    at += story.intervalMs;
    const latency = story.latencies[i] ?? 100;
    const analysis = [
      { metric: 'request-success-rate', value: rate, min: 99, passed: rate >= 99 },
      { metric: 'request-duration', value: latency, max: 500, passed: latency <= 500 },
    ];
    const passed = analysis.every((a) => a.passed);
    if (!passed) {
      failed += 1;
      const why = analysis
        .filter((a) => !a.passed)
        .map(
          (a) =>
            `${a.metric} ${a.value} outside ${a.min === undefined ? `<= ${a.max}` : `>= ${a.min}`}`,
        )
        .join(', ');
      push({
        phase,
        canaryWeight: weight,
        failedChecks: failed,
        type: 'Warning',
        reason: 'FailedCheck',
        message: `failed check ${failed} of ${story.threshold} for revision ${story.revision}: ${why}`,
        analysis,
      });
      if (failed >= story.threshold) {
        at += 1000;
        phase = 'Failed';
        weight = 0;
        message = `rolled back revision ${story.revision}: failed checks reached the threshold; traffic is on the primary; last: ${why}`;
        push({
          phase,
          canaryWeight: 0,
          failedChecks: failed,
          type: 'Warning',
          reason: 'ThresholdReached',
          message,
        });
        break;
      }
      continue;
    }
    push({
      phase,
      canaryWeight: weight,
      failedChecks: failed,
      type: 'Normal',
      reason: 'Analysis',
      message: `interval ${i + 1}: all metrics within range`,
      analysis,
    });
    if (weight >= story.maxWeight) {
      at += 1000;
      phase = 'Succeeded';
      weight = 0;
      message = `promoted revision ${story.revision}`;
      push({
        phase,
        canaryWeight: 0,
        failedChecks: failed,
        type: 'Normal',
        reason: 'Succeeded',
        message,
      });
      break;
    }
    const next = Math.min(story.maxWeight, weight + story.stepWeight);
    push({
      phase,
      canaryWeight: next,
      failedChecks: failed,
      type: 'Normal',
      reason: 'WeightChanged',
      message: `canary weight ${weight}% -> ${next}%`,
    });
    weight = next;
    message = `advanced to weight ${next}%`;
  }
  const last = history.at(-1) as Entry;
  const lastAnalysis = [...history].reverse().find((e) => e.analysis)?.analysis as
    | RolloutStatus['lastAnalysis']
    | undefined;
  return {
    history,
    status: {
      phase,
      canaryWeight: weight,
      failedChecks: failed,
      iterations: story.successRates.length,
      currentRevision: story.revision,
      message,
      lastTransitionTime: last.at as string,
      conditions: [
        {
          type: 'Promoted',
          status: phase === 'Succeeded' ? 'True' : phase === 'Failed' ? 'False' : 'Unknown',
          reason: phase,
          message,
          lastTransitionTime: last.at as string,
        },
      ],
      ...(lastAnalysis ? { lastAnalysis } : {}),
    },
  };
}

/** A Rollout with the given analysis settings; the tests write its status, no controller runs. */
export function rolloutObject(
  namespace: string,
  name: string,
  extra: Partial<ReleaseStory> = {},
): RolloutObject {
  return {
    metadata: { name, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 8080 },
      analysis: {
        interval: '30s',
        threshold: extra.threshold ?? 3,
        maxWeight: extra.maxWeight ?? 50,
        stepWeight: extra.stepWeight ?? 10,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
        ],
      },
    },
  };
}

/** Creates the Rollout and writes its status (with history) through the status subresource. */
export async function createRolloutWithStatus(
  api: ApiServer,
  rollout: RolloutObject,
  status: Record<string, unknown>,
): Promise<RolloutObject> {
  const client = new ResourceClient<RolloutObject>(api, knownTypes.rollouts);
  const created = await client.create(rollout);
  return client.mergePatch(
    created.metadata?.namespace,
    created.metadata?.name ?? '',
    { status },
    'status',
  );
}

/** A core/v1 Event about a Rollout, as the controller's recorder writes it. */
export async function recordEvent(
  api: ApiServer,
  rollout: RolloutObject,
  event: {
    type: 'Normal' | 'Warning';
    reason: string;
    message: string;
    at: number;
    count?: number;
  },
): Promise<void> {
  const events = new ResourceClient(api, knownTypes.events);
  const stamp = new Date(event.at).toISOString().replace(/\.\d+Z$/, 'Z');
  const namespace = rollout.metadata?.namespace ?? 'default';
  try {
    await events.create({
      metadata: {
        name: `${rollout.metadata?.name}.${event.at.toString(16)}${Math.random().toString(16).slice(2, 6)}`,
        namespace,
      },
      involvedObject: {
        apiVersion: 'fledge.dev/v1alpha1',
        kind: 'Rollout',
        name: rollout.metadata?.name,
        namespace,
        uid: rollout.metadata?.uid,
      },
      type: event.type,
      reason: event.reason,
      message: event.message,
      count: event.count ?? 1,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      source: { component: 'fledge' },
    });
  } catch (error) {
    if (isNotFound(error)) throw new Error(`namespace ${namespace} does not exist for the Event`);
    throw error;
  }
}
