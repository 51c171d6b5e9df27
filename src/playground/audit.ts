import { stringify } from 'yaml';

/**
 * The API server's audit policy for chaos runs: what fledge writes that decides traffic and
 * leadership, with the objects, so that invariants can be checked from the API server's own
 * record. Only writes, and only these kinds, so that the log stays a few MB per run:
 * - routing objects and Rollouts (status included) with request and response objects;
 * - Leases with theirs, except the nodes' heartbeats;
 * - Deployments (spec and scale, not status) with the request only.
 * The first rule that matches decides, hence the exclusion first and the catch-all last.
 */
export function auditPolicy(): string {
  const writes = ['create', 'update', 'patch', 'delete', 'deletecollection'];
  return stringify({
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    // One event per request, when its answer is complete: it has the response code.
    omitStages: ['RequestReceived'],
    rules: [
      {
        level: 'None',
        namespaces: ['kube-node-lease'],
        resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }],
      },
      {
        level: 'RequestResponse',
        verbs: writes,
        resources: [
          { group: 'split.smi-spec.io', resources: ['trafficsplits'] },
          { group: 'gateway.networking.k8s.io', resources: ['httproutes'] },
          { group: 'policy.linkerd.io', resources: ['httproutes'] },
          { group: 'fledge.dev', resources: ['rollouts', 'rollouts/status'] },
          { group: 'coordination.k8s.io', resources: ['leases'] },
        ],
      },
      {
        level: 'Request',
        verbs: writes,
        resources: [{ group: 'apps', resources: ['deployments', 'deployments/scale'] }],
      },
      { level: 'None' },
    ],
  });
}

/** kube-apiserver flags for a JSON-lines audit log, appended to across restarts, never rotated. */
export function auditFlags(files: { policy: string; log: string }): string[] {
  return [
    `--audit-policy-file=${files.policy}`,
    `--audit-log-path=${files.log}`,
    '--audit-log-format=json',
    // Events are written before the request is answered (batching would lose the last
    // batch when the API server is restarted).
    '--audit-log-mode=blocking',
    '--audit-log-maxsize=0',
  ];
}
