import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SnapshotError } from '../../../machines/persistence.js';
import { planFromSpec } from '../../../src/api/plan.js';
import type { Rollout } from '../../../src/api/types.js';
import type { Decision } from '../../../src/controller/decisions.js';
import type { Deployment } from '../../../src/controller/effects/context.js';
import { FINALIZER, type ReconcileDeps, reconcile } from '../../../src/controller/reconcile.js';
import type { RolloutRunner } from '../../../src/controller/runner.js';
import { Validations } from '../../../src/controller/validations.js';
import type { Cache } from '../../../src/controller/watch-set.js';
import { watchedDeployment } from '../../../src/controller/world.js';
import type { KubeObject } from '../../../src/kube/api-server.js';
import type { ResourceClient } from '../../../src/kube/resources.js';
import { memoryWriter } from './memory-rollouts.js';

type Stored = Rollout & KubeObject;

function cacheOf<T extends KubeObject>(objects: T[]): Cache<T> {
  return {
    get: (namespace, name) =>
      objects.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
    list: () => objects,
  };
}

function rollout(changes: { spec?: object; metadata?: object } = {}): Stored {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'api',
      namespace: 'prod',
      uid: 'u1',
      // As the API server does: a changed spec is a new generation.
      generation: changes.spec ? 2 : 1,
      finalizers: [FINALIZER],
      ...changes.metadata,
    },
    spec: {
      targetRef: { name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '1s', stepWeight: 10, maxWeight: 50 },
      ...changes.spec,
    },
  } as unknown as Stored;
}

const target: Deployment = {
  metadata: { name: 'api', namespace: 'prod' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'api' } },
    template: { spec: { containers: [{ name: 'app', image: 'api:1' }] } } as never,
  },
};

interface FakeRunner {
  lost: string[];
  failure: Error | null;
  pausedByRequest: boolean;
  resting: boolean;
  revisions: string[];
  actions: string[];
  stopped: boolean;
  updates: number;
  releasable: boolean;
  resumed: boolean;
}

function world(stored: Stored[], deployments: Deployment[] = [target], term?: number) {
  const patches: Array<{ name: string; patch: unknown }> = [];
  const writer = memoryWriter(stored[0] as Stored);
  const statuses = writer.statuses;
  const events: Decision[] = [];
  const released: string[] = [];
  const letGo: string[] = [];
  const runners = new Map<string, RolloutRunner>();
  const fakes: FakeRunner[] = [];
  let refuseSnapshot = false;
  const validations = new Validations();
  const deps: ReconcileDeps = {
    caches: {
      rollouts: cacheOf(stored),
      deployments: cacheOf(deployments.map(watchedDeployment)),
      configHash: () => null,
    },
    rollouts: {
      mergePatch: async (_ns: string, name: string, patch: unknown) => {
        patches.push({ name, patch });
        return stored[0];
      },
    } as unknown as ResourceClient<Stored>,
    runners,
    released: new Set<string>(),
    log: pino({ level: 'silent' }),
    validate: (rollout) => validations.validate('prod/api', rollout),
    plan: (rollout) => planFromSpec(rollout.spec),
    createRunner: (_rollout, _revision, resumed) => {
      if (refuseSnapshot) throw new SnapshotError('status.machine has version 0; reset it');
      const fake: FakeRunner = {
        lost: [],
        failure: null,
        pausedByRequest: false,
        resting: false,
        revisions: [],
        actions: [],
        stopped: false,
        updates: 0,
        releasable: false,
        resumed,
      };
      fakes.push(fake);
      return {
        get failure() {
          return fake.failure;
        },
        get pausedByRequest() {
          return fake.pausedByRequest;
        },
        get resting() {
          return fake.resting;
        },
        update: () => {
          fake.updates++;
        },
        revisionSeen: (revision: string) => fake.revisions.push(revision),
        targetLost: (message: string) => fake.lost.push(message),
        targetFound: () => {},
        act: (action: string) => fake.actions.push(action),
        stop: async () => {
          fake.stopped = true;
        },
        releasable: () => fake.releasable,
      } as unknown as RolloutRunner;
    },
    fence: {
      stamp: () => (term === undefined ? { identity: 'me' } : { identity: 'me', term }),
      signal: new AbortController().signal,
    },
    status: () => writer.writer,
    recordEvent: (_r, decision) => events.push(decision),
    release: async (r) => {
      released.push(r.metadata.name ?? '');
    },
    checkRouting: async () => {},
    forget: () => {},
    letGo: (key) => letGo.push(key),
  };
  return {
    deps,
    patches,
    statuses,
    events,
    released,
    letGo,
    fakes,
    refuseSnapshots: () => {
      refuseSnapshot = true;
    },
  };
}

describe('reconcile', () => {
  it('adds the finalizer to a new Rollout before anything else', async () => {
    const w = world([rollout({ metadata: { finalizers: [] } })]);
    await reconcile('prod/api', w.deps);
    expect(w.patches).toEqual([
      { name: 'api', patch: { metadata: { finalizers: [FINALIZER], resourceVersion: undefined } } },
    ]);
    expect(w.fakes).toHaveLength(0);
  });

  it('starts a machine with the revision of the target and tells it that revision', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(1);
    expect(w.fakes[0]?.revisions).toHaveLength(1);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(1);
    expect(w.fakes[0]?.updates).toBe(1);
    expect(w.fakes[0]?.revisions[1]).toBe(w.fakes[0]?.revisions[0]);
  });

  it('starts no machine until the digest of a ConfigMap the target reads is known, then starts it at that revision', async () => {
    const reading: Deployment = {
      ...target,
      spec: {
        ...target.spec,
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'api:1', envFrom: [{ configMapRef: { name: 'cfg' } }] },
            ],
          },
        },
      } as never,
    };
    const w = world([rollout()], [reading]);
    const digests = new Map<string, string | null>();
    w.deps.caches.configHash = (ref) => digests.get(`${ref.kind}/${ref.namespace}/${ref.name}`);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(0);
    digests.set('ConfigMap/prod/cfg', 'digest-1');
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(1);
    digests.set('ConfigMap/prod/cfg', 'digest-2');
    await reconcile('prod/api', w.deps);
    const [first, second] = w.fakes[0]?.revisions ?? [];
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('tells the machine of a new revision when the pod template changes', async () => {
    const changed: Deployment = {
      ...target,
      spec: {
        ...target.spec,
        template: { spec: { containers: [{ name: 'app', image: 'api:2' }] } },
      },
    };
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    w.deps.caches.deployments = cacheOf([watchedDeployment(changed)]);
    await reconcile('prod/api', w.deps);
    const [first, second] = w.fakes[0]?.revisions ?? [];
    expect(second).not.toBe(first);
  });

  it('reports an invalid spec as the Invalid condition and an Event, and stops its machine', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    w.deps.caches.rollouts = cacheOf([
      rollout({ spec: { analysis: { interval: '1s', stepWeight: 60, maxWeight: 50 } } }),
    ]);
    await reconcile('prod/api', w.deps);
    expect(w.fakes[0]?.stopped).toBe(true);
    expect(w.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'InvalidSpec' });
    const invalid = w.statuses.at(-1)?.conditions?.find((c) => c.type === 'Invalid');
    expect(invalid?.status).toBe('True');
    expect(invalid?.message).toContain('spec.analysis.stepWeight');
  });

  it('says so when the target Deployment is missing, without starting a machine that never ran', async () => {
    const w = world([rollout()], []);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(0);
    expect(w.events.at(-1)).toMatchObject({ reason: 'TargetNotFound' });
    expect(w.statuses.at(-1)?.message).toContain('target Deployment prod/api');
  });

  it('tells a running machine that its target is lost, naming the Deployment', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    w.deps.caches.deployments = cacheOf([]);
    await reconcile('prod/api', w.deps);
    expect(w.fakes[0]?.lost).toEqual([expect.stringContaining('target Deployment prod/api')]);
    expect(w.events.at(-1)).toMatchObject({ reason: 'TargetNotFound' });
  });

  it('restores the machine of a Rollout whose target went while no controller ran, to take traffic back', async () => {
    const midAnalysis = rollout();
    midAnalysis.status = {
      phase: 'Progressing',
      canaryWeight: 30,
      currentRevision: 'r7',
      machine: {},
    };
    const w = world([midAnalysis], []);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(1);
    expect(w.fakes[0]?.lost).toHaveLength(1);
  });

  it('leaves a Rollout alone that a replica in a newer term writes', async () => {
    const taken = rollout();
    taken.status = { controller: { identity: 'successor', term: 8 } };
    const w = world([taken], [target], 7);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(0);
    expect(w.statuses).toEqual([]);
  });

  it('leaves a suspended Rollout alone', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    w.deps.caches.rollouts = cacheOf([rollout({ spec: { suspend: true } })]);
    await reconcile('prod/api', w.deps);
    expect(w.fakes[0]?.stopped).toBe(true);
    expect(w.statuses.at(-1)?.message).toContain('suspended');
  });

  it('hands a promote annotation to the machine and removes it', async () => {
    const w = world([rollout({ metadata: { annotations: { 'fledge.dev/promote': 'true' } } })]);
    await reconcile('prod/api', w.deps);
    expect(w.fakes[0]?.actions).toEqual(['promote']);
    expect(w.patches).toContainEqual({
      name: 'api',
      patch: { metadata: { annotations: { 'fledge.dev/promote': null } } },
    });
  });

  it('never uses a status.machine it cannot read, and says how to reset it', async () => {
    const w = world([rollout()]);
    w.refuseSnapshots();
    await reconcile('prod/api', w.deps);
    expect(w.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'UnreadableStatus' });
    expect(w.statuses.at(-1)?.message).toContain('reset it');
  });

  it('releases traffic, then removes the finalizer, when the Rollout is being deleted', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    w.deps.caches.rollouts = cacheOf([
      rollout({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [FINALIZER] } }),
    ]);
    await reconcile('prod/api', w.deps);
    expect(w.fakes[0]?.stopped).toBe(true);
    expect(w.released).toEqual(['api']);
    expect(w.patches.at(-1)).toEqual({
      name: 'api',
      patch: { metadata: { finalizers: [], resourceVersion: undefined } },
    });
  });

  it('releases an invalid Rollout before its finalizer goes: deletion never causes an outage', async () => {
    const w = world([
      rollout({
        spec: { analysis: { interval: 'forever', stepWeight: 60, maxWeight: 50 } },
        metadata: { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [FINALIZER] },
      }),
    ]);
    await reconcile('prod/api', w.deps);
    expect(w.released).toEqual(['api']);
    expect(w.patches.at(-1)).toEqual({
      name: 'api',
      patch: { metadata: { finalizers: [], resourceVersion: undefined } },
    });
  });

  it('lets a settled machine go, and resumes it from status without announcing it again', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    const first = w.fakes[0] as FakeRunner;
    expect(first.resumed).toBe(false);
    first.releasable = true;
    expect(w.letGo).toEqual([]);
    await reconcile('prod/api', w.deps);
    expect(first.stopped).toBe(true);
    expect(w.deps.runners.has('prod/api')).toBe(false);
    // Its status writer goes with it: it held the whole Rollout as last written.
    expect(w.letGo).toEqual(['prod/api']);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(2);
    expect(w.fakes[1]?.resumed).toBe(true);
    expect(w.deps.runners.has('prod/api')).toBe(true);
  });

  it('after a restart, restores a machine whose decision its status records without announcing it again', async () => {
    const machine = { phase: 'Initialized', revision: 'r1' };
    const entry = { phase: 'Initialized', revision: 'r1', reason: 'Initialized' };
    const stored = (status: object) => {
      const r = rollout();
      (r as { status?: object }).status = status;
      return r;
    };
    const recorded = world([stored({ machine, history: [entry] })]);
    await reconcile('prod/api', recorded.deps);
    expect(recorded.fakes[0]?.resumed).toBe(true);
    // A document that no history entry records (an older fledge wrote it) is announced again.
    const unrecorded = world([
      stored({ machine, history: [{ ...entry, revision: 'r0', phase: 'Succeeded' }] }),
    ]);
    await reconcile('prod/api', unrecorded.deps);
    expect(unrecorded.fakes[0]?.resumed).toBe(false);
  });

  it('keeps a machine that is not settled, or whose status the cache does not hold yet', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    await reconcile('prod/api', w.deps);
    expect(w.fakes).toHaveLength(1);
    expect(w.fakes[0]?.stopped).toBe(false);
  });

  it('replaces a machine that stopped on an error of its own', async () => {
    const w = world([rollout()]);
    await reconcile('prod/api', w.deps);
    const first = w.fakes[0] as FakeRunner;
    first.failure = new Error('boom');
    await reconcile('prod/api', w.deps);
    expect(first.stopped).toBe(true);
    expect(w.fakes).toHaveLength(2);
  });
});
