/**
 * What a simulated pod uses, from its containers' environment: `CPU_MILLICORES` at rest plus
 * `CPU_MILLICORES_PER_RPS` for each request per second the pod serves (only containers that
 * serve a port get load), and `MEMORY_MIB`. Pure.
 */
export interface UsageContainer {
  name: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: unknown[];
}

export interface ContainerUsage {
  name: string;
  /** Kubernetes quantities, as metrics.k8s.io reports them. */
  usage: { cpu: string; memory: string };
}

/** What the metrics-server reads of a pod to decide whether it has usage to report. */
export interface PodState {
  metadata?: { deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/**
 * Whether a pod uses anything: scheduled, Running and not being deleted, as metrics-server
 * reports only pods whose containers run (the HPA counts the others as not ready).
 */
export const isMetered = (pod: PodState): boolean =>
  pod.status?.phase === 'Running' &&
  pod.spec?.nodeName !== undefined &&
  pod.metadata?.deletionTimestamp === undefined;

export const DEFAULT_CPU_MILLICORES = 10;
export const DEFAULT_MEMORY_MIB = 32;

function envNumber(container: UsageContainer, name: string, fallback: number): number {
  const raw = container.env?.find((variable) => variable.name === name)?.value;
  const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

export function containerUsage(
  containers: readonly UsageContainer[],
  requestsPerSecond: number,
): ContainerUsage[] {
  return containers.map((container) => {
    const rest = envNumber(container, 'CPU_MILLICORES', DEFAULT_CPU_MILLICORES);
    const perRequest = envNumber(container, 'CPU_MILLICORES_PER_RPS', 0);
    const serves = (container.ports ?? []).length > 0;
    const millicores = Math.round(rest + (serves ? perRequest * requestsPerSecond : 0));
    const mebibytes = Math.round(envNumber(container, 'MEMORY_MIB', DEFAULT_MEMORY_MIB));
    return { name: container.name, usage: { cpu: `${millicores}m`, memory: `${mebibytes}Mi` } };
  });
}
