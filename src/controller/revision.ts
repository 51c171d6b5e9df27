import { createHash } from 'node:crypto';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';

/** The ConfigMaps and Secrets a pod template reads, by name, sorted. */
export interface ConfigReferences {
  configMaps: string[];
  secrets: string[];
}

/**
 * Every ConfigMap and Secret the pod template refers to through env, envFrom or volumes
 * (projected ones included): a change of their data is a new revision, as in Flagger.
 */
export function referencedConfigs(template: V1PodTemplateSpec): ConfigReferences {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const spec = template.spec;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  for (const container of containers) {
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef?.name) configMaps.add(source.configMapRef.name);
      if (source.secretRef?.name) secrets.add(source.secretRef.name);
    }
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom;
      if (from?.configMapKeyRef?.name) configMaps.add(from.configMapKeyRef.name);
      if (from?.secretKeyRef?.name) secrets.add(from.secretKeyRef.name);
    }
  }
  for (const volume of spec?.volumes ?? []) {
    if (volume.configMap?.name) configMaps.add(volume.configMap.name);
    if (volume.secret?.secretName) secrets.add(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap?.name) configMaps.add(source.configMap.name);
      if (source.secret?.name) secrets.add(source.secret.name);
    }
  }
  return { configMaps: [...configMaps].sort(), secrets: [...secrets].sort() };
}

/** Data of a referenced ConfigMap or Secret; undefined when it does not exist (yet). */
export type ConfigData = Record<string, string> | undefined;

/**
 * A short, stable identifier of what the canary runs: the pod template plus the data of the
 * ConfigMaps and Secrets it references. Key order never changes the result.
 */
export function computeRevision(
  template: V1PodTemplateSpec,
  configMaps: Record<string, ConfigData>,
  secrets: Record<string, ConfigData>,
): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson({ template, configMaps, secrets }));
  return hash.digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
