import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseQuantity } from '../src/kube/quantity.js';

/**
 * The API server's audit log, reduced to the facts the invariants need. Each write keeps its
 * audit ID, so that a violation can point at the exact entries of the log.
 */

/** One backend of one route: a TrafficSplit has one route, an HTTPRoute one per rule. */
export interface WeightedBackend {
  service: string;
  /** NaN when the object held something that is not a weight. */
  weight: number;
}

export interface StatusSeen {
  phase?: string;
  failedChecks?: number;
  canaryWeight?: number;
  currentRevision?: string;
}

export type Subject =
  /** `routes` is null for a delete. */
  | { kind: 'routing'; resource: string; routes: WeightedBackend[][] | null }
  | { kind: 'rollout-status'; status: StatusSeen }
  /** The Rollout itself: finalizers, annotations, spec. */
  | { kind: 'rollout' }
  | {
      kind: 'lease';
      holder: string;
      /** Microseconds since the epoch, as the holder wrote it. */
      renewTime: number | undefined;
      leaseDurationSeconds: number | undefined;
      leaseTransitions: number | undefined;
    }
  | { kind: 'deployment'; subresource: string | undefined };

export interface WriteFact {
  auditId: string;
  verb: string;
  userAgent: string;
  /** The HTTP status of the answer. */
  code: number;
  /** When the API server received the request, in microseconds since the epoch. */
  received: number;
  /** When it completed its answer (the write had taken effect), in microseconds. */
  completed: number;
  namespace: string;
  name: string;
  subject: Subject;
}

const writeVerbs = new Set(['create', 'update', 'patch', 'delete']);
const routingResources = new Set([
  'trafficsplits.split.smi-spec.io',
  'httproutes.gateway.networking.k8s.io',
  'httproutes.policy.linkerd.io',
]);

/** RFC 3339 with up to nanoseconds (audit timestamps, Lease MicroTime) to microseconds. */
export function microsOf(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  if (!match?.[1]) return undefined;
  const seconds = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(seconds)) return undefined;
  return seconds * 1000 + Number((match[2] ?? '').padEnd(6, '0').slice(0, 6));
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const count = (value: unknown): number | undefined =>
  typeof value === 'number' ? value : undefined;

/** The routes of a TrafficSplit (`spec.backends`) or an HTTPRoute (`spec.rules[].backendRefs`). */
export function routesOf(resource: string, routingObject: unknown): WeightedBackend[][] {
  const spec = object(object(routingObject).spec);
  const weight = (value: unknown, absent: number) =>
    value === undefined ? absent : (parseQuantity(value) ?? Number.NaN);
  if (resource.startsWith('trafficsplits.')) {
    return [
      list(spec.backends).map((b) => ({
        service: text(object(b).service),
        weight: weight(object(b).weight, Number.NaN),
      })),
    ];
  }
  // Gateway API: a backendRef without a weight has weight 1.
  return list(spec.rules).map((rule) =>
    list(object(rule).backendRefs).map((ref) => ({
      service: text(object(ref).name),
      weight: weight(object(ref).weight, 1),
    })),
  );
}

function subjectOf(event: Json, resource: string, subresource: string | undefined) {
  const response = object(event.responseObject);
  if (routingResources.has(resource)) {
    const routes = event.verb === 'delete' ? null : routesOf(resource, response);
    return { kind: 'routing', resource, routes } as const;
  }
  if (resource === 'rollouts.fledge.dev') {
    if (subresource !== 'status') return { kind: 'rollout' } as const;
    const status = object(response.status);
    return {
      kind: 'rollout-status',
      status: {
        phase: typeof status.phase === 'string' ? status.phase : undefined,
        failedChecks: count(status.failedChecks),
        canaryWeight: count(status.canaryWeight),
        currentRevision:
          typeof status.currentRevision === 'string' ? status.currentRevision : undefined,
      },
    } as const;
  }
  if (resource === 'leases.coordination.k8s.io') {
    const spec = object(response.spec);
    return {
      kind: 'lease',
      holder: text(spec.holderIdentity),
      renewTime: microsOf(spec.renewTime),
      leaseDurationSeconds: count(spec.leaseDurationSeconds),
      leaseTransitions: count(spec.leaseTransitions),
    } as const;
  }
  if (resource === 'deployments.apps') return { kind: 'deployment', subresource } as const;
  return undefined;
}

/**
 * One line of the audit log (audit.k8s.io/v1 Event) as a fact, or null when it is not a
 * completed write of a kind the invariants look at.
 */
export function factOf(line: string): WriteFact | null {
  let event: Json;
  try {
    event = object(JSON.parse(line));
  } catch {
    return null;
  }
  if (event.stage !== 'ResponseComplete' || !writeVerbs.has(text(event.verb))) return null;
  const ref = object(event.objectRef);
  const resource = `${text(ref.resource)}.${text(ref.apiGroup)}`;
  const subresource = typeof ref.subresource === 'string' ? ref.subresource : undefined;
  const subject = subjectOf(event, resource, subresource);
  const received = microsOf(event.requestReceivedTimestamp);
  const completed = microsOf(event.stageTimestamp);
  if (!subject || received === undefined || completed === undefined) return null;
  // A create names its object in the body, not in the URL.
  const metadata = object(object(event.responseObject).metadata);
  return {
    auditId: text(event.auditID),
    verb: text(event.verb),
    userAgent: text(event.userAgent),
    code: count(object(event.responseStatus).code) ?? 0,
    received,
    completed,
    namespace: text(ref.namespace),
    name: text(ref.name) || text(metadata.name),
    subject,
  };
}

/** Every fact of an audit log file, in the order the API server completed them. */
export async function readAuditFacts(file: string): Promise<WriteFact[]> {
  const facts: WriteFact[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    const fact = factOf(line);
    if (fact) facts.push(fact);
  }
  return facts.sort((a, b) => a.completed - b.completed);
}
