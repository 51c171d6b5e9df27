import type { AutoscalerRef } from '../../api/rollout.generated.js';
import { type ApiServer, isConflict, isNotFound } from '../../kube/api-server.js';
import { ResourceClient, type ResourceType } from '../../kube/resources.js';
import { type Autoscaler, autoscalerChange } from './autoscaler.js';

/** The HorizontalPodAutoscaler versions fledge speaks, most preferred first. */
export const AUTOSCALER_VERSIONS = ['v2', 'v2beta2'] as const;
export type AutoscalerVersion = (typeof AUTOSCALER_VERSIONS)[number];

export const autoscalerType = (version: AutoscalerVersion): ResourceType => ({
  group: 'autoscaling',
  version,
  plural: 'horizontalpodautoscalers',
  kind: 'HorizontalPodAutoscaler',
  namespaced: true,
});

/** How long the served versions are trusted before the API server is asked again. */
const DISCOVERY_TTL_MS = 60_000;

/**
 * HorizontalPodAutoscalers in the version the cluster serves: the one spec.autoscalerRef asks
 * for, else the other one (1.20 serves v2beta2 only, 1.26 and later v2 only). Both have the
 * same shape, so a copy made in either is the same autoscaler.
 */
export class Autoscalers {
  private discovered: { at: number; versions: string[] } | undefined;

  constructor(private readonly api: ApiServer) {}

  /** The served version to use, the preferred one when it is served. */
  async version(
    preferred: AutoscalerRef['apiVersion'] = 'autoscaling/v2',
  ): Promise<AutoscalerVersion> {
    const served = await this.servedVersions();
    const wanted = preferred.split('/')[1];
    const order = [wanted, ...AUTOSCALER_VERSIONS.filter((version) => version !== wanted)];
    const version = order.find((candidate) => served.includes(candidate ?? ''));
    if (!version) {
      throw new Error(
        `this cluster serves neither autoscaling/v2 nor autoscaling/v2beta2 (it serves ${served.map((v) => `autoscaling/${v}`).join(', ') || 'no autoscaling version'}); spec.autoscalerRef needs one of them`,
      );
    }
    return version as AutoscalerVersion;
  }

  async client(preferred?: AutoscalerRef['apiVersion']): Promise<ResourceClient<Autoscaler>> {
    return new ResourceClient<Autoscaler>(this.api, autoscalerType(await this.version(preferred)));
  }

  /**
   * Creates the autoscaler or brings the existing one in step; true when it wrote. `cached`:
   * the existing one as a watch holds it (null: absent; undefined: read it), so finding it in
   * step asks the API server nothing, not even which versions it serves. A write refused
   * because that copy was stale is made again from a GET.
   */
  async apply(
    desired: Autoscaler,
    preferred?: AutoscalerRef['apiVersion'],
    cached?: Autoscaler | null,
  ): Promise<boolean> {
    if (cached && autoscalerChange(cached, desired) === undefined) return false;
    const client = await this.client(preferred);
    if (cached !== undefined) {
      try {
        return await write(client, desired, cached);
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    const existing = await client.find(desired.metadata?.namespace, desired.metadata?.name ?? '');
    try {
      return await write(client, desired, existing);
    } catch (error) {
      // Created meanwhile by someone else: theirs stands until the next sync.
      if (existing || !isConflict(error)) throw error;
      return false;
    }
  }

  private async servedVersions(): Promise<string[]> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) {
      return this.discovered.versions;
    }
    let versions: string[];
    try {
      const group = await this.api.request<{ versions?: Array<{ version?: string }> }>(
        'GET',
        '/apis/autoscaling',
      );
      versions = (group.versions ?? []).map((v) => v.version ?? '').filter(Boolean);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      versions = [];
    }
    this.discovered = { at: Date.now(), versions };
    return versions;
  }
}

/** Creates `desired`, or patches `existing` where it differs (conditionally) on its resourceVersion. */
async function write(
  client: ResourceClient<Autoscaler>,
  desired: Autoscaler,
  existing: Autoscaler | null,
): Promise<boolean> {
  if (!existing) {
    await client.create(desired);
    return true;
  }
  const change = autoscalerChange(existing, desired);
  if (change === undefined) return false;
  await client.mergePatch(desired.metadata?.namespace, desired.metadata?.name ?? '', change);
  return true;
}
