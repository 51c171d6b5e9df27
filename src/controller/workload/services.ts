/**
 * The three Services of workload mode as fledge wants them, and the change that brings an
 * existing one there: ports (the main one, plus with portDiscovery every other port the target's
 * containers declare), selector, and the user's labels and annotations under fledge's own.
 */
import type { V1Container, V1Deployment, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { ServiceMetadata } from '../../api/rollout.generated.js';
import type { KubeObject } from '../../kube/api-server.js';
import { mergePatchBetween } from '../../kube/patch.js';
import { keptFor, type RolloutIdentity, withoutRolloutOwner } from './kept.js';
import { primaryLabels, type WorkloadNames } from './objects.js';

export const MANAGED_LABEL = 'fledge.dev/managed';
/**
 * The label and annotation keys fledge last wrote from the Rollout's spec.service, as JSON, so
 * that a key removed there is removed from the Service, and keys others wrote are left alone.
 */
export const APPLIED_METADATA_ANNOTATION = 'fledge.dev/applied-metadata';

/** The default port name: Linkerd and Prometheus read the protocol from it. */
const DEFAULT_PORT_NAME = 'http';
/** Containers that a mesh injects: their ports are the proxy's, never the app's. */
const PROXY_CONTAINERS = new Set(['linkerd-proxy', 'istio-proxy', 'envoy']);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export type ServiceRole = 'apex' | 'primary' | 'canary';

export interface ServiceSettings {
  port: number;
  targetPort: number | string;
  portName?: string;
  portDiscovery?: boolean;
  apex?: ServiceMetadata;
  primary?: ServiceMetadata;
  canary?: ServiceMetadata;
}

/** The Services' settings from spec.service: the target port defaults to the port. */
export function serviceSettingsOf(service: {
  port: number;
  targetPort?: number | string;
}): ServiceSettings {
  return { ...service, targetPort: service.targetPort ?? service.port };
}

export interface ServicePorts {
  ports: V1ServicePort[];
  /** Declared ports that portDiscovery could not expose, each with the reason. */
  skipped: string[];
}

function isMainPort(
  port: { containerPort: number; name?: string },
  settings: ServiceSettings,
): boolean {
  return typeof settings.targetPort === 'number'
    ? port.containerPort === settings.targetPort
    : port.name === settings.targetPort;
}

/**
 * The ports of the three Services: the main one under portName, then with portDiscovery each
 * other port of the target's containers (as Flagger's portDiscovery: same number, named after
 * the container port, `tcp-<container>-<index>` without a name). A port that would clash with
 * one before it, in name or in number and protocol, is skipped and said.
 */
export function servicePorts(target: V1Deployment, settings: ServiceSettings): ServicePorts {
  const main: V1ServicePort = {
    name: settings.portName ?? DEFAULT_PORT_NAME,
    port: settings.port,
    targetPort: settings.targetPort as V1ServicePort['targetPort'],
    protocol: 'TCP',
  };
  const ports = [main];
  const skipped: string[] = [];
  if (!settings.portDiscovery) return { ports, skipped };
  const containers: V1Container[] = target.spec?.template.spec?.containers ?? [];
  for (const container of containers) {
    if (PROXY_CONTAINERS.has(container.name)) continue;
    (container.ports ?? []).forEach((declared, index) => {
      if (isMainPort(declared, settings)) return;
      const name = declared.name || `tcp-${container.name}-${index}`;
      const protocol = declared.protocol ?? 'TCP';
      const what = `port ${declared.containerPort}/${protocol} of container ${container.name}`;
      const clash = ports.find(
        (p) => p.name === name || (p.port === declared.containerPort && p.protocol === protocol),
      );
      if (!DNS_LABEL.test(name)) {
        skipped.push(`${what}: ${name} is not a Service port name; name the container port`);
      } else if (clash) {
        skipped.push(
          `${what}: clashes with Service port ${clash.name} (${clash.port}/${clash.protocol})`,
        );
      } else {
        ports.push({
          name,
          port: declared.containerPort,
          targetPort: declared.containerPort,
          protocol,
        } as V1ServicePort);
      }
    });
  }
  return { ports, skipped };
}

/** The user's labels and annotations for one Service, with fledge's own over them. */
function metadataOf(user: ServiceMetadata | undefined): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const labels = { ...(user?.labels ?? {}), [MANAGED_LABEL]: 'true' };
  const annotations: Record<string, string> = { ...(user?.annotations ?? {}) };
  delete annotations[APPLIED_METADATA_ANNOTATION];
  const applied = {
    labels: Object.keys(user?.labels ?? {}).filter((key) => key !== MANAGED_LABEL),
    annotations: Object.keys(annotations),
  };
  if (applied.labels.length + applied.annotations.length > 0) {
    annotations[APPLIED_METADATA_ANNOTATION] = JSON.stringify(applied);
  }
  return { labels, annotations };
}

/** Keys of the user's metadata that fledge's own override, for a warning. */
export function overriddenKeys(settings: ServiceSettings): string[] {
  return (['apex', 'primary', 'canary'] as const).flatMap((role) => [
    ...(settings[role]?.labels?.[MANAGED_LABEL] !== undefined
      ? [`spec.service.${role}.labels.${MANAGED_LABEL}`]
      : []),
    ...(settings[role]?.annotations?.[APPLIED_METADATA_ANNOTATION] !== undefined
      ? [`spec.service.${role}.annotations.${APPLIED_METADATA_ANNOTATION}`]
      : []),
  ]);
}

function service(
  name: string,
  namespace: string,
  selector: Record<string, string>,
  ports: V1ServicePort[],
  user: ServiceMetadata | undefined,
  kept: Record<string, string>,
): V1Service {
  const metadata = metadataOf(user);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: metadata.labels,
      annotations: { ...metadata.annotations, ...kept },
    },
    spec: { type: 'ClusterIP', selector, ports },
  };
}

/**
 * The three Services of workload mode: the apex callers use (primary pods, so that traffic
 * is safe even without a routing object), the primary's and the canary's. Kept for the
 * Rollout, not owned (kept.ts): garbage collection must not take what routes send callers to.
 */
export function workloadServices(
  target: V1Deployment,
  names: WorkloadNames,
  settings: ServiceSettings,
  rollout: RolloutIdentity,
): { services: V1Service[]; skipped: string[] } {
  const selector = target.spec?.selector.matchLabels ?? {};
  const { ports, skipped } = servicePorts(target, settings);
  const { namespace } = names;
  const kept = keptFor(rollout);
  const primaryPods = primaryLabels(selector);
  return {
    services: [
      service(names.apexService, namespace, primaryPods, ports, settings.apex, kept),
      service(names.primaryService, namespace, primaryPods, ports, settings.primary, kept),
      service(names.canaryService, namespace, selector, ports, settings.canary, kept),
    ],
    skipped,
  };
}

/** The keys fledge wrote last time, from its annotation; none when it is absent or garbled. */
function appliedKeys(existing: V1Service): { labels: string[]; annotations: string[] } {
  const text = existing.metadata?.annotations?.[APPLIED_METADATA_ANNOTATION];
  const none = { labels: [], annotations: [] };
  if (text === undefined) return none;
  try {
    const parsed = JSON.parse(text) as { labels?: unknown; annotations?: unknown };
    const strings = (value: unknown) =>
      Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    return { labels: strings(parsed.labels), annotations: strings(parsed.annotations) };
  } catch {
    return none;
  }
}

/** `current` narrowed to the keys fledge manages: what it wants, and what it wrote before. */
function managed(
  current: Record<string, string> | undefined,
  wanted: Record<string, string> | undefined,
  before: readonly string[],
): Record<string, string> {
  const keys = new Set([...Object.keys(wanted ?? {}), ...before]);
  return Object.fromEntries(Object.entries(current ?? {}).filter(([key]) => keys.has(key)));
}

/**
 * The merge patch that brings an existing Service to `desired`: selector and ports exactly;
 * of labels and annotations, the keys fledge wants and those it wrote before and no longer
 * wants (removed), never a key someone else wrote. Undefined when nothing differs.
 */
export function serviceChange(
  existing: V1Service,
  desired: V1Service,
): Record<string, unknown> | undefined {
  const before = appliedKeys(existing);
  const wantedAnnotations = desired.metadata?.annotations ?? {};
  // The record itself is fledge's: dropped when there is nothing left to record.
  const annotationsBefore = [...before.annotations, APPLIED_METADATA_ANNOTATION];
  const metadata = mergePatchBetween(
    {
      labels: managed(existing.metadata?.labels, desired.metadata?.labels, before.labels),
      annotations: managed(existing.metadata?.annotations, wantedAnnotations, annotationsBefore),
    },
    { labels: desired.metadata?.labels ?? {}, annotations: wantedAnnotations },
  );
  const spec = mergePatchBetween(
    { selector: existing.spec?.selector, ports: existing.spec?.ports },
    { selector: desired.spec?.selector, ports: desired.spec?.ports },
  );
  // A Service an older fledge owned loses the Rollout's ownerReference (kept.ts).
  const owners = withoutRolloutOwner(existing as KubeObject);
  if (metadata === undefined && spec === undefined && owners === undefined) return undefined;
  return {
    metadata: {
      resourceVersion: existing.metadata?.resourceVersion,
      ...((metadata as Record<string, unknown> | undefined) ?? {}),
      ...(owners === undefined ? {} : { ownerReferences: owners }),
    },
    ...(spec !== undefined ? { spec } : {}),
  };
}
