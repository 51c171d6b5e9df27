import type { V1Deployment } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { describeError } from '../../../machines/describeError.js';
import { isAlreadyExists, isConflict } from '../../kube/api-server.js';
import {
  knownTypes,
  ownerReferenceTo,
  ResourceClient,
  type ResourceType,
} from '../../kube/resources.js';
import { withinBounds } from '../workload/autoscaler.js';
import { Autoscalers } from '../workload/autoscalers.js';
import { namesOf } from '../workload/objects.js';
import {
  newestRecord,
  primaryFromRecord,
  RECORD_ROLLOUT_UID_LABEL,
  recordSelector,
  type StableRecord,
  stableRecord,
} from '../workload/stable-template.js';
import type { Deployment, EffectContext } from './context.js';
import { desiredPrimaryAutoscaler } from './primary-autoscaler.js';

export const controllerRevisions: ResourceType = {
  group: 'apps',
  version: 'v1',
  plural: 'controllerrevisions',
  kind: 'ControllerRevision',
  namespaced: true,
};

const records = (ctx: EffectContext) =>
  new ResourceClient<StableRecord>(ctx.api, controllerRevisions);

/**
 * The name of each Rollout's stable record as this process last wrote or found it, by the
 * Rollout's uid: recording the same revision again costs no request, and a new one deletes
 * its predecessor by name. A Rollout this process does not know (after a restart, a shard
 * moved here, or a deletion that failed) has its others found with one list, served from the
 * API server's watch cache; never a delete-collection, which reads every ControllerRevision of
 * the namespace from etcd (1,000 Rollouts in one namespace made that the API server's main
 * work). Bounded past the 10,000 Rollouts one controller is sized for.
 */
const recorded = new LRUCache<string, string>({ max: 20_000 });

/**
 * Records `primary` as the Rollout's stable revision (workload/stable-template.ts): at its
 * initialization (`first`: a new Rollout has no other record) and once a promotion's primary
 * is ready. A create is answered 409 when it is already recorded; either way a record left from
 * before (a deletion that failed, or a leader deposed between the two requests) is deleted, as
 * it would outrank an older revision recorded again. A failure is reported, not thrown: the
 * release goes on, and only the rebuild of a deleted primary is at stake.
 */
export async function recordStable(
  ctx: EffectContext,
  primary: Deployment,
  { first = false }: { first?: boolean } = {},
): Promise<void> {
  const rollout = ctx.rollout();
  const uid = rollout.metadata.uid ?? '';
  const record = stableRecord(
    primary as unknown as V1Deployment,
    rollout,
    ownerReferenceTo(rollout),
    Date.now(),
  );
  const { namespace = '', name = '' } = record.metadata ?? {};
  const known = recorded.get(uid);
  if (known === name) return;
  try {
    await records(ctx).create(record);
  } catch (error) {
    if (!isAlreadyExists(error)) {
      return notRecorded(ctx, `ControllerRevision ${namespace}/${name}`, error);
    }
  }
  try {
    const others = known !== undefined ? [known] : first ? [] : await otherRecords(ctx, name);
    for (const other of others) await records(ctx).delete(namespace, other);
    recorded.set(uid, name);
  } catch (error) {
    recorded.delete(uid);
    // The next recording looks for it again: until then a restore may take the newer of two.
    ctx.log.warn(
      { error: describeError(error) },
      "the Rollout's older stable-template records were not deleted",
    );
  }
}

/** The names of the Rollout's records but `name`, from the API server's watch cache. */
async function otherRecords(ctx: EffectContext, name: string): Promise<string[]> {
  const rollout = ctx.rollout();
  const { items } = await records(ctx).list(rollout.metadata.namespace, {
    labelSelector: recordSelector(rollout),
    resourceVersion: '0',
  });
  return items.map((item) => item.metadata?.name ?? '').filter((other) => other !== name);
}

function notRecorded(ctx: EffectContext, record: string, error: unknown): void {
  const { namespace, primary } = namesOf(ctx.rollout());
  ctx.report({
    type: 'Warning',
    reason: 'StableTemplateNotRecorded',
    message: `fledge could not record the stable template of primary ${namespace}/${primary} in ${record}: ${describeError(error)}; a rollback that finds the primary deleted cannot create it again. Let the controller create, list and delete controllerrevisions.apps (deploy/rbac.yaml)`,
  });
}

/**
 * Creates the primary someone deleted during the release again, from the newest stable
 * record, at the canary's replicas within the primary autoscaler's bounds. Without a record
 * (a Rollout an older fledge initialized and this one has not promoted yet, or a record
 * deleted by hand) it throws: callers sent to the primary would find no pods, so they stay on
 * the canary.
 */
export async function restorePrimary(ctx: EffectContext): Promise<void> {
  const rollout = ctx.rollout();
  const names = namesOf(rollout);
  const { namespace, primary, target } = names;
  const { items } = await records(ctx).list(namespace, { labelSelector: recordSelector(rollout) });
  const record = newestRecord(items);
  if (!record) {
    throw new Error(
      `primary Deployment ${namespace}/${primary} is missing and fledge holds no stable template to create it from (no ControllerRevision labelled ${RECORD_ROLLOUT_UID_LABEL}=${rollout.metadata.uid} in ${namespace}); callers stay on the canary ${namespace}/${target}, since the primary would have no pods. Create ${namespace}/${primary} running the stable version: the rollback routes callers to it once it is ready`,
    );
  }
  const deployments = new ResourceClient<Deployment>(ctx.api, knownTypes.deployments);
  const canary =
    ctx.deployments?.get(namespace, target) ?? (await deployments.find(namespace, target));
  const autoscaler = await desiredPrimaryAutoscaler(ctx, new Autoscalers(ctx.api), false);
  const replicas = withinBounds(Math.max(1, canary?.spec?.replicas ?? 1), autoscaler?.spec);
  try {
    await deployments.create(
      primaryFromRecord(record, names, rollout, replicas) as unknown as Deployment,
    );
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  ctx.report({
    type: 'Warning',
    reason: 'PrimaryMissing',
    message: `primary Deployment ${namespace}/${primary} was deleted during the release; the rollback created it again from the stable template (ControllerRevision ${namespace}/${record.metadata?.name}) and routes callers back to it once it has ready pods; until then they stay on the canary ${namespace}/${target}`,
  });
}
