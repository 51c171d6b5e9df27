import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutStatus } from '../api/types.js';
import type { RolloutObject } from '../cli/rollout-object.js';
import { type ApiServer, isAlreadyExists } from '../kube/api-server.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import { Watcher } from '../kube/watcher.js';
import {
  type ActReport,
  finishes,
  type Observation,
  type Outcome,
  reportAct,
} from './act-report.js';
import {
  DEMO_APP,
  demoDeployment,
  demoRollout,
  type Release,
  releasePatch,
  releases,
} from './manifests.js';
import { type Verdict, verdictOf } from './summary.js';
import type { DemoView } from './view.js';

export interface StoryOptions {
  api: ApiServer;
  namespace: string;
  /** Where the Rollout's webhooks reach the loadtester. */
  loadtesterUrl: string;
  view: DemoView;
  /** Longest wait for one step (initialisation, one release). */
  stepTimeoutMs?: number;
}

export interface StoryReport {
  acts: ActReport[];
  verdict: Verdict;
}

const controllerHint =
  'is a fledge controller watching this namespace? (`fledge playground up` runs one unless --no-fledge)';

/**
 * The demo's story in `namespace` (made fresh): deploy the app and its Rollout, ship a
 * healthy release, then a faulty one, following the Rollout throughout. Resolves with what
 * each release did; rejects only when the cluster cannot be used at all.
 */
export async function runDemoStory(options: StoryOptions): Promise<StoryReport> {
  const { api, namespace, view } = options;
  const stepTimeoutMs = options.stepTimeoutMs ?? 90_000;
  await freshNamespace(api, namespace, view);
  const rollouts = new Watcher<RolloutObject>(api, {
    resource: knownTypes.rollouts,
    namespace,
    fieldSelector: `metadata.name=${DEMO_APP}`,
    watchTimeoutSeconds: 60,
    watchdogMs: 20_000,
  });
  const observations: Observation[] = [];
  const waiters = new Set<() => void>();
  const seen = (rollout: RolloutObject) => {
    observations.push({ at: Date.now(), status: rollout.status ?? {} });
    view.show(rollout);
    for (const wake of waiters) wake();
  };
  rollouts.on('add', seen).on('update', seen);
  rollouts.start();

  const current = (): RolloutStatus =>
    rollouts.list().find((r) => r.metadata?.name === DEMO_APP)?.status ?? {};
  const until = async (what: string, accept: (s: RolloutStatus) => boolean): Promise<boolean> => {
    const deadline = Date.now() + stepTimeoutMs;
    while (!accept(current())) {
      const left = deadline - Date.now();
      if (left <= 0) {
        view.say(`gave up waiting ${stepTimeoutMs / 1000} s for ${what}`);
        return false;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.min(left, 1000));
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
        waiters.add(wake);
      });
    }
    return true;
  };

  try {
    const deployments = new ResourceClient(api, knownTypes.deployments);
    view.say(`deploying ${DEMO_APP} ${releases.initial.image} and its Rollout in ${namespace}`);
    await deployments.create(demoDeployment(namespace));
    await new ResourceClient(api, knownTypes.rollouts).create(
      demoRollout(namespace, options.loadtesterUrl),
    );
    const initialized = await until('the Rollout to be Initialized', (s) =>
      ['Initialized', 'Succeeded'].includes(s.phase ?? ''),
    );
    if (!initialized) {
      throw new Error(
        `Rollout ${namespace}/${DEMO_APP} was not Initialized within ${stepTimeoutMs / 1000} s: ${current().message ?? 'it has no status'}; ${controllerHint}`,
      );
    }

    const acts: ActReport[] = [];
    const ship = async (title: string, release: Release, expected: Outcome) => {
      const before = current().currentRevision;
      view.say(`${title}: ${release.image} with ERROR_RATE=${release.errorRate}`);
      const startedAt = Date.now();
      const from = observations.length;
      await deployments.mergePatch(namespace, DEMO_APP, releasePatch(release));
      await until(`${title} to finish`, (s) => finishes(s, before));
      const act = reportAct(title, expected, startedAt, observations.slice(from));
      acts.push(act);
      return act;
    };
    const healthy = await ship('healthy release', releases.healthy, 'Succeeded');
    if (healthy.outcome === 'Succeeded') {
      await ship('faulty release', releases.faulty, 'Failed');
    }
    return { acts, verdict: verdictOf(acts) };
  } finally {
    view.close();
    await rollouts.stop();
  }
}

/** Deletes what an earlier demo left in `namespace`, then creates it. */
async function freshNamespace(api: ApiServer, namespace: string, view: DemoView): Promise<void> {
  const namespaces = new ResourceClient(api, knownTypes.namespaces);
  if (await namespaces.delete(undefined, namespace)) {
    view.say(`removing the previous demo's namespace ${namespace}`);
    const deadline = Date.now() + 60_000;
    while (await namespaces.find(undefined, namespace)) {
      if (Date.now() > deadline) {
        throw new Error(
          `namespace ${namespace} is still terminating after 60 s; delete it (kubectl delete namespace ${namespace}) or pick another with --namespace`,
        );
      }
      await sleep(250);
    }
  }
  try {
    await namespaces.create({ metadata: { name: namespace } });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}
