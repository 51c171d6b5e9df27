import { factOf, type WriteFact } from '../../../chaos/audit-log.js';

/**
 * Hand-made audit log lines (audit.k8s.io/v1 Events, as kube-apiserver writes them) for the
 * checker's tests. Time is in seconds after a fixed start; each write completes 1 ms after
 * the API server received it unless told.
 */

const start = Date.parse('2025-01-01T00:00:00Z');
export const at = (seconds: number): string => {
  const micros = Math.round(seconds * 1_000_000);
  const iso = new Date(start + Math.floor(micros / 1000)).toISOString().slice(0, -1);
  return `${iso}${String(micros % 1000).padStart(3, '0')}Z`;
};

interface EventOptions {
  verb?: string;
  resource: string;
  apiGroup: string;
  subresource?: string;
  namespace: string;
  name: string;
  userAgent: string;
  code?: number;
  /** Seconds after the start. */
  received: number;
  completed?: number;
  responseObject?: unknown;
  stage?: string;
}

let ids = 0;

export function auditLine(o: EventOptions): string {
  ids++;
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `audit-${ids}`,
    stage: o.stage ?? 'ResponseComplete',
    requestURI: `/apis/${o.apiGroup}/v1/namespaces/${o.namespace}/${o.resource}/${o.name}`,
    verb: o.verb ?? 'patch',
    user: { username: 'admin', groups: ['system:masters'] },
    userAgent: o.userAgent,
    objectRef: {
      resource: o.resource,
      namespace: o.namespace,
      name: o.name,
      apiGroup: o.apiGroup,
      apiVersion: 'v1',
      ...(o.subresource ? { subresource: o.subresource } : {}),
    },
    responseStatus: { metadata: {}, code: o.code ?? 200 },
    responseObject: o.responseObject,
    requestReceivedTimestamp: at(o.received),
    stageTimestamp: at(o.completed ?? o.received + 0.001),
  });
}

const fact = (line: string): WriteFact => {
  const parsed = factOf(line);
  if (!parsed) throw new Error(`not a fact: ${line}`);
  return parsed;
};

export const NS = 'chaos-a';
export const ROLLOUT = 'app';
export const controller = (identity: string) => `fledge-controller/${identity}`;

type Common = { userAgent?: string; code?: number; completed?: number; namespace?: string };

export function trafficSplit(
  received: number,
  weights: Record<string, number | string>,
  o: Common = {},
): WriteFact {
  return fact(
    auditLine({
      resource: 'trafficsplits',
      apiGroup: 'split.smi-spec.io',
      namespace: o.namespace ?? NS,
      name: ROLLOUT,
      userAgent: o.userAgent ?? controller('a'),
      received,
      ...(o.code ? { code: o.code } : {}),
      ...(o.completed ? { completed: o.completed } : {}),
      responseObject: {
        spec: {
          service: ROLLOUT,
          backends: Object.entries(weights).map(([service, weight]) => ({ service, weight })),
        },
      },
    }),
  );
}

export function status(
  received: number,
  s: { phase: string; failedChecks?: number; canaryWeight?: number; revision: string },
  o: Common = {},
): WriteFact {
  return fact(
    auditLine({
      resource: 'rollouts',
      apiGroup: 'fledge.dev',
      subresource: 'status',
      namespace: o.namespace ?? NS,
      name: ROLLOUT,
      userAgent: o.userAgent ?? controller('a'),
      received,
      ...(o.code ? { code: o.code } : {}),
      ...(o.completed ? { completed: o.completed } : {}),
      responseObject: {
        status: {
          phase: s.phase,
          failedChecks: s.failedChecks ?? 0,
          canaryWeight: s.canaryWeight ?? 0,
          currentRevision: s.revision,
        },
      },
    }),
  );
}

/** The chaos run's write that starts a revision (a Deployment patch in workload mode). */
export function trigger(received: number, namespace = NS): WriteFact {
  return fact(
    auditLine({
      resource: 'deployments',
      apiGroup: 'apps',
      namespace,
      name: ROLLOUT,
      userAgent: 'fledge-chaos/trigger',
      received,
    }),
  );
}

export const LEASE = { namespace: 'default', name: 'fledge-chaos' };

export function lease(
  received: number,
  holder: string,
  o: Common & { transitions?: number; renewedAt?: number; durationSeconds?: number } = {},
): WriteFact {
  return fact(
    auditLine({
      verb: 'update',
      resource: 'leases',
      apiGroup: 'coordination.k8s.io',
      namespace: LEASE.namespace,
      name: LEASE.name,
      userAgent: o.userAgent ?? controller(holder || 'a'),
      received,
      ...(o.code ? { code: o.code } : {}),
      responseObject: {
        spec: {
          holderIdentity: holder,
          leaseDurationSeconds: o.durationSeconds ?? 3,
          renewTime: at(o.renewedAt ?? received),
          leaseTransitions: o.transitions ?? 0,
        },
      },
    }),
  );
}

export const byCompletion = (facts: WriteFact[]): WriteFact[] =>
  [...facts].sort((a, b) => a.completed - b.completed);
