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

/**
 * What the revision knows of a referenced ConfigMap or Secret: a digest of its contents
 * (`data` and `binaryData`), never the contents; null when it does not exist (yet).
 */
export type ConfigHash = string | null;

export interface ConfigHashes {
  configMaps: Record<string, ConfigHash>;
  secrets: Record<string, ConfigHash>;
}

/** A digest of a ConfigMap's or Secret's contents, the only thing fledge keeps of them. */
export function configHash(object: {
  data?: unknown;
  binaryData?: unknown;
  [field: string]: unknown;
}): string {
  const contents = { data: object.data ?? {}, binaryData: object.binaryData };
  return createHash('sha256').update(canonicalJson(contents)).digest('hex').slice(0, 32);
}

/** The revision of a pod template alone, as if it read no ConfigMap or Secret. */
export function templateRevision(template: V1PodTemplateSpec): string {
  return digest({ template, configMaps: {}, secrets: {} });
}

/**
 * A short, stable identifier of what the canary runs: the pod template's revision plus the
 * digests of the ConfigMaps and Secrets it references. A template that references none keeps
 * its template revision, so it reads the same as it did before digests replaced contents.
 */
export function revisionOf(
  template: string,
  references: ConfigReferences,
  hashes: ConfigHashes,
): string {
  if (references.configMaps.length === 0 && references.secrets.length === 0) return template;
  const pick = (names: string[], known: Record<string, ConfigHash>) =>
    Object.fromEntries(names.map((name) => [name, known[name] ?? null]));
  return digest({
    template,
    configMaps: pick(references.configMaps, hashes.configMaps),
    secrets: pick(references.secrets, hashes.secrets),
  });
}

/** A short, stable digest of a JSON value, whatever the order of its keys. */
export function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
