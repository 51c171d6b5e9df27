import type { ApiServer, KubeObject, OwnerReference } from '../kube/api-server.js';
import { isAlreadyExists, isConflict } from '../kube/api-server.js';
import { ResourceClient, type ResourceType } from '../kube/resources.js';
import { RouteRulesError } from './gateway-rules.js';
import {
  assertWeight,
  type ObservedRoute,
  type Router,
  type RouteTarget,
  sameWeights,
  type Traffic,
  type Weights,
  type WeightsResult,
  weightsFor,
} from './router.js';

type Spec = Record<string, unknown>;

/** A provider's object shape, as pure functions: what a routing object says and how to read it. */
export interface RouteFormat {
  provider: string;
  type: ResourceType;
  /**
   * The spec to write for `traffic`: what fledge owns set, the rest kept from `current`, and
   * the fingerprints of the rules fledge adds. Throws RouteRulesError when it cannot be written.
   */
  desiredSpec(
    target: RouteTarget,
    traffic: Traffic,
    current: KubeObject | null,
  ): { spec: Spec; added: string[] };
  /** Whether two specs say the same once the server's defaults are filled in. */
  sameSpec(a: Spec, b: Spec): boolean;
  /** Null when the object does not route the target's apex to its two backends. */
  readWeights(target: RouteTarget, object: KubeObject): Weights | null;
  /** What the object routes (apex and backends, as fledge writes them), or null. */
  readTarget(object: KubeObject): RoutedTarget | null;
  /** Whether a rule fledge added (as the object records) is no longer there. */
  lostOwnRules(object: KubeObject): boolean;
  /** What to leave behind when the Rollout goes: the user's spec, or null to delete the object. */
  releasedSpec(target: RouteTarget, object: KubeObject): Spec | null;
}

/** A target as read back from its routing object: what the object says, not what a spec says. */
export type RoutedTarget = Pick<
  RouteTarget,
  'apexService' | 'port' | 'stableService' | 'canaryService'
>;

/** Records the canary weight fledge last wrote, so drift is judged across restarts and replicas. */
export const appliedWeightAnnotation = 'fledge.dev/canary-weight';
/** Records the fingerprints of the rules fledge added, to tell them from the user's. */
export const addedRulesAnnotation = 'fledge.dev/added-rules';
/** Records the Services fledge routed to, so that a backend the spec replaced is known as its. */
export const routedBackendsAnnotation = 'fledge.dev/backends';
export const managedByLabel = { 'app.kubernetes.io/managed-by': 'fledge' };

/** The controller's watch cache of one routing type. */
export interface RouteCache {
  get(namespace: string, name: string): KubeObject | undefined;
}

/** The watch cache of a routing type, where the controller watches that type. */
export type RouteCacheOf = (type: ResourceType) => RouteCache | undefined;

/** A user's concurrent edit makes a write conflict: read again and merge again, this often. */
const WRITE_ATTEMPTS = 3;

/** The canary weight fledge last wrote to this object, if it wrote one. */
export function appliedWeight(object: KubeObject): number | undefined {
  const value = object.metadata?.annotations?.[appliedWeightAnnotation];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The fingerprints of the rules fledge added at its last write to this object. */
export function addedRules(object: KubeObject | null): Set<string> {
  const value = object?.metadata?.annotations?.[addedRulesAnnotation] ?? '';
  return new Set(value.split(',').filter((fingerprint) => /^[0-9a-f]{16}$/.test(fingerprint)));
}

/** The Services fledge routed to at its last write to this object. */
export function routedBackends(object: KubeObject | null): Set<string> {
  const value = object?.metadata?.annotations?.[routedBackendsAnnotation] ?? '';
  return new Set(value.split(',').filter((name) => name !== ''));
}

const backendsOf = (target: RouteTarget) => `${target.stableService},${target.canaryService}`;

/** The whole routing object fledge creates for a target. */
export function buildRouteObject(
  format: RouteFormat,
  target: RouteTarget,
  traffic: Traffic,
): KubeObject {
  const { spec, added } = format.desiredSpec(target, traffic, null);
  return {
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { ...managedByLabel, ...target.labels },
      annotations: {
        [appliedWeightAnnotation]: String(traffic.canaryWeight),
        [routedBackendsAnnotation]: backendsOf(target),
        ...(added.length > 0 ? { [addedRulesAnnotation]: added.join(',') } : {}),
      },
      ...(target.owner ? { ownerReferences: [target.owner] } : {}),
    },
    spec,
  };
}

function withOwner(
  owners: OwnerReference[] | undefined,
  owner: OwnerReference | undefined,
): OwnerReference[] | undefined {
  if (!owner || owners?.some((o) => o.uid === owner.uid)) return undefined;
  return [...(owners ?? []), owner];
}

const atRest: Traffic = { canaryWeight: 0, pinned: false };

/**
 * A Router over one namespaced object per rollout: each write sets what the format owns (the
 * whole spec of a TrafficSplit; a route's backendRefs and fledge's own rules), keeps the rest,
 * then reads the object back.
 */
export class RouteObjectRouter implements Router {
  readonly provider: string;
  readonly apiVersion: string;
  readonly type: ResourceType;
  private readonly objects: ResourceClient;

  /**
   * `cache`, the controller's watch of this type, spares the read of every reconcile at rest:
   * a write from a stale copy fails on its resourceVersion and is retried from a fresh read,
   * and a change the cache has not seen yet comes as a watch event that reconciles again.
   */
  constructor(
    api: ApiServer,
    private readonly format: RouteFormat,
    private readonly cache?: RouteCache,
  ) {
    this.provider = format.provider;
    this.type = format.type;
    this.apiVersion = `${format.type.group}/${format.type.version}`;
    this.objects = new ResourceClient(api, format.type);
  }

  async reconcile(target: RouteTarget): Promise<void> {
    await this.ensure(target);
  }

  /** The object from the watch cache (a copy: the cache is shared), or else from the API. */
  private async read(
    target: RouteTarget,
    fresh: boolean,
    urgent = false,
  ): Promise<KubeObject | null> {
    const cached = fresh ? undefined : this.cache?.get(target.namespace, target.name);
    return cached
      ? structuredClone(cached)
      : this.objects.find(target.namespace, target.name, { urgent });
  }

  /** Creates or adopts the object, returning it as the server stores it. */
  private async ensure(target: RouteTarget, fresh = false): Promise<KubeObject> {
    const existing = await this.read(target, fresh);
    if (!existing) {
      try {
        return await this.objects.create(buildRouteObject(this.format, target, atRest));
      } catch (error) {
        if (!isAlreadyExists(error)) throw this.explain(error, target, 'create');
        return this.ensure(target, true);
      }
    }
    const current = this.format.readWeights(target, existing);
    const labels = { ...managedByLabel, ...target.labels };
    const labelsMissing = Object.entries(labels).some(
      ([k, v]) => existing.metadata?.labels?.[k] !== v,
    );
    const ownerReferences = withOwner(existing.metadata?.ownerReferences, target.owner);
    const adoptWeight = current ? current.canary : 0;
    const annotate = appliedWeight(existing) === undefined || !current;
    if (!labelsMissing && !ownerReferences && !annotate && current) return existing;
    const desired = current ? undefined : this.desired(target, atRest, existing);
    return this.objects
      .mergePatch(target.namespace, target.name, {
        metadata: {
          labels,
          ...(ownerReferences ? { ownerReferences } : {}),
          ...(annotate
            ? {
                annotations: {
                  [appliedWeightAnnotation]: String(adoptWeight),
                  ...(desired ? { [routedBackendsAnnotation]: backendsOf(target) } : {}),
                  ...(desired ? { [addedRulesAnnotation]: desired.added.join(',') || null } : {}),
                },
              }
            : {}),
        },
        ...(desired ? { spec: desired.spec } : {}),
      })
      .catch((error: unknown) => {
        throw this.explain(error, target, 'adopt');
      });
  }

  async setTraffic(target: RouteTarget, traffic: Traffic): Promise<WeightsResult> {
    assertWeight(traffic.canaryWeight);
    const desiredWeights = weightsFor(traffic.canaryWeight);
    // A conflict on the cached copy is not a user's edit: it does not use up an attempt.
    const attempts = this.cache ? WRITE_ATTEMPTS + 1 : WRITE_ATTEMPTS;
    const urgent = traffic.urgent === true;
    for (let attempt = 1; ; attempt++) {
      const existing = await this.read(target, attempt > 1, urgent && attempt > 1);
      if (!existing) {
        // Someone deleted it: fledge puts it back, and says so.
        const created = await this.objects
          .create(buildRouteObject(this.format, target, traffic))
          .catch((error: unknown) => {
            if (!isAlreadyExists(error)) throw this.explain(error, target, 'create');
            return null;
          });
        const weights = created
          ? this.checked(target, this.format.readWeights(target, created), desiredWeights)
          : (await this.readBack(target, desiredWeights)).weights;
        return { weights, drifted: true, found: null };
      }
      const found = this.format.readWeights(target, existing);
      const lastWritten = appliedWeight(existing);
      const drifted =
        lastWritten !== undefined &&
        (!sameWeights(found, weightsFor(lastWritten)) || this.format.lostOwnRules(existing));
      const desired = this.desired(target, traffic, existing);
      const added = desired.added.join(',');
      const needsWrite =
        !this.format.sameSpec(desired.spec, (existing.spec ?? {}) as Spec) ||
        lastWritten !== traffic.canaryWeight ||
        (existing.metadata?.annotations?.[addedRulesAnnotation] ?? '') !== added ||
        existing.metadata?.annotations?.[routedBackendsAnnotation] !== backendsOf(target);
      let stored = existing;
      if (needsWrite) {
        const ownerReferences = withOwner(existing.metadata?.ownerReferences, target.owner);
        try {
          stored = await this.objects.mergePatch(
            target.namespace,
            target.name,
            {
              metadata: {
                // A user's edit between the read and this write fails it: nothing of theirs is lost.
                resourceVersion: existing.metadata?.resourceVersion,
                annotations: {
                  [appliedWeightAnnotation]: String(traffic.canaryWeight),
                  [addedRulesAnnotation]: added || null,
                  [routedBackendsAnnotation]: backendsOf(target),
                },
                ...(ownerReferences ? { ownerReferences } : {}),
              },
              spec: desired.spec,
            },
            undefined,
            { urgent },
          );
        } catch (error) {
          if (isConflict(error) && attempt < attempts) continue;
          throw this.explain(error, target, 'set traffic on');
        }
      }
      // What the server stored, as its answer to the write says (admission included): a
      // second read would cost a request per step and rollout, and another controller
      // fighting over the object shows up as drift at the next read all the same.
      const weights = this.checked(target, this.format.readWeights(target, stored), desiredWeights);
      return drifted ? { weights, drifted, found } : { weights, drifted };
    }
  }

  async observe(namespace: string, name: string): Promise<ObservedRoute | null> {
    const object = await this.objects.find(namespace, name);
    const routed = object ? this.format.readTarget(object) : null;
    if (!object || !routed) return null;
    const target: RouteTarget = { ...routed, namespace, name };
    return {
      target,
      weights: this.format.readWeights(target, object),
      owners: (object.metadata?.ownerReferences ?? []).map((owner) => owner.uid),
    };
  }

  async getWeights(target: RouteTarget): Promise<Weights | null> {
    const object = await this.objects.find(target.namespace, target.name);
    return object ? this.format.readWeights(target, object) : null;
  }

  async finalize(
    target: RouteTarget,
    { stableServes = true }: { stableServes?: boolean } = {},
  ): Promise<'deleted' | 'kept' | 'absent'> {
    if (!(await this.objects.find(target.namespace, target.name))) return 'absent';
    if (stableServes) await this.setTraffic(target, atRest);
    const object = await this.objects.get(target.namespace, target.name);
    const released = this.format.releasedSpec(target, object);
    if (released === null) {
      await this.objects.delete(target.namespace, target.name);
      return 'deleted';
    }
    await this.objects.mergePatch(target.namespace, target.name, {
      metadata: {
        resourceVersion: object.metadata?.resourceVersion,
        annotations: {
          [appliedWeightAnnotation]: null,
          [addedRulesAnnotation]: null,
          [routedBackendsAnnotation]: null,
        },
      },
      spec: released,
    });
    return 'kept';
  }

  private desired(target: RouteTarget, traffic: Traffic, existing: KubeObject | null) {
    try {
      return this.format.desiredSpec(target, traffic, existing);
    } catch (error) {
      if (error instanceof RouteRulesError) {
        throw new Error(`${this.describe(target)}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  private async readBack(target: RouteTarget, desired: Weights): Promise<{ weights: Weights }> {
    return { weights: this.checked(target, await this.getWeights(target), desired) };
  }

  private checked(target: RouteTarget, readBack: Weights | null, desired: Weights): Weights {
    if (!readBack || !sameWeights(readBack, desired)) {
      throw new Error(
        `${this.describe(target)}: wrote ${desired.stable}/${desired.canary} (stable/canary) but read back ${
          readBack ? `${readBack.stable}/${readBack.canary}` : 'no weights'
        }; another controller (Flagger, Argo Rollouts, a GitOps tool) may be managing this object: stop it or give the Rollout another name`,
      );
    }
    return readBack;
  }

  private describe(target: RouteTarget): string {
    return `${this.format.type.kind} ${target.namespace}/${target.name} (${this.apiVersion})`;
  }

  private explain(error: unknown, target: RouteTarget, action: string): Error {
    const cause = error instanceof Error ? error.message : String(error);
    return new Error(
      `could not ${action} ${this.describe(target)}: ${cause}; check that the ${this.format.type.plural}.${this.format.type.group} CRD serves ${this.format.type.version} and that fledge may write it`,
      { cause: error },
    );
  }
}
