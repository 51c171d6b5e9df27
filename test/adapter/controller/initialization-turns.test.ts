import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import type { Deployment, EffectContext } from '../../../src/controller/effects/context.js';
import { workloadEffects } from '../../../src/controller/effects/workload.js';
import { routingFor } from '../../../src/controller/wiring.js';
import { isNotFound } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { Turns } from '../../../src/kube/turns.js';
import { createValidRollout, useApiServer, waitFor } from '../../support/apiserver.js';

/**
 * initialize against a real kube-apiserver 1.20 (no deployment controller, so the primary never
 * becomes ready and the test ends the wait): its writes wait for one of the controller's
 * initialization turns, and its wait for the primary holds none.
 */
const cluster = useApiServer(['rollout', 'trafficSplit']);
const log = pino({ level: 'silent' });

async function givenTarget(namespace: string): Promise<Rollout> {
  await new ResourceClient<Deployment>(cluster().api, knownTypes.deployments).create({
    metadata: { namespace, name: 'api' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: [{ name: 'app', image: 'api:1', ports: [{ containerPort: 8080 }] }] },
      },
    },
  } as unknown as Deployment);
  return createValidRollout(cluster().api, namespace);
}

/**
 * Starts initialize for a new Rollout in a fresh namespace while another initialization holds
 * the only turn; `initialized` resolves with the error that ends it.
 */
async function initializingBehindAHeldTurn() {
  const { api, createNamespace } = cluster();
  const namespace = await createNamespace();
  const rollout = await givenTarget(namespace);
  const turns = new Turns(1);
  expect(await turns.take()).toBe(true);
  const ctx = {
    api,
    rollout: () => rollout,
    ...routingFor(api, () => rollout),
    log,
    pollMs: 50,
    report: () => {},
    initializations: turns,
  } as unknown as EffectContext;
  const stop = new AbortController();
  const initialized = workloadEffects(ctx)
    .initialize(undefined as never, stop.signal)
    .catch((error: Error) => error);
  return { api, namespace, ctx, turns, stop, initialized };
}

describe('initializations take turns, on a real API server', () => {
  it('writes nothing until its turn comes, and waits for the primary without one', async () => {
    const { api, namespace, ctx, turns, stop, initialized } = await initializingBehindAHeldTurn();

    const primary = () =>
      new ResourceClient<Deployment>(api, knownTypes.deployments)
        .get(namespace, 'api-primary')
        .then(
          () => true,
          (error) => (isNotFound(error) ? false : Promise.reject(error)),
        );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(turns.waiting).toBe(1);
    expect(await primary()).toBe(false);
    const services = await new ResourceClient(api, knownTypes.services).list(namespace);
    expect(services.items).toEqual([]);

    turns.release();
    await waitFor('the primary written', async () => ((await primary()) ? true : null));
    const route = ctx.router().type;
    const split = await waitFor('the TrafficSplit written', async () =>
      new ResourceClient(api, route).get(namespace, 'api').catch(() => null),
    );
    expect(split.metadata?.name).toBe('api');
    // The turn is given back while the primary is waited for.
    await waitFor('the turn given back', async () => (turns.holding === 0 ? true : null));

    stop.abort(new Error('test over'));
    expect(await initialized).toBeInstanceOf(Error);
    expect(turns.holding).toBe(0);
  }, 60_000);

  it('leaves the queue when its Rollout no longer needs it, writing nothing', async () => {
    const { api, namespace, turns, stop, initialized } = await initializingBehindAHeldTurn();
    await waitFor('the initialization queued', async () => (turns.waiting === 1 ? true : null));
    stop.abort(new Error('the Rollout was deleted'));
    expect(((await initialized) as Error).message).toBe('the Rollout was deleted');
    expect(turns.waiting).toBe(0);
    const deployments = await new ResourceClient(api, knownTypes.deployments).list(namespace);
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual(['api']);
  }, 60_000);
});
