import type { Logger } from 'pino';
import { type ApiServer, isAlreadyExists, isNotFound } from '../../kube/api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../kube/resources.js';
import {
  EXPORTED_LABEL,
  type GatewayAddress,
  type MirrorService,
  type MirrorSlice,
  mirrorSelector,
  planMirrors,
} from './mirror-objects.js';

/** The playground's API servers are 1.20: EndpointSlices are discovery.k8s.io/v1beta1 there. */
const sliceType: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1beta1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
};

export interface ServiceMirrorOptions {
  /** The cluster whose exported Services are mirrored (the Link's targetClusterName). */
  target: { name: string; api: ApiServer; gateway: GatewayAddress };
  /** The cluster the mirrors are written into. */
  local: { name: string; api: ApiServer };
  /** How often both clusters are listed and compared; a watch would be faster but not surer. */
  periodMs: number;
  logger: Logger;
}

export interface ServiceMirror {
  /** Resolves after the next complete pass, so a caller can wait for a change to show. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The service mirror of one Link: every `periodMs` it lists the target cluster's Services
 * labelled `mirror.linkerd.io/exported=true` and the local mirrors, then creates, updates or
 * deletes `<svc>-<target>` and its EndpointSlice (pointing at the target's gateway).
 */
export function startServiceMirror(options: ServiceMirrorOptions): ServiceMirror {
  const { target, local, logger } = options;
  const log = logger.child({ component: 'service-mirror', target: target.name, local: local.name });
  const remoteServices = new ResourceClient<MirrorService>(target.api, knownTypes.services);
  const services = new ResourceClient<MirrorService>(local.api, knownTypes.services);
  const slices = new ResourceClient<MirrorSlice>(local.api, sliceType);
  const namespaces = new ResourceClient(local.api, knownTypes.namespaces);
  const reported = new Set<string>();
  let queued: Array<() => void> = [];
  let stopped = false;

  async function pass(): Promise<void> {
    const selector = mirrorSelector(target.name);
    const [exported, mirrors, mirrorSlices, present] = await Promise.all([
      remoteServices.list(undefined, { labelSelector: `${EXPORTED_LABEL}=true` }),
      services.list(undefined, { labelSelector: selector }),
      slices.list(undefined, { labelSelector: selector }),
      namespaces.list(),
    ]);
    const plan = planMirrors(
      exported.items,
      mirrors.items,
      new Set(mirrorSlices.items.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)),
      new Set(present.items.map((n) => n.metadata?.name ?? '')),
      target.name,
      target.gateway,
    );
    for (const skipped of plan.skipped) {
      const id = `${skipped.namespace}/${skipped.name}`;
      if (!reported.has(id)) {
        log.warn(
          { service: id },
          `exported Service not mirrored: namespace ${skipped.namespace} does not exist in cluster ${local.name} (create it there)`,
        );
      }
      reported.add(id);
    }
    for (const { service, slice, exists } of plan.apply) {
      const { namespace, name } = service.metadata;
      if (exists) {
        await services.mergePatch(namespace, name, {
          metadata: { labels: service.metadata.labels, annotations: service.metadata.annotations },
          spec: service.spec,
        });
      } else {
        await services.create(service);
      }
      await slices.create(slice).catch(async (error: unknown) => {
        if (!isAlreadyExists(error)) throw error;
        await slices.mergePatch(namespace, name, slice);
      });
      log.info({ mirror: `${namespace}/${name}` }, exists ? 'mirror updated' : 'mirror created');
    }
    for (const { namespace, name } of plan.remove) {
      await slices.delete(namespace, name);
      await services.delete(namespace, name);
      log.info({ mirror: `${namespace}/${name}` }, 'mirror removed');
    }
  }

  const loop = (async () => {
    while (!stopped) {
      const waiting = queued;
      queued = [];
      await pass().catch((error: unknown) => {
        if (!isNotFound(error)) log.warn({ err: error }, 'service mirror pass failed; retrying');
      });
      for (const resolve of waiting) resolve();
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, options.periodMs));
    }
  })();

  return {
    synced: () =>
      new Promise<void>((resolve) => {
        queued.push(resolve);
      }),
    async stop() {
      stopped = true;
      await loop;
      for (const resolve of queued) resolve();
    },
  };
}
