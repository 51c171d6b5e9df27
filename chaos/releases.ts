import { setTimeout as sleep } from 'node:timers/promises';
import type { Rollout, RolloutStatus } from '../src/api/types.js';
import { type ApiServer, isAlreadyExists, type KubeObject } from '../src/kube/api-server.js';
import { knownTypes, ResourceClient, resourcePath } from '../src/kube/resources.js';
import { startTraffic, type Traffic } from '../test/support/traffic.js';
import { waitFor } from '../test/support/wait.js';
import { environmentBound } from './environment.js';
import {
  ANALYSIS,
  backendServices,
  type ChaosRollout,
  fleetObjects,
  initialCanary,
  namespaceOf,
  REVISION_ANNOTATION,
  ROLLOUT_NAME,
  revisionPatch,
} from './fleet.js';
import type { Random } from './random.js';
import type { Outcome, RolloutUnderTest } from './revisions.js';

/** Long enough for a revision slowed by hand-overs and restarts; a stuck one is reported. */
const revisionTimeoutMs = 150_000;
/** Any one API call, retried through API server restarts. */
const callTimeoutMs = 60_000;
/** After a revision ends, its last requests leave the metric window before the next starts. */
const cooldownMs = 8_000;
/** What a revision's `seen` says until it ends: only a run stopped early leaves one so. */
const STARTED = 'started';
/** After a backend's pods changed, for the mesh to route to the new ones only. */
const settleMs = 3_000;
const faultyShare = 0.4;
const requestsPerSecond = 4;

export interface Clients {
  /** Reads and set-up writes (User-Agent fledge-chaos/setup). */
  setup: ApiServer;
  /** The one write per revision that starts it (User-Agent TRIGGER_AGENT). */
  trigger: ApiServer;
}

export interface RevisionSeen {
  expected: Outcome;
  canaryService: string;
  /** How it ended as fledge's status told the run (the audit log has the last word). */
  seen: string;
}

type Deployment = KubeObject & {
  spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
};

/**
 * One Rollout of the run: creates its objects, then starts revision after revision (each
 * healthy or faulty as its random stream says) and waits for each to end, with traffic to
 * the apex Service throughout and to the canary during each revision.
 */
export class Releases {
  readonly revisions: RevisionSeen[] = [];
  private readonly namespace: string;
  private readonly deployments: ResourceClient<Deployment>;
  private readonly rollouts: ResourceClient<Rollout & KubeObject>;
  /** Backend mode: the Service taking the traffic, and when each one last had a revision. */
  private serving = `${ROLLOUT_NAME}-0`;
  private readonly lastUsed = new Map<string, number>();
  private readonly traffic: Array<{ url: string; traffic: Traffic }> = [];

  constructor(
    readonly rollout: ChaosRollout,
    private readonly clients: Clients,
    private readonly meshProxy: string,
    private readonly random: Random,
    private readonly say: (line: string) => void,
  ) {
    this.namespace = namespaceOf(rollout);
    this.deployments = new ResourceClient(clients.setup, knownTypes.deployments);
    this.rollouts = new ResourceClient(clients.setup, knownTypes.rollouts);
    this.lastUsed.set(`${ROLLOUT_NAME}-0`, 2).set(initialCanary(rollout), 1);
  }

  get key(): string {
    return `${this.namespace}/${ROLLOUT_NAME}`;
  }

  /** What the audit log is checked against. */
  underTest(): RolloutUnderTest {
    return {
      namespace: this.namespace,
      name: ROLLOUT_NAME,
      maxWeight: ANALYSIS.maxWeight,
      threshold: ANALYSIS.threshold,
      initialCanary: initialCanary(this.rollout),
      revisions: this.revisions.map(({ expected, canaryService, seen }) => ({
        expected,
        canaryService,
        cutShort: seen === STARTED,
      })),
    };
  }

  /** Creates its namespace and objects. */
  async create(): Promise<void> {
    for (const object of fleetObjects(this.rollout)) {
      const type = Object.values(knownTypes).find((t) => t.kind === object.kind);
      if (!type) throw new Error(`no known type for ${object.kind}`);
      await this.clients.setup
        .request('POST', resourcePath(type, object.metadata?.namespace), { body: object })
        .catch((error: unknown) => {
          if (!isAlreadyExists(error)) throw error;
        });
    }
  }

  /** Waits for fledge to initialize it, then sends traffic to its apex Service for good. */
  async initialized(maxTrafficMs: number, signal: AbortSignal): Promise<void> {
    await waitFor(
      `${this.key} to be Initialized`,
      async () => ((await this.status()).phase === 'Initialized' ? true : undefined),
      { timeoutMs: 180_000, intervalMs: 500, signal },
    );
    this.startTraffic(`http://${ROLLOUT_NAME}.${this.namespace}:8080/`, maxTrafficMs);
  }

  /** Starts revisions until `until` (epoch ms), then waits for the last one to end. */
  async run(until: number, signal: AbortSignal): Promise<void> {
    while (Date.now() < until && !signal.aborted) {
      await this.release(this.revisions.length + 1, signal);
      await sleep(cooldownMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Requests sent to this Rollout's Services, and how many got a 5xx or no answer. */
  requests(): { total: number; failed: number } {
    const all = this.traffic.map(({ url, traffic }) => traffic.counts(url));
    return {
      total: all.reduce((n, c) => n + c.total, 0),
      failed: all.reduce((n, c) => n + c.failed, 0),
    };
  }

  async stopTraffic(): Promise<void> {
    await Promise.all(this.traffic.map(({ traffic }) => traffic.stop()));
  }

  private async release(revision: number, signal: AbortSignal): Promise<void> {
    const faulty = revision === 1 ? this.rollout.firstFaulty : this.random.chance(faultyShare);
    const expected: Outcome = faulty ? 'Failed' : 'Succeeded';
    const before = (await this.status(signal)).currentRevision;
    let canaryService = initialCanary(this.rollout);
    if (this.rollout.mode === 'workload') {
      await this.patchDeployment(this.clients.trigger, ROLLOUT_NAME, revision, faulty, signal);
    } else {
      canaryService = this.leastRecentlyUsed();
      this.lastUsed.set(canaryService, Date.now());
      await this.patchDeployment(this.clients.setup, canaryService, revision, faulty, signal);
      await this.deploymentReady(canaryService, signal);
      await sleep(settleMs, undefined, { signal });
      await this.pointBackends(this.serving, canaryService, signal);
    }
    this.revisions.push({ expected, canaryService, seen: STARTED });
    const record = this.revisions.at(-1) as RevisionSeen;
    const traffic = this.startTraffic(
      `http://${canaryService}.${this.namespace}:8080/`,
      revisionTimeoutMs,
    );
    try {
      record.seen = await this.ended(before, signal);
    } finally {
      await traffic.stop();
    }
    if (this.rollout.mode === 'backend' && record.seen === 'Succeeded')
      this.serving = canaryService;
    this.say(`${this.key} revision ${revision}: deserves ${expected}, status says ${record.seen}`);
  }

  private async ended(before: string | undefined, signal: AbortSignal): Promise<string> {
    let last: RolloutStatus = {};
    try {
      await waitFor(
        `${this.key} to end its revision`,
        async () => {
          last = await this.status();
          const phase = last.phase ?? '';
          return last.currentRevision !== before && (phase === 'Succeeded' || phase === 'Failed')
            ? true
            : undefined;
        },
        { timeoutMs: revisionTimeoutMs, intervalMs: 500, signal },
      );
      return last.phase ?? '';
    } catch (error) {
      if (signal.aborted) throw error;
      return `no end within ${revisionTimeoutMs / 1000} s (phase ${last.phase}, weight ${last.canaryWeight}, failed checks ${last.failedChecks})`;
    }
  }

  private leastRecentlyUsed(): string {
    const candidates = backendServices().filter((s) => s !== this.serving);
    return candidates.reduce((a, b) =>
      (this.lastUsed.get(a) ?? 0) <= (this.lastUsed.get(b) ?? 0) ? a : b,
    );
  }

  private async status(signal?: AbortSignal): Promise<RolloutStatus> {
    return environmentBound(`the API server did not answer the run's reads of ${this.key}`, () =>
      waitFor(
        `the status of ${this.key}`,
        async () => (await this.rollouts.get(this.namespace, ROLLOUT_NAME)).status ?? {},
        { timeoutMs: callTimeoutMs, intervalMs: 500, ...(signal ? { signal } : {}) },
      ),
    );
  }

  /**
   * Patches once: after a failed attempt it reads the Deployment first, since the API server
   * may have applied the patch before the answer was lost (the audit log counts each write).
   */
  private async patchDeployment(
    api: ApiServer,
    name: string,
    revision: number,
    faulty: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const path = resourcePath(knownTypes.deployments, this.namespace, name);
    const applied = async () =>
      (await this.deployments.get(this.namespace, name)).spec?.template?.metadata?.annotations?.[
        REVISION_ANNOTATION
      ] === String(revision);
    await this.once(
      `revision ${revision} of Deployment ${this.namespace}/${name}`,
      applied,
      () =>
        api.request('PATCH', path, {
          body: revisionPatch(revision, faulty),
          contentType: 'application/strategic-merge-patch+json',
        }),
      signal,
    );
  }

  private async pointBackends(stable: string, canary: string, signal: AbortSignal): Promise<void> {
    const applied = async () => {
      const backends = (await this.rollouts.get(this.namespace, ROLLOUT_NAME)).spec.backends;
      return backends?.stable.service === stable && backends.canary.service === canary;
    };
    await this.once(
      `backends ${stable}/${canary} of ${this.key}`,
      applied,
      () =>
        this.clients.trigger.request(
          'PATCH',
          resourcePath(knownTypes.rollouts, this.namespace, ROLLOUT_NAME),
          {
            body: {
              spec: { backends: { stable: { service: stable }, canary: { service: canary } } },
            },
            contentType: 'application/merge-patch+json',
          },
        ),
      signal,
    );
  }

  private async once(
    what: string,
    applied: () => Promise<boolean>,
    write: () => Promise<unknown>,
    signal: AbortSignal,
  ): Promise<void> {
    let attempted = false;
    await environmentBound(`the API server did not take the run's write of ${what}`, () =>
      waitFor(
        what,
        async () => {
          if (attempted && (await applied())) return true;
          attempted = true;
          await write();
          return true;
        },
        { timeoutMs: callTimeoutMs, intervalMs: 500, signal },
      ),
    );
  }

  /** Up to kube-controller-manager and the kubelet simulator: fledge does not touch backends. */
  private async deploymentReady(name: string, signal: AbortSignal): Promise<void> {
    const what = `kube-controller-manager and the kubelet simulator did not roll out ${this.namespace}/${name}`;
    await environmentBound(what, () =>
      waitFor(
        `Deployment ${this.namespace}/${name} to roll out`,
        async () => {
          const d = await this.deployments.get(this.namespace, name);
          const wanted = d.spec?.replicas ?? 1;
          const s = d.status ?? {};
          return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
            s.replicas === wanted &&
            s.updatedReplicas === wanted &&
            s.readyReplicas === wanted &&
            s.availableReplicas === wanted
            ? true
            : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500, signal },
      ),
    );
  }

  private startTraffic(url: string, maxMs: number): Traffic {
    const traffic = startTraffic([url], requestsPerSecond, maxMs, this.meshProxy);
    this.traffic.push({ url, traffic });
    return traffic;
  }
}
