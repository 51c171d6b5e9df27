/** The status a kubelet reports for a simulated pod, and the facts it reads from the spec. */
import { portArgument } from './podinfo.js';

export interface SimContainer {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string }>;
  command?: string[];
  args?: string[];
  ports?: Array<{ containerPort: number; protocol?: string }>;
  readinessProbe?: { initialDelaySeconds?: number };
}

export interface SimPod {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    deletionTimestamp?: string;
  };
  spec?: { nodeName?: string; containers?: SimContainer[] };
  status?: { phase?: string; podIP?: string };
}

/** Seconds before the pod may become Ready: the longest readiness probe initial delay. */
export function readinessDelaySeconds(pod: SimPod): number {
  return Math.max(
    0,
    ...(pod.spec?.containers ?? []).map((c) => c.readinessProbe?.initialDelaySeconds ?? 0),
  );
}

/**
 * Every TCP port the pod's containers declare, and the port a container's `--port` argument
 * names (podinfo's), with the container that owns it; each port once.
 */
export function servedPorts(pod: SimPod): Array<{ container: SimContainer; port: number }> {
  return (pod.spec?.containers ?? []).flatMap((container) => {
    const declared = (container.ports ?? [])
      .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
      .map((p) => p.containerPort);
    const named = portArgument([...(container.command ?? []), ...(container.args ?? [])]);
    const ports = named === undefined || declared.includes(named) ? declared : [...declared, named];
    return [...new Set(ports)].map((port) => ({ container, port }));
  });
}

/** A merge patch for pods/status: Running at `podIP`, Ready or not yet. */
export function runningStatus(
  pod: SimPod,
  facts: { podIP: string; hostIP: string; ready: boolean; startedAt: string; now: string },
) {
  const condition = (type: string, value: boolean) => ({
    type,
    status: value ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: facts.now,
  });
  return {
    status: {
      phase: 'Running',
      hostIP: facts.hostIP,
      podIP: facts.podIP,
      podIPs: [{ ip: facts.podIP }],
      startTime: facts.startedAt,
      conditions: [
        condition('Initialized', true),
        condition('Ready', facts.ready),
        condition('ContainersReady', facts.ready),
        condition('PodScheduled', true),
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((container) => ({
        name: container.name,
        image: container.image ?? '',
        imageID: `fledge-sim://${container.image ?? ''}`,
        containerID: `fledge-sim://${pod.metadata?.uid ?? ''}/${container.name}`,
        ready: facts.ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: facts.startedAt } },
      })),
    },
  };
}
