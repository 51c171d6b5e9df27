import { GROUP, KIND, PLURAL, VERSION } from '../api/types.js';
import type {
  ApiServer,
  CallOptions,
  KubeObject,
  ObjectWithMeta,
  OwnerReference,
} from './api-server.js';
import { isNotFound } from './api-server.js';

/** Names one kind of resource on the API server, core ("" group), apps or custom. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const apiVersionOf = (type: ResourceType): string =>
  type.group ? `${type.group}/${type.version}` : type.version;

export const describeType = (type: ResourceType): string =>
  `${type.plural}.${type.group || 'core'}/${type.version}`;

export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const root = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const scope = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name ? `/${encodeURIComponent(name)}` : '';
  const sub = name && subresource ? `/${subresource}` : '';
  return `${root}${scope}/${type.plural}${item}${sub}`;
}

export const knownTypes = {
  configMaps: {
    group: '',
    version: 'v1',
    plural: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
  },
  secrets: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  events: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  namespaces: {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
  },
  deployments: {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
  },
  leases: {
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
  },
  rollouts: { group: GROUP, version: VERSION, plural: PLURAL, kind: KIND, namespaced: true },
} as const satisfies Record<string, ResourceType>;

/** EndpointSlices: discovery.k8s.io/v1 since Kubernetes 1.21, v1beta1 before (the playground's 1.20). */
export const endpointSliceTypes: ResourceType[] = ['v1', 'v1beta1'].map((version) => ({
  group: 'discovery.k8s.io',
  version,
  plural: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
}));

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** At most this many objects in the answer; the rest is read with `continue`. */
  limit?: number;
  /** The token of the previous page. */
  continue?: string;
  /** '0': any version, served from the API server's watch cache instead of etcd. */
  resourceVersion?: string;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
  /** Set when more pages follow: pass it as `continue` to read the next one. */
  continue?: string;
}

/** CRUD on one resource type, in raw JSON. Each call takes a signal and a timeout (default 30 s). */
export class ResourceClient<T extends ObjectWithMeta = KubeObject> {
  constructor(
    readonly api: ApiServer,
    readonly type: ResourceType,
  ) {}

  get(namespace: string | undefined, name: string, call: CallOptions = {}): Promise<T> {
    return this.api.request<T>('GET', resourcePath(this.type, namespace, name), call);
  }

  /** Like get, but null when the object does not exist. */
  async find(
    namespace: string | undefined,
    name: string,
    call: CallOptions = {},
  ): Promise<T | null> {
    try {
      return await this.get(namespace, name, call);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(
    namespace?: string,
    options: ListOptions = {},
    call: CallOptions = {},
  ): Promise<ObjectList<T>> {
    const list = await this.api.request<{
      items: T[] | null;
      metadata?: { resourceVersion?: string; continue?: string };
    }>('GET', resourcePath(this.type, namespace), { ...call, query: { ...options } });
    return {
      items: list.items ?? [],
      resourceVersion: list.metadata?.resourceVersion ?? '',
      ...(list.metadata?.continue ? { continue: list.metadata.continue } : {}),
    };
  }

  create(object: T, call: CallOptions = {}): Promise<T> {
    const body = { apiVersion: apiVersionOf(this.type), kind: this.type.kind, ...object };
    return this.api.request<T>('POST', resourcePath(this.type, object.metadata?.namespace), {
      ...call,
      body,
    });
  }

  /** PUT: fails with 409 when metadata.resourceVersion is not the server's. */
  replace(object: T, subresource?: string, call: CallOptions = {}): Promise<T> {
    const { namespace, name } = object.metadata ?? {};
    if (!name) throw new Error(`replace ${describeType(this.type)}: metadata.name is empty`);
    const body = { apiVersion: apiVersionOf(this.type), kind: this.type.kind, ...object };
    return this.api.request<T>('PUT', resourcePath(this.type, namespace, name, subresource), {
      ...call,
      body,
    });
  }

  /** RFC 7386 merge patch; a metadata.resourceVersion in the patch makes it conditional. */
  mergePatch(
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
    call: CallOptions = {},
  ): Promise<T> {
    return this.api.request<T>('PATCH', resourcePath(this.type, namespace, name, subresource), {
      ...call,
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /** Deletes; false when it was already gone. */
  async delete(
    namespace: string | undefined,
    name: string,
    call: CallOptions = {},
  ): Promise<boolean> {
    try {
      await this.api.request('DELETE', resourcePath(this.type, namespace, name), {
        ...call,
        body: { propagationPolicy: 'Background' },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

/** A controller ownerReference to `owner`, so garbage collection removes what it owns. */
export function ownerReferenceTo(owner: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string };
}): OwnerReference {
  const { apiVersion, kind, metadata } = owner;
  if (!apiVersion || !kind || !metadata?.name || !metadata.uid) {
    throw new Error(
      `cannot own objects by ${kind ?? 'an object'} ${metadata?.name ?? ''}: it lacks apiVersion, kind, name or uid (was it read from the API server?)`,
    );
  }
  return {
    apiVersion,
    kind,
    name: metadata.name,
    uid: metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
