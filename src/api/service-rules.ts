/**
 * The rules of spec.service that a structural schema cannot express: the target port's two
 * forms, the label and annotation keys of the Services fledge writes (Kubernetes' qualified
 * names), what the API server would refuse of their size, and the fields that only workload
 * mode has (in backend mode fledge writes no Service).
 */
import { isObject } from './json.js';
import type { Problem } from './problems.js';

type Fields = Record<string, unknown>;

/** Kubernetes' qualified name: an optional DNS subdomain prefix and `/`, then a name. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The API server refuses an object whose annotations (keys and values) pass 256 KiB; half of it
 * leaves room for fledge's own and for other controllers'.
 */
export const MAX_SERVICE_ANNOTATION_BYTES = 128 * 1024;

export const SERVICE_ROLES = ['apex', 'primary', 'canary'] as const;
const WORKLOAD_ONLY = ['portName', 'portDiscovery', ...SERVICE_ROLES] as const;

/** Why `key` is not a label or annotation key, or undefined when it is one. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `its prefix ${JSON.stringify(prefix.slice(0, 80))} is not a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)`;
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "its name (after any prefix/) must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

export function serviceProblems(spec: Fields): Problem[] {
  const service = isObject(spec.service) ? spec.service : {};
  return [
    ...targetPortProblems(service),
    ...metadataProblems(service),
    ...workloadOnlyProblems(spec, service),
  ];
}

function targetPortProblems(service: Fields): Problem[] {
  const problems: Problem[] = [];
  const { targetPort } = service;
  if (typeof targetPort === 'number' && (targetPort < 1 || targetPort > 65535)) {
    problems.push({
      path: 'spec.service.targetPort',
      message: `${targetPort} is not a port number`,
      fix: 'use a port from 1 to 65535, or the name of a container port',
    });
  }
  if (
    typeof targetPort === 'string' &&
    !/^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/.test(targetPort)
  ) {
    problems.push({
      path: 'spec.service.targetPort',
      message: `${JSON.stringify(targetPort)} is not a container port name`,
      fix: "use a port number, or a port name of at most 15 lower-case letters, digits and '-'",
    });
  }
  return problems;
}

function metadataProblems(service: Fields): Problem[] {
  const problems: Problem[] = [];
  for (const role of SERVICE_ROLES) {
    const metadata = isObject(service[role]) ? service[role] : {};
    for (const kind of ['labels', 'annotations'] as const) {
      const map = isObject(metadata[kind]) ? metadata[kind] : {};
      for (const key of Object.keys(map)) {
        const why = qualifiedNameProblem(key);
        if (why === undefined) continue;
        problems.push({
          path: `spec.service.${role}.${kind}`,
          message: `key ${JSON.stringify(key.slice(0, 80))} is not a ${kind === 'labels' ? 'label' : 'an annotation'} key: ${why}`,
          fix: 'rename the key, as in app.kubernetes.io/part-of or team',
        });
      }
      if (kind !== 'annotations') continue;
      const bytes = Object.entries(map).reduce(
        (sum, [key, value]) =>
          sum + Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0),
        0,
      );
      if (bytes > MAX_SERVICE_ANNOTATION_BYTES) {
        problems.push({
          path: `spec.service.${role}.annotations`,
          message: `hold ${bytes} bytes, more than the ${MAX_SERVICE_ANNOTATION_BYTES} fledge puts on one Service (the API server refuses 256 KiB)`,
          fix: 'shorten or remove annotations',
        });
      }
    }
  }
  return problems;
}

function workloadOnlyProblems(spec: Fields, service: Fields): Problem[] {
  if (spec.targetRef !== undefined) return [];
  return WORKLOAD_ONLY.filter((field) => service[field] !== undefined).map((field) => ({
    path: `spec.service.${field}`,
    message:
      'has no effect in backend mode: fledge writes no Service there, your backends are your own',
    fix: `remove spec.service.${field}, or set it on the backends' Services yourself`,
  }));
}
