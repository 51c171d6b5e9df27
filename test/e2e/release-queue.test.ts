import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { HistoryEntry, RolloutStatus } from '../../src/api/types.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  appManifest,
  createNamespace,
  rolloutStatus,
  waitForStatus,
  waitInitialized,
} from './support/rollout.js';

/**
 * The release queue on the playground: a controller allowed 2 releases in analysis at once
 * (--max-releases 2) gets 5 new revisions at the same moment, in 5 namespaces.
 */

const run = Date.now().toString(36);
const namespaces = ['a', 'b', 'c', 'd', 'e'].map((letter) => `queue-${letter}-${run}`);
const name = 'podinfo';
let controller: ControllerProcess;

/** A short analysis without metrics: what is tested here is when it may start. */
function rollout(namespace: string): string {
  return stringify({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 8080 },
      analysis: { interval: '2s', threshold: 3, stepWeight: 25, maxWeight: 50 },
      progressDeadlineSeconds: 60,
    },
  });
}

beforeAll(async () => {
  for (const namespace of namespaces) await createNamespace(namespace);
  controller = startController({ namespaces, extraArgs: ['--max-releases', '2'] });
  await controller.url();
});

afterAll(async () => {
  await controller?.kill();
});

const inAnalysisPhases = new Set(['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising']);
const at = (entry: HistoryEntry | undefined) => (entry ? Date.parse(entry.at) : Number.NaN);

describe('a release queue of 2', () => {
  it('runs 5 simultaneous new revisions at most 2 at a time, all to the end, in queue order', async () => {
    await Promise.all(
      namespaces.map(async (namespace) => {
        await kubectlApply(appManifest({ name, namespace }));
        await kubectlApply(rollout(namespace));
        await waitInitialized(namespace, name);
      }),
    );

    await Promise.all(
      namespaces.map((namespace) =>
        kubectl(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']),
      ),
    );

    // Watched while it runs: never more than 2 in analysis, and the waiting ones say why.
    let mostInAnalysis = 0;
    const queuedMessages = new Set<string>();
    let finished = false;
    const watching = (async () => {
      while (!finished) {
        const statuses = await Promise.all(namespaces.map((ns) => rolloutStatus(ns, name)));
        const inAnalysis = statuses.filter((s) => inAnalysisPhases.has(s.phase ?? '')).length;
        mostInAnalysis = Math.max(mostInAnalysis, inAnalysis);
        for (const status of statuses) {
          const queued = status.conditions?.find((c) => c.type === 'Queued');
          if (queued?.status === 'True' && queued.message) queuedMessages.add(queued.message);
        }
        await sleep(300);
      }
    })();
    try {
      await Promise.all(
        namespaces.map((namespace) =>
          waitForStatus(namespace, name, 'to succeed', (s) => s.phase === 'Succeeded', [], {
            timeoutMs: 240_000,
            intervalMs: 500,
          }),
        ),
      );
    } finally {
      finished = true;
      await watching;
    }
    expect(mostInAnalysis).toBeLessThanOrEqual(2);
    expect([...queuedMessages].some((m) => /position \d of \d in the release queue/.test(m))).toBe(
      true,
    );

    const histories = await Promise.all(
      namespaces.map(async (namespace) => {
        const status: RolloutStatus = await rolloutStatus(namespace, name);
        expect(status.phase, `${namespace}: ${status.message}`).toBe('Succeeded');
        const history = status.history ?? [];
        const release = history.filter((entry) => entry.revision === status.currentRevision);
        return {
          namespace,
          queued: at(release.find((e) => e.reason === 'Queued')),
          granted: at(release.find((e) => e.reason === 'SlotGranted')),
          ended: at(release.find((e) => e.reason === 'Succeeded')),
        };
      }),
    );
    for (const h of histories) {
      expect(Number.isFinite(h.queued + h.granted + h.ended), JSON.stringify(h)).toBe(true);
      expect(h.granted).toBeGreaterThanOrEqual(h.queued);
      expect(h.ended).toBeGreaterThan(h.granted);
    }

    // At most 2 releases between their slot and their end at any moment (ends before starts).
    const moments = histories
      .flatMap((h) => [
        { t: h.granted, delta: 1 },
        { t: h.ended, delta: -1 },
      ])
      .sort((x, y) => x.t - y.t || x.delta - y.delta);
    let inAnalysis = 0;
    let most = 0;
    for (const moment of moments) {
      inAnalysis += moment.delta;
      most = Math.max(most, inAnalysis);
    }
    expect(most).toBe(2);

    // FIFO: slots were granted in the order the releases entered the queue. Two slots freed
    // within one pass of the queue are granted in the same millisecond: ties say nothing.
    const byGrant = [...histories].sort((x, y) => x.granted - y.granted || x.queued - y.queued);
    for (const [index, h] of byGrant.entries()) {
      const before = byGrant[index - 1];
      if (before) expect(h.queued, JSON.stringify(byGrant)).toBeGreaterThanOrEqual(before.queued);
    }
    // Three of the five had to wait for a release to end.
    const waited = histories.filter((h) =>
      histories.some((other) => other.ended <= h.granted && other !== h),
    );
    expect(waited.length).toBe(3);
    console.log(
      `e2e figure: queue of 2, 5 releases: ${JSON.stringify(
        byGrant.map((h) => ({
          ns: h.namespace.split('-')[1],
          waitedMs: h.granted - h.queued,
          ranMs: h.ended - h.granted,
        })),
      )}; ${queuedMessages.size} Queued messages seen`,
    );
  });
});
