import type { V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { validateRollout } from '../../../src/api/validate.js';
import type { Deployment, EffectContext } from '../../../src/controller/effects/context.js';
import {
  syncServices,
  syncServicesAtRest,
} from '../../../src/controller/effects/workload-services.js';
import { APPLIED_METADATA_ANNOTATION } from '../../../src/controller/workload/services.js';
import { ApiServer } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer } from '../../support/apiserver.js';

/** The one writer of the workload Services, against a real kube-apiserver 1.20. */
const cluster = useApiServer(['rollout']);
const log = pino({ level: 'silent' });
const rollouts = () => new ResourceClient(cluster().api, knownTypes.rollouts);
const services = () =>
  new ResourceClient<V1Service & { metadata: object }>(cluster().api, knownTypes.services);
const deployments = () => new ResourceClient<Deployment>(cluster().api, knownTypes.deployments);

async function givenRollout(namespace: string, service: Record<string, unknown>): Promise<Rollout> {
  const created = await rollouts().create({
    metadata: { namespace, name: 'podinfo' },
    spec: {
      targetRef: { name: 'podinfo' },
      service: { port: 9898, ...service },
      analysis: { interval: '1m', stepWeight: 10 },
    },
  });
  return validated(created);
}

function validated(object: unknown): Rollout {
  const validation = validateRollout(object);
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return validation.rollout;
}

/** podinfo as Flagger's tutorial deploys it: http 9898, http-metrics 9797, grpc 9999. */
async function givenPodinfo(namespace: string, ports = podinfoPorts): Promise<Deployment> {
  return deployments().create({
    metadata: { namespace, name: 'podinfo' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'podinfod', image: 'podinfo:6', ports }] },
      },
    },
  } as unknown as Deployment);
}

const podinfoPorts = [
  { name: 'http', containerPort: 9898, protocol: 'TCP' },
  { name: 'http-metrics', containerPort: 9797, protocol: 'TCP' },
  { name: 'grpc', containerPort: 9999, protocol: 'TCP' },
];

function context(current: () => Rollout): EffectContext {
  return { api: cluster().api, rollout: current, log, pollMs: 50 } as unknown as EffectContext;
}

const portsOf = (service: V1Service) =>
  service.spec?.ports?.map((p) => `${p.name} ${p.port}->${p.targetPort}`);

describe('the workload Services on a real API server (Kubernetes 1.20)', () => {
  it('writes the port name, a named target port, discovered ports and each Service’s metadata', async () => {
    const namespace = await cluster().createNamespace('svc');
    const rollout = await givenRollout(namespace, {
      targetPort: 'http',
      portName: 'http-web',
      portDiscovery: true,
      apex: { labels: { tier: 'edge' }, annotations: { 'linkerd.io/note': 'apex' } },
      canary: { labels: { 'fledge.dev/managed': 'mine' } },
    });
    await syncServices(
      context(() => rollout),
      await givenPodinfo(namespace),
    );

    const [apex, primary, canary] = await Promise.all(
      ['podinfo', 'podinfo-primary', 'podinfo-canary'].map((n) => services().get(namespace, n)),
    );
    for (const service of [apex, primary, canary]) {
      expect(portsOf(service as V1Service)).toEqual([
        'http-web 9898->http',
        'http-metrics 9797->9797',
        'grpc 9999->9999',
      ]);
    }
    expect(apex?.metadata?.labels).toEqual({ tier: 'edge', 'fledge.dev/managed': 'true' });
    expect(apex?.metadata?.annotations?.['linkerd.io/note']).toBe('apex');
    expect(primary?.metadata?.labels).toEqual({ 'fledge.dev/managed': 'true' });
    // fledge's own label wins over the user's.
    expect(canary?.metadata?.labels).toEqual({ 'fledge.dev/managed': 'true' });
    expect(canary?.spec?.selector).toEqual({ app: 'podinfo' });
  });

  it("follows a changed spec.service at rest: removed keys and ports go, others' keys stay, no write when nothing changed", async () => {
    const namespace = await cluster().createNamespace('svc');
    let rollout = await givenRollout(namespace, {
      portDiscovery: true,
      apex: { labels: { tier: 'edge', team: 'a' }, annotations: { note: 'one' } },
    });
    const ctx = context(() => rollout);
    await syncServices(ctx, await givenPodinfo(namespace));
    // Someone else labels and annotates the apex Service.
    await services().mergePatch(namespace, 'podinfo', {
      metadata: { labels: { 'other.io/owner': 'x' }, annotations: { 'other.io/y': 'z' } },
    });

    rollout = validated(
      await rollouts().mergePatch(namespace, 'podinfo', {
        spec: {
          service: {
            portDiscovery: false,
            apex: { labels: { tier: null, team: 'b' }, annotations: null },
          },
        },
      }),
    );
    await syncServicesAtRest(ctx);

    const apex = await services().get(namespace, 'podinfo');
    expect(apex.metadata?.labels).toEqual({
      team: 'b',
      'other.io/owner': 'x',
      'fledge.dev/managed': 'true',
    });
    expect(apex.metadata?.annotations).toEqual({
      'other.io/y': 'z',
      [APPLIED_METADATA_ANNOTATION]: '{"labels":["team"],"annotations":[]}',
      'fledge.dev/rollout': 'podinfo',
      'fledge.dev/rollout-uid': ctx.rollout().metadata.uid,
    });
    expect(portsOf(apex)).toEqual(['http 9898->9898']);

    const version = apex.metadata?.resourceVersion;
    await syncServicesAtRest(ctx);
    expect((await services().get(namespace, 'podinfo')).metadata?.resourceVersion).toBe(version);
  });

  it('reads nothing at rest for a machine let go and restored (a new effect context), until spec.service changes', async () => {
    const namespace = await cluster().createNamespace('svc');
    let rollout = await givenRollout(namespace, { portDiscovery: true });
    await syncServices(
      context(() => rollout),
      await givenPodinfo(namespace),
    );

    const requests: string[] = [];
    const counted = new ApiServer(cluster().api.kc, 'fledge-test', (method, path) =>
      requests.push(`${method} ${path}`),
    );
    const restored = { ...context(() => rollout), api: counted } as EffectContext;
    await syncServicesAtRest(restored);
    expect(requests).toEqual([]);

    rollout = validated(
      await rollouts().mergePatch(namespace, 'podinfo', {
        spec: { service: { apex: { labels: { tier: 'edge' } } } },
      }),
    );
    await syncServicesAtRest({ ...context(() => rollout), api: counted } as EffectContext);
    expect((await services().get(namespace, 'podinfo')).metadata?.labels).toMatchObject({
      tier: 'edge',
    });
  });

  it('writes nothing at rest while the target is gone, and catches up once it is back', async () => {
    const namespace = await cluster().createNamespace('svc');
    let rollout = await givenRollout(namespace, { targetPort: 'http', portDiscovery: true });
    const ctx = context(() => rollout);
    await syncServices(ctx, await givenPodinfo(namespace, podinfoPorts.slice(0, 2)));
    expect(portsOf(await services().get(namespace, 'podinfo-canary'))).toEqual([
      'http 9898->http',
      'http-metrics 9797->9797',
    ]);

    await deployments().delete(namespace, 'podinfo');
    rollout = validated(
      await rollouts().mergePatch(namespace, 'podinfo', {
        spec: { service: { canary: { labels: { track: 'canary' } } } },
      }),
    );
    await syncServicesAtRest(ctx);
    expect((await services().get(namespace, 'podinfo-canary')).metadata?.labels).toEqual({
      'fledge.dev/managed': 'true',
    });

    await givenPodinfo(namespace, [podinfoPorts[0], podinfoPorts[2]] as typeof podinfoPorts);
    await syncServicesAtRest(ctx);
    const canary = await services().get(namespace, 'podinfo-canary');
    expect(canary.metadata?.labels).toEqual({ track: 'canary', 'fledge.dev/managed': 'true' });
    expect(portsOf(canary)).toEqual(['http 9898->http', 'grpc 9999->9999']);
  });
});
