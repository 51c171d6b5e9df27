import type { ConfigReferences } from './revision.js';
import { primaryAutoscalerName } from './workload/autoscaler.js';

export type ConfigKind = 'ConfigMap' | 'Secret';

/** A ConfigMap or Secret by kind, namespace and name. */
export interface ConfigRef {
  kind: ConfigKind;
  namespace: string;
  name: string;
}

export const configKey = (ref: ConfigRef): string => `${ref.kind}/${ref.namespace}/${ref.name}`;

/**
 * What a Rollout in workload mode reads: its target and the primary it owns and, with
 * spec.autoscalerRef, the target's autoscaler (whose copy for the primary it owns too).
 */
export interface RolloutWorkload {
  namespace: string;
  target: string;
  primary: string;
  autoscaler?: string;
}

/** Told when a ConfigMap or Secret gains its first reader, and when it loses its last. */
export interface ReferenceListener {
  retained(ref: ConfigRef): void;
  released(ref: ConfigRef): void;
}

const objectKey = (namespace: string, name: string) => `${namespace}/${name}`;

function add(index: Map<string, Set<string>>, key: string, member: string): boolean {
  const members = index.get(key);
  if (members) {
    members.add(member);
    return false;
  }
  index.set(key, new Set([member]));
  return true;
}

function remove(index: Map<string, Set<string>>, key: string, member: string): boolean {
  const members = index.get(key);
  if (!members) return false;
  members.delete(member);
  if (members.size > 0) return false;
  index.delete(key);
  return true;
}

/** The autoscalers a Rollout reads or writes: the target's and the primary's copy of it. */
const autoscalersOf = ({ namespace, autoscaler }: RolloutWorkload): string[] =>
  autoscaler
    ? [objectKey(namespace, autoscaler), objectKey(namespace, primaryAutoscalerName(autoscaler))]
    : [];

/**
 * Which Rollouts read which Deployments, autoscalers, ConfigMaps and Secrets, kept up to date
 * as the watches report changes, so that a watch event finds the Rollouts it concerns in one
 * lookup instead of a pass over every Rollout. It also says which ConfigMaps and Secrets are
 * read at all (`listener`): only those are ever fetched, and only while someone reads them.
 */
export class ReferenceIndex {
  private readonly workloadOf = new Map<string, RolloutWorkload>();
  private readonly byDeployment = new Map<string, Set<string>>();
  private readonly byAutoscaler = new Map<string, Set<string>>();
  private readonly configsOf = new Map<string, string[]>();
  private readonly byConfig = new Map<string, Set<string>>();
  private readonly refs = new Map<string, ConfigRef>();

  constructor(
    /** The references of a Deployment's pod template as cached now; undefined when absent. */
    private readonly referencesOf: (
      namespace: string,
      name: string,
    ) => ConfigReferences | undefined,
    private readonly listener: ReferenceListener,
  ) {}

  /** A Rollout was listed, added or changed; null when it is gone or reads no Deployment. */
  setRollout(key: string, workload: RolloutWorkload | null): void {
    const before = this.workloadOf.get(key);
    if (before) {
      remove(this.byDeployment, objectKey(before.namespace, before.target), key);
      remove(this.byDeployment, objectKey(before.namespace, before.primary), key);
      for (const autoscaler of autoscalersOf(before)) remove(this.byAutoscaler, autoscaler, key);
    }
    if (workload) {
      this.workloadOf.set(key, workload);
      add(this.byDeployment, objectKey(workload.namespace, workload.target), key);
      add(this.byDeployment, objectKey(workload.namespace, workload.primary), key);
      for (const autoscaler of autoscalersOf(workload)) add(this.byAutoscaler, autoscaler, key);
    } else {
      this.workloadOf.delete(key);
    }
    this.refresh(key);
  }

  /** A Deployment was added, changed or deleted: its readers' references are read again. */
  deploymentChanged(namespace: string, name: string): void {
    for (const key of this.rolloutsOfDeployment(namespace, name)) this.refresh(key);
  }

  /** The Rollouts whose target or primary this Deployment is. */
  rolloutsOfDeployment(namespace: string, name: string): string[] {
    return [...(this.byDeployment.get(objectKey(namespace, name)) ?? [])];
  }

  /** The Rollouts whose spec.autoscalerRef names this autoscaler, or whose primary's copy it is. */
  rolloutsOfAutoscaler(namespace: string, name: string): string[] {
    return [...(this.byAutoscaler.get(objectKey(namespace, name)) ?? [])];
  }

  /** The Rollouts whose target reads this ConfigMap or Secret. */
  rolloutsOfConfig(ref: ConfigRef): string[] {
    return [...(this.byConfig.get(configKey(ref)) ?? [])];
  }

  /** Whether some Rollout's target reads it. */
  isReferenced(ref: ConfigRef): boolean {
    return this.byConfig.has(configKey(ref));
  }

  /** Every ConfigMap and Secret read by some target. */
  referenced(): ConfigRef[] {
    return [...this.refs.values()];
  }

  private refresh(key: string): void {
    const workload = this.workloadOf.get(key);
    const references = workload
      ? this.referencesOf(workload.namespace, workload.target)
      : undefined;
    const next: ConfigRef[] = [];
    if (workload && references) {
      const { namespace } = workload;
      for (const name of references.configMaps) next.push({ kind: 'ConfigMap', namespace, name });
      for (const name of references.secrets) next.push({ kind: 'Secret', namespace, name });
    }
    const nextKeys = next.map(configKey);
    const before = this.configsOf.get(key) ?? [];
    for (const old of before) {
      if (nextKeys.includes(old)) continue;
      if (remove(this.byConfig, old, key)) {
        const ref = this.refs.get(old);
        this.refs.delete(old);
        if (ref) this.listener.released(ref);
      }
    }
    next.forEach((ref, i) => {
      const refKey = nextKeys[i] as string;
      if (before.includes(refKey)) return;
      if (add(this.byConfig, refKey, key)) {
        this.refs.set(refKey, ref);
        this.listener.retained(ref);
      }
    });
    if (nextKeys.length > 0) this.configsOf.set(key, nextKeys);
    else this.configsOf.delete(key);
  }
}
