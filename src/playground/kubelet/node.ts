/** The Node object of the simulated kubelet: always Ready, with room for many pods. */

export const SIM_KUBELET_VERSION = 'v1.20.2-fledge-sim';

export function nodeObject(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'fledge.dev/simulated': 'true',
      },
    },
    spec: {},
  };
}

/** A merge patch for nodes/status; sent again as the heartbeat. */
export function nodeStatus(now: string, since: string) {
  const resources = { cpu: '32', memory: '128Gi', pods: '1000', 'ephemeral-storage': '500Gi' };
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: since,
  });
  return {
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: 'localhost' },
      ],
      conditions: [
        condition(
          'Ready',
          'True',
          'KubeletReady',
          'fledge kubelet simulator is posting ready status',
        ),
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'simulated'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'simulated'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'simulated'),
      ],
      nodeInfo: {
        kubeletVersion: SIM_KUBELET_VERSION,
        kubeProxyVersion: SIM_KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
        containerRuntimeVersion: 'fledge-sim://1',
        osImage: 'fledge playground',
        kernelVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}
