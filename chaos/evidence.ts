import type { WriteFact } from './audit-log.js';

/** What a person reads to find a write in the audit log and see what it did. */
export interface Evidence {
  auditId: string;
  /** When the write took effect (the API server's stageTimestamp). */
  at: string;
  userAgent: string;
  /** "patch trafficsplits default/podinfo → 200" */
  request: string;
  /** What the write held: weights, phase, Lease holder. */
  detail: string;
}

export type Invariant = 'outcome' | 'max-weight' | 'weight-after-rollback' | 'single-driver';

export interface Violation {
  invariant: Invariant;
  /** namespace/name of the Rollout. */
  rollout: string;
  /** 1-based, in the order the run triggered them; absent when not about one revision. */
  revision?: number;
  message: string;
  evidence: Evidence[];
}

export const isoOf = (micros: number): string =>
  `${new Date(Math.floor(micros / 1000)).toISOString().slice(0, -1)}${String(micros % 1000).padStart(3, '0')}Z`;

export function describeFact(fact: WriteFact): string {
  const subject = fact.subject;
  switch (subject.kind) {
    case 'routing':
      return subject.routes === null
        ? 'deleted'
        : subject.routes
            .map((route) => route.map((b) => `${b.service}=${b.weight}`).join(' '))
            .join(' | ');
    case 'rollout-status': {
      const s = subject.status;
      return `phase ${s.phase ?? '-'}, weight ${s.canaryWeight ?? '-'}, failed checks ${s.failedChecks ?? '-'}, revision ${s.currentRevision ?? '-'}`;
    }
    case 'lease':
      return `holder "${subject.holder}", transitions ${subject.leaseTransitions ?? '-'}, renewed ${subject.renewTime === undefined ? '-' : isoOf(subject.renewTime)}, duration ${subject.leaseDurationSeconds ?? '-'} s`;
    case 'deployment':
      return subject.subresource ? `${subject.subresource} subresource` : 'spec';
    case 'rollout':
      return 'metadata or spec';
  }
}

function resourceOf(fact: WriteFact): string {
  const subject = fact.subject;
  switch (subject.kind) {
    case 'routing':
      return subject.resource;
    case 'rollout-status':
      return 'rollouts/status';
    case 'rollout':
      return 'rollouts';
    case 'lease':
      return 'leases';
    case 'deployment':
      return subject.subresource ? `deployments/${subject.subresource}` : 'deployments';
  }
}

export function evidenceOf(fact: WriteFact): Evidence {
  return {
    auditId: fact.auditId,
    at: isoOf(fact.completed),
    userAgent: fact.userAgent,
    request: `${fact.verb} ${resourceOf(fact)} ${fact.namespace}/${fact.name} → ${fact.code}`,
    detail: describeFact(fact),
  };
}

export const succeeded = (fact: WriteFact): boolean => fact.code >= 200 && fact.code < 300;
