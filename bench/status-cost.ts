import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HistoryEntry } from '../src/api/types.js';
import { appendHistory, HISTORY_LIMIT } from '../src/controller/history.js';
import { ApiServer, type KubeObject } from '../src/kube/api-server.js';
import { typedKubeConfig } from '../src/kube/client.js';
import { loadKubeConfig } from '../src/kube/kubeconfig.js';
import { mergePatchBetween } from '../src/kube/patch.js';
import { knownTypes, ResourceClient } from '../src/kube/resources.js';
import { startControlPlane } from '../src/playground/control-plane.js';
import { applyCrds } from '../src/playground/crds.js';
import { packageRoot } from '../src/playground/paths.js';
import { usage } from './controller.js';
import type { Benchmark } from './run.js';
import { quantile } from './scale-figures.js';

/** Status writes per history: enough for a steady figure, few enough for a minute. */
const WRITES = Number(process.env.FLEDGE_STATUS_COST_WRITES) || 400;

const entry = (revision: string, reason: string, message: string): HistoryEntry => ({
  at: new Date(Date.UTC(2026, 11, 5)).toISOString(),
  revision,
  phase: 'Progressing',
  canaryWeight: 10,
  failedChecks: 0,
  type: 'Normal',
  reason,
  message,
  ...(reason === 'Analysis'
    ? { analysis: [{ metric: 'request-success-rate', min: 99, value: 100, passed: true }] }
    : {}),
});

/** The entries of one release as the scale bench's Rollouts record it: five steps, promoted. */
function release(revision: string): HistoryEntry[] {
  const steps = [10, 20, 30, 40, 50].flatMap((weight, i) => [
    entry(revision, 'Analysis', `analysis ${i + 1}: request-success-rate 100 >= 99`),
    entry(revision, 'WeightChanged', `canary weight ${weight - 10}% -> ${weight}%`),
  ]);
  return [
    entry(revision, 'Progressing', `new revision ${revision}: starting the canary`),
    ...steps,
    entry(revision, 'Analysis', 'analysis 6: request-success-rate 100 >= 99'),
    entry(revision, 'Promoting', `promoting revision ${revision}: analysis passed`),
    entry(revision, 'WeightChanged', 'canary weight 50% -> 100%'),
    entry(revision, 'Finalising', `finalising revision ${revision}`),
    entry(revision, 'WeightChanged', 'canary weight 100% -> 0%'),
    entry(revision, 'Succeeded', `promoted revision ${revision}`),
  ];
}

/** The history after `count` releases, kept as the runner keeps it (appendHistory). */
function releases(count: number): HistoryEntry[] {
  let history: HistoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    for (const e of release(`rev${i}`)) history = appendHistory(history, [e]);
  }
  return history;
}

const cases: { history: string; entries: HistoryEntry[] }[] = [
  { history: 'none', entries: [] },
  { history: 'one release', entries: releases(1) },
  { history: 'ten releases, as kept now', entries: releases(10) },
  {
    // What every Rollout that had released a few times carried before appendHistory
    // dropped earlier releases' analysis intervals.
    history: `ten releases, as kept before (the last ${HISTORY_LIMIT} entries)`,
    entries: Array.from({ length: 10 }, (_, i) => release(`rev${i}`))
      .flat()
      .slice(-HISTORY_LIMIT),
  },
];

/** A status as the runner keeps one mid-release; each write adds to history, so sends it whole. */
function statusWith(history: readonly HistoryEntry[], write: number): Record<string, unknown> {
  return {
    phase: 'Progressing',
    canaryWeight: 10 * (write % 5),
    iterations: write,
    failedChecks: 0,
    observedGeneration: 1,
    currentRevision: '5317208d71bc800a',
    lastPromotedRevision: '92d20d3071f3e34b',
    message: `analysis ${write}: all metrics in range`,
    history: history.map((e, i) => ({
      ...e,
      at: new Date(Date.UTC(2026, 11, 5, 8, 0, write + i)).toISOString(),
    })),
  };
}

/**
 * The API server's own cost of one Rollout status write, by the history it carries: each
 * write is a merge patch of what changed, as the status writer sends it, and the history is
 * an atomic list, so a new entry sends it whole. The API server decodes, validates, tracks
 * fields of and stores the whole object on every write, and sends it to every watcher.
 */
export const statusCostBenchmark: Benchmark = {
  name: 'status-cost',
  description: `kube-apiserver CPU per Rollout status write by the history it carries (${WRITES} writes each, one at a time, no watcher)`,
  async run() {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'fledge-status-cost-'));
    const plane = await startControlPlane({
      stateDir,
      withControllerManager: false,
      etcdInMemory: true,
    });
    const lines = [
      '| history | entries | Rollout bytes | API server CPU ms per write | write p50/p99 ms |',
      '| --- | --- | --- | --- | --- |',
    ];
    const api = new ApiServer(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
    const rollouts = new ResourceClient(api, knownTypes.rollouts);
    try {
      await applyCrds(typedKubeConfig(plane.kubeconfigPath), [
        path.join(packageRoot(), 'crds', 'rollout.yaml'),
      ]);
      const apiserverPid = plane.processes.find((p) => p.name === 'kube-apiserver')?.current.pid;
      if (!apiserverPid) throw new Error('status-cost: no kube-apiserver process');
      for (const [i, { history, entries }] of cases.entries()) {
        const name = `history-${i}`;
        const rollout = await create(rollouts, name);
        let status: Record<string, unknown> = {};
        const timesMs: number[] = [];
        const before = usage(apiserverPid).cpuMs;
        let stored: KubeObject = rollout;
        for (let write = 0; write < WRITES; write += 1) {
          const next = statusWith(entries, write);
          const started = performance.now();
          stored = await rollouts.mergePatch(
            'default',
            name,
            { status: mergePatchBetween(status, next) },
            'status',
          );
          timesMs.push(performance.now() - started);
          status = next;
        }
        const cpuMs = usage(apiserverPid).cpuMs - before;
        lines.push(
          `| ${history} | ${entries.length} | ${JSON.stringify(stored).length} | ${(cpuMs / WRITES).toFixed(2)} | ${quantile(0.5, timesMs)?.toFixed(1)} / ${quantile(0.99, timesMs)?.toFixed(1)} |`,
        );
      }
    } finally {
      api.close();
      await plane.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
    lines.push(
      '',
      `CPU from /proc of the kube-apiserver process, in 10 ms ticks; the Rollout carries managedFields as served. A release is the scale bench's: five steps and a promotion, ${release('r').length} entries.`,
    );
    return lines;
  },
};

/** A Rollout to write the status of; nothing acts on it (no controller runs). */
function create(rollouts: ResourceClient, name: string): Promise<KubeObject> {
  return rollouts.create({
    metadata: { name, namespace: 'default' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' },
      service: { port: 8080 },
      analysis: { interval: '10s', threshold: 2, stepWeight: 10, maxWeight: 50 },
    },
  });
}
