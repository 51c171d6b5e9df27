import { stringify } from 'yaml';

/**
 * The API server's audit policy for chaos runs: what fledge writes that decides traffic and
 * leadership, with the objects, so that invariants can be checked from the API server's own
 * record. Only writes, and only these kinds, so that the log stays a few MB per run:
 * - routing objects and Rollouts (status included) with request and response objects;
 * - Leases with theirs, except the nodes' heartbeats;
 * - Deployments (spec and scale, not status) with the request only.
 * The first rule that matches decides, hence the exclusion first and the catch-all last.
 * With a scope of names, only the writes to the Rollouts and routing objects of those names
 * are kept: a scale run times its sample of rollbacks without logging its thousand others.
 */
export interface AuditScope {
  /**
   * Only the Rollouts and routing objects of these names, in any namespace. Not their creates:
   * the API server matches a rule's names against the request's path, which a create lacks.
   */
  names: readonly string[];
}

const routingAndRollouts = [
  { group: 'split.smi-spec.io', resources: ['trafficsplits'] },
  { group: 'gateway.networking.k8s.io', resources: ['httproutes'] },
  { group: 'policy.linkerd.io', resources: ['httproutes'] },
  { group: 'fledge.dev', resources: ['rollouts', 'rollouts/status'] },
];

export function auditPolicy(scope?: AuditScope): string {
  const writes = ['create', 'update', 'patch', 'delete', 'deletecollection'];
  // One event per request, when its answer is complete: it has the response code.
  const policy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'] };
  if (scope) {
    const resourceNames = [...scope.names];
    return stringify({
      ...policy,
      rules: [
        {
          level: 'RequestResponse',
          verbs: writes,
          resources: routingAndRollouts.map((kind) => ({ ...kind, resourceNames })),
        },
        { level: 'None' },
      ],
    });
  }
  return stringify({
    ...policy,
    rules: [
      {
        level: 'None',
        namespaces: ['kube-node-lease'],
        resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }],
      },
      {
        level: 'RequestResponse',
        verbs: writes,
        resources: [...routingAndRollouts, { group: 'coordination.k8s.io', resources: ['leases'] }],
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
