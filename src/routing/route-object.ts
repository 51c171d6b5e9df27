import type { ApiServer, KubeObject, OwnerReference } from '../kube/api-server.js';
import { isAlreadyExists } from '../kube/api-server.js';
import { ResourceClient, type ResourceType } from '../kube/resources.js';
import {
  assertWeight,
  type ObservedRoute,
  type Router,
  type RouteTarget,
  sameWeights,
  type Weights,
  type WeightsResult,
  weightsFor,
} from './router.js';

/** A provider's object shape, as pure functions: what a routing object says and how to read it. */
export interface RouteFormat {
  provider: string;
  type: ResourceType;
  buildSpec(target: RouteTarget, weights: Weights): Record<string, unknown>;
  /** Null when the object does not route the target's apex to its two backends. */
  readWeights(target: RouteTarget, object: KubeObject): Weights | null;
  /** What the object routes (apex and backends, as fledge writes them), or null. */
  readTarget(object: KubeObject): RoutedTarget | null;
}

/** A target as read back from its routing object: what the object says, not what a spec says. */
export type RoutedTarget = Pick<
  RouteTarget,
  'apexService' | 'port' | 'stableService' | 'canaryService'
>;

/** Records the canary weight fledge last wrote, so drift is judged across restarts and replicas. */
export const appliedWeightAnnotation = 'fledge.dev/canary-weight';
export const managedByLabel = { 'app.kubernetes.io/managed-by': 'fledge' };

/** The whole routing object fledge writes for a target at a weight. */
export function buildRouteObject(
  format: RouteFormat,
  target: RouteTarget,
  canaryWeight: number,
): KubeObject {
  return {
    metadata: {
      name: target.name,
      namespace: target.namespace,
      labels: { ...managedByLabel, ...target.labels },
      annotations: { [appliedWeightAnnotation]: String(canaryWeight) },
      ...(target.owner ? { ownerReferences: [target.owner] } : {}),
    },
    spec: format.buildSpec(target, weightsFor(canaryWeight)),
  };
}

/** The canary weight fledge last wrote to this object, if it wrote one. */
export function appliedWeight(object: KubeObject): number | undefined {
  const value = object.metadata?.annotations?.[appliedWeightAnnotation];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function withOwner(
  owners: OwnerReference[] | undefined,
  owner: OwnerReference | undefined,
): OwnerReference[] | undefined {
  if (!owner || owners?.some((o) => o.uid === owner.uid)) return undefined;
  return [...(owners ?? []), owner];
}

/**
 * A Router over one namespaced object per rollout whose spec the format fully owns: every
 * write replaces the spec, then reads it back.
 */
export class RouteObjectRouter implements Router {
  readonly provider: string;
  readonly apiVersion: string;
  readonly type: ResourceType;
  private readonly objects: ResourceClient;

  constructor(
    api: ApiServer,
    private readonly format: RouteFormat,
  ) {
    this.provider = format.provider;
    this.type = format.type;
    this.apiVersion = `${format.type.group}/${format.type.version}`;
    this.objects = new ResourceClient(api, format.type);
  }

  async reconcile(target: RouteTarget): Promise<void> {
    await this.ensure(target);
  }

  /** Creates or adopts the object, returning it as the server stores it. */
  private async ensure(target: RouteTarget): Promise<KubeObject> {
    const existing = await this.objects.find(target.namespace, target.name);
    if (!existing) {
      try {
        return await this.objects.create(buildRouteObject(this.format, target, 0));
      } catch (error) {
        if (!isAlreadyExists(error)) throw this.explain(error, target, 'create');
        return this.ensure(target);
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
    return this.objects
      .mergePatch(target.namespace, target.name, {
        metadata: {
          labels,
          ...(ownerReferences ? { ownerReferences } : {}),
          ...(annotate ? { annotations: { [appliedWeightAnnotation]: String(adoptWeight) } } : {}),
        },
        ...(current ? {} : { spec: this.format.buildSpec(target, weightsFor(0)) }),
      })
      .catch((error: unknown) => {
        throw this.explain(error, target, 'adopt');
      });
  }

  async setWeights(target: RouteTarget, canaryWeight: number): Promise<WeightsResult> {
    assertWeight(canaryWeight);
    const desired = weightsFor(canaryWeight);
    const existing = await this.objects.find(target.namespace, target.name);
    let drifted: boolean;
    let found: Weights | null;
    if (!existing) {
      drifted = true;
      found = null;
    } else {
      found = this.format.readWeights(target, existing);
      const lastWritten = appliedWeight(existing);
      drifted = lastWritten !== undefined && !sameWeights(found, weightsFor(lastWritten));
    }
    const current = existing ?? (await this.ensure(target));
    // Only the weights and their backends are compared: servers add defaults to the rest
    // of the spec (Gateway API's matches), and rewriting those would loop through watches.
    const needsWrite =
      !sameWeights(this.format.readWeights(target, current), desired) ||
      appliedWeight(current) !== canaryWeight;
    if (needsWrite) {
      const ownerReferences = withOwner(current.metadata?.ownerReferences, target.owner);
      await this.objects
        .mergePatch(target.namespace, target.name, {
          metadata: {
            annotations: { [appliedWeightAnnotation]: String(canaryWeight) },
            ...(ownerReferences ? { ownerReferences } : {}),
          },
          spec: this.format.buildSpec(target, desired),
        })
        .catch((error: unknown) => {
          throw this.explain(error, target, 'set weights on');
        });
    }
    // Read back after a write: another controller fighting over the object shows up here.
    const readBack = needsWrite
      ? await this.getWeights(target)
      : this.format.readWeights(target, current);
    if (!readBack || !sameWeights(readBack, desired)) {
      throw new Error(
        `${this.describe(target)}: wrote ${desired.stable}/${desired.canary} (stable/canary) but read back ${
          readBack ? `${readBack.stable}/${readBack.canary}` : 'no weights'
        }; another controller (Flagger, Argo Rollouts, a GitOps tool) may be managing this object: stop it or give the Rollout another name`,
      );
    }
    return drifted ? { weights: readBack, drifted, found } : { weights: readBack, drifted };
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

  async finalize(target: RouteTarget): Promise<void> {
    if (!(await this.objects.find(target.namespace, target.name))) return;
    await this.setWeights(target, 0);
    await this.objects.delete(target.namespace, target.name);
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
