import type { Logger } from 'pino';
import type { Rollout } from '../api/types.js';
import { type ApiServer, isNotFound, type KubeObject } from '../kube/api-server.js';
import { mergePatchBetween } from '../kube/patch.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import { allRouters } from '../routing/index.js';
import type { ObservedRoute, Router } from '../routing/router.js';
import type { DeploymentWaiter } from './deployment-readiness-watch.js';
import { readyAddresses } from './effects/backend.js';
import { type Deployment, ProgressDeadline, waitForDeployment } from './effects/context.js';
import { AUTOSCALER_VERSIONS, autoscalerType } from './workload/autoscalers.js';
import { isKeptFor, notKept } from './workload/kept.js';
import { workloadNames } from './workload/objects.js';
import { deploymentReadiness } from './workload/readiness.js';

const PRIMARY_SUFFIX = '-primary';

/** Marks what fledge leaves behind for the Rollout it came from. */
export const RELEASED_FROM_LABEL = 'fledge.dev/released-from';

export interface ReleaseOptions {
  log: Logger;
  /** How long to wait for a target scaled up to take traffic, when no primary serves. */
  readyTimeoutMs: number;
  pollMs: number;
  /** Waits on the controller's Deployment watch; without it, the target is polled. */
  readiness?: DeploymentWaiter;
}

interface Found {
  router: Router;
  route: ObservedRoute;
}

/**
 * Before a Rollout goes (contract §2: deleting never causes an outage, whatever its spec):
 * traffic is put on a version that serves, read back from the routing object itself, not
 * from the spec, which may be invalid; then the rest is released in a fixed order.
 *
 * Workload mode (`<target>-primary` is kept for the Rollout, see kept.ts): all traffic to the
 * primary (weight 0, read back), the target scaled to 0, the routing object deleted (the apex
 * Service selects the primary's pods) or, when it holds rules, filters or timeouts the user
 * wrote, kept and unowned, routing to the apex Service; then the primary and the apex Service
 * unmarked, the primary's autoscaler unowned so that garbage collection keeps it scaling the
 * primary (the target's own autoscaler is inert at 0), and the primary's and the canary's
 * Services, which no route names now, deleted. Without a serving primary, the target is
 * scaled up (its autoscaler takes over from 1) and the apex pointed at it instead. Backend
 * mode: all traffic to the backend that serves (the canary after a promotion, else the stable
 * one), and the routing object kept, unowned.
 */
export async function releaseRollout(
  api: ApiServer,
  rollout: Rollout,
  options: ReleaseOptions,
): Promise<void> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const name = rollout.metadata.name ?? '';
  const uid = rollout.metadata.uid ?? '';
  const deployments = new ResourceClient<Deployment>(api, knownTypes.deployments);
  const services = new ResourceClient(api, knownTypes.services);
  const found = await ownedRoutes(api, namespace, name, uid);
  const primary = await ownedPrimary(deployments, namespace, uid);
  const unowned = { metadata: { ...notKept, labels: { [RELEASED_FROM_LABEL]: name } } };

  if (!primary) {
    for (const { router, route } of found) {
      const canaryServes =
        rollout.status?.phase === 'Succeeded' &&
        (await readyAddresses(api, namespace, route.target.canaryService)) > 0;
      const stableServes = (await readyAddresses(api, namespace, route.target.stableService)) > 0;
      const weight = canaryServes || !stableServes ? 100 : 0;
      await router.setTraffic(route.target, { canaryWeight: weight, pinned: false });
      await patchIfPresent(new ResourceClient(api, router.type), namespace, name, unowned);
      options.log.info(
        { weight },
        'released the routing object, unowned, to the backend that serves',
      );
    }
    return;
  }

  const primaryName = primary.metadata?.name ?? '';
  const targetName = primaryName.slice(0, -PRIMARY_SUFFIX.length);
  const primaryServes = deploymentReadiness(primary as never).ready;
  const apexService = found[0]?.route.target.apexService ?? rollout.spec?.service?.name ?? name;
  if (primaryServes) {
    for (const { router, route } of found) {
      await router.setTraffic(route.target, { canaryWeight: 0, pinned: false });
    }
    await scaleIfPresent(deployments, namespace, targetName, 0);
  } else {
    await serveFromTarget(deployments, services, namespace, targetName, apexService, options);
  }
  for (const { router, route } of found) {
    // A route that holds what the user wrote stays, routing to the apex Service. Without a
    // serving primary the apex selects the target's pods now: the route goes (or is handed
    // back) without first sending callers to the primary's Service, which has none.
    if ((await router.finalize(route.target, { stableServes: primaryServes })) === 'kept') {
      await patchIfPresent(new ResourceClient(api, router.type), namespace, name, unowned);
    }
  }
  await patchIfPresent(deployments, namespace, primaryName, unowned);
  await unownAutoscalers(api, namespace, uid, unowned);
  await patchIfPresent(services, namespace, apexService, unowned);
  // Kept while routes could name them (kept.ts); no route does now.
  const target = found[0]?.route.target;
  const names = workloadNames(namespace, targetName, apexService);
  for (const service of [
    target?.stableService ?? names.primaryService,
    target?.canaryService ?? names.canaryService,
  ]) {
    if (isKeptFor(await services.find(namespace, service), uid)) {
      await services.delete(namespace, service);
    }
  }
  options.log.info({ primaryServes }, 'released the workload: callers keep a serving version');
}

/** The routing objects named after the Rollout that it owns, in every supported kind. */
async function ownedRoutes(
  api: ApiServer,
  namespace: string,
  name: string,
  uid: string,
): Promise<Found[]> {
  const found: Found[] = [];
  for (const router of allRouters(api)) {
    const route = await router.observe(namespace, name).catch((error: unknown) => {
      // A routing kind this cluster does not serve holds nothing to release.
      if (isNotFound(error)) return null;
      throw error;
    });
    if (route?.owners.includes(uid)) found.push({ router, route });
  }
  return found;
}

async function ownedPrimary(
  deployments: ResourceClient<Deployment>,
  namespace: string,
  uid: string,
): Promise<Deployment | undefined> {
  const { items } = await deployments.list(namespace);
  return items.find(
    (deployment) =>
      deployment.metadata?.name?.endsWith(PRIMARY_SUFFIX) && isKeptFor(deployment, uid),
  );
}

/** No primary serves: the target (the user's own Deployment) takes the apex's traffic. */
async function serveFromTarget(
  deployments: ResourceClient<Deployment>,
  services: ResourceClient,
  namespace: string,
  targetName: string,
  apexService: string,
  options: ReleaseOptions,
): Promise<void> {
  const target = await deployments.find(namespace, targetName);
  if (!target) return;
  if ((target.spec?.replicas ?? 0) === 0)
    await scaleIfPresent(deployments, namespace, targetName, 1);
  try {
    await waitForDeployment(options.readiness, {
      namespace,
      name: targetName,
      read: () => deployments.find(namespace, targetName),
      check: (current) => {
        // A target that is gone has nothing to wait for.
        if (!current)
          return { done: true, reason: `Deployment ${namespace}/${targetName} is gone` };
        const readiness = deploymentReadiness(current as never);
        return { done: readiness.ready, reason: readiness.reason };
      },
      deadline: Date.now() + options.readyTimeoutMs,
      signal: new AbortController().signal,
      pollMs: options.pollMs,
      what: `target ${namespace}/${targetName} taking traffic`,
    });
  } catch (error) {
    // Past the deadline the apex goes to the target all the same: nothing else can serve.
    if (!(error instanceof ProgressDeadline)) throw error;
  }
  const apex = await services.find(namespace, apexService);
  const selector = mergePatchBetween(
    (apex?.spec as { selector?: unknown } | undefined)?.selector ?? {},
    target.spec?.selector?.matchLabels ?? {},
  );
  if (apex && selector !== undefined) {
    await patchIfPresent(services, namespace, apexService, { spec: { selector } });
  }
}

/** The autoscalers the Rollout owns (the primary's), unowned in the first version served. */
async function unownAutoscalers(
  api: ApiServer,
  namespace: string,
  uid: string,
  unowned: unknown,
): Promise<void> {
  for (const version of AUTOSCALER_VERSIONS) {
    const client = new ResourceClient(api, autoscalerType(version));
    let items: KubeObject[];
    try {
      ({ items } = await client.list(namespace));
    } catch (error) {
      if (isNotFound(error)) continue;
      throw error;
    }
    for (const autoscaler of items.filter((item) => isKeptFor(item, uid))) {
      await patchIfPresent(client, namespace, autoscaler.metadata?.name ?? '', unowned);
    }
    return;
  }
}

async function scaleIfPresent(
  deployments: ResourceClient<Deployment>,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await patchIfPresent(deployments, namespace, name, { spec: { replicas } });
}

async function patchIfPresent(
  client: ResourceClient<KubeObject> | ResourceClient<Deployment>,
  namespace: string,
  name: string,
  patch: unknown,
): Promise<void> {
  try {
    await client.mergePatch(namespace, name, patch);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
