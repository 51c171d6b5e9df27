/**
 * The names a Rollout gives to the objects fledge creates: the apex, `-primary` and `-canary`
 * Services (DNS-1035 labels of at most 63 characters), the `<target>-primary` Deployment, the
 * routing object, the label fledge.dev/released-from, and the multicluster mirror
 * `<service>-<cluster>`. A name that would make an invalid or over-long object name is refused
 * here, with a name that would do, rather than by the API server in the middle of a rollout.
 */
import { isObject } from './json.js';
import type { Problem } from './problems.js';

const MAX_LABEL = 63;
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Longest apex Service name that leaves room for the `-primary` and `-canary` Services. */
export const MAX_WORKLOAD_SERVICE_NAME = MAX_LABEL - '-primary'.length;

type Fields = Record<string, unknown>;

/** A valid Service name close to `name`, at most `max` characters: the fix to suggest. */
export function serviceNameLike(name: string, max = MAX_LABEL): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^-a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return cleaned === '' ? 'my-service' : cleaned;
}

function fields(value: unknown): Fields {
  return isObject(value) ? value : {};
}

function rolloutName(root: Fields): Problem[] {
  const name = fields(root.metadata).name;
  if (typeof name !== 'string' || name === '') {
    return [
      { path: 'metadata.name', message: 'is required', fix: 'name the Rollout in metadata.name' },
    ];
  }
  return [];
}

function namespace(root: Fields): Problem[] {
  const value = fields(root.metadata).namespace;
  if (value === undefined) return [];
  if (typeof value === 'string' && value.length <= MAX_LABEL && NAMESPACE.test(value)) return [];
  return [
    {
      path: 'metadata.namespace',
      message: `${JSON.stringify(value).slice(0, 80)} is not a namespace name`,
      fix: "use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit",
    },
  ];
}

/** The apex Service is named by spec.service.name, else by the Rollout's own name. */
function apexService(root: Fields, spec: Fields): Problem[] {
  const service = fields(spec.service);
  const fromRollout = service.name === undefined;
  const name = fromRollout ? fields(root.metadata).name : service.name;
  if (typeof name !== 'string' || name === '') return [];
  const path = fromRollout ? 'metadata.name' : 'spec.service.name';
  const workload = spec.targetRef !== undefined;
  const max = workload ? MAX_WORKLOAD_SERVICE_NAME : MAX_LABEL;
  if (fromRollout && !SERVICE_NAME.test(name)) {
    return [
      {
        path,
        message: `${JSON.stringify(name)} cannot name the apex Service fledge uses (without spec.service.name, the Rollout's name is the Service's): a Service name has no dots or capitals and starts with a letter`,
        fix: `set spec.service.name to a Service name such as ${serviceNameLike(name, max)}`,
      },
    ];
  }
  if (workload && name.length > max) {
    return [
      {
        path,
        message: `${name} is too long for the ${name}-primary Service fledge creates (${name.length + '-primary'.length} characters; Kubernetes allows ${MAX_LABEL})`,
        fix: `use a Service name of at most ${max} characters, such as ${serviceNameLike(name, max)}${fromRollout ? ', in spec.service.name' : ''}`,
      },
    ];
  }
  return [];
}

/** A backend in another cluster is the mirror `<service>-<cluster>`, itself a Service. */
function mirrors(spec: Fields): Problem[] {
  const backends = fields(spec.backends);
  return (['stable', 'canary'] as const).flatMap((role): Problem[] => {
    const { service, cluster } = fields(backends[role]);
    if (typeof service !== 'string' || typeof cluster !== 'string') return [];
    const mirror = `${service}-${cluster}`;
    if (mirror.length <= MAX_LABEL) return [];
    return [
      {
        path: `spec.backends.${role}.cluster`,
        message: `makes the mirror Service ${mirror} ${mirror.length} characters long; Kubernetes allows ${MAX_LABEL}`,
        fix: `keep service and cluster to ${MAX_LABEL - 1} characters together (Linkerd names the mirror <service>-<cluster>)`,
      },
    ];
  });
}

export function nameProblems(root: Fields, spec: Fields): Problem[] {
  return [...rolloutName(root), ...namespace(root), ...apexService(root, spec), ...mirrors(spec)];
}
