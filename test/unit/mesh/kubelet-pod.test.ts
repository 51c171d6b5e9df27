import { describe, expect, it } from 'vitest';
import {
  behaviourFromEnv,
  ErrorSpreader,
  imageVersion,
} from '../../../src/playground/kubelet/app-behaviour.js';
import { PodAddressPool } from '../../../src/playground/kubelet/pod-address.js';
import {
  readinessDelaySeconds,
  runningStatus,
  type SimPod,
  servedPorts,
} from '../../../src/playground/kubelet/pod-status.js';

describe('PodAddressPool', () => {
  it('hands out loopback addresses under its prefix, never 127.0.0.1', () => {
    const pool = new PodAddressPool('127.1');
    expect([pool.allocate(), pool.allocate()]).toEqual(['127.1.0.1', '127.1.0.2']);
  });

  it('starts where told, so playgrounds sharing a prefix rarely reach for the same address', () => {
    expect(new PodAddressPool('127.1', 254).allocate()).toBe('127.1.1.1');
  });

  it('does not reuse a freed address before going round the range', () => {
    const pool = new PodAddressPool('127.1');
    const first = pool.allocate();
    pool.release(first);
    expect(pool.allocate()).toBe('127.1.0.2');
  });

  it('lets a restarted kubelet claim a pod address once', () => {
    const pool = new PodAddressPool('127.2');
    expect(pool.claim('127.2.3.4')).toBe(true);
    expect(pool.claim('127.2.3.4')).toBe(false);
    expect(pool.claim('127.1.3.4')).toBe(false);
  });

  it.each(['127.0', '10.1', '127.300'])('refuses the prefix %s', (prefix) => {
    expect(() => new PodAddressPool(prefix)).toThrow(/use "127.N"/);
  });
});

describe('behaviourFromEnv', () => {
  it('reads ERROR_RATE and LATENCY_MS', () => {
    expect(
      behaviourFromEnv([
        { name: 'ERROR_RATE', value: '0.5' },
        { name: 'LATENCY_MS', value: '120' },
      ]),
    ).toEqual({ behaviour: { errorRate: 0.5, latencyMs: 120 }, problems: [] });
  });

  it('treats invalid values as unset and says why', () => {
    const { behaviour, problems } = behaviourFromEnv([{ name: 'ERROR_RATE', value: '50%' }]);
    expect(behaviour.errorRate).toBe(0);
    expect(problems).toEqual(['ERROR_RATE="50%" is not a number in 0..1; using 0']);
  });
});

describe('ErrorSpreader', () => {
  it.each([0, 0.01, 0.3, 0.5, 1])('fails exactly %s of 1,000 requests', (rate) => {
    const spreader = new ErrorSpreader(rate);
    let failures = 0;
    for (let i = 0; i < 1000; i++) if (spreader.nextFails()) failures++;
    expect(failures).toBe(Math.round(rate * 1000));
  });
});

describe('imageVersion', () => {
  it.each([
    ['ghcr.io/acme/api:1.2.3', '1.2.3'],
    ['localhost:5000/api', 'latest'],
    ['api@sha256:abc', 'sha256:abc'],
    ['nginx', 'latest'],
  ])('reads %s as %s', (image, version) => {
    expect(imageVersion(image)).toBe(version);
  });
});

describe('pod status', () => {
  const pod: SimPod = {
    metadata: { name: 'api-1', namespace: 'prod', uid: 'u1' },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'api:2',
          ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
          readinessProbe: { initialDelaySeconds: 3 },
        },
        { name: 'sidecar', image: 'side:1', ports: [{ containerPort: 9090 }] },
      ],
    },
  };

  it('serves the TCP ports of every container', () => {
    expect(servedPorts(pod).map(({ container, port }) => [container.name, port])).toEqual([
      ['app', 8080],
      ['sidecar', 9090],
    ]);
  });

  it('waits for the longest readiness initial delay', () => {
    expect(readinessDelaySeconds(pod)).toBe(3);
    expect(readinessDelaySeconds({ spec: { containers: [{ name: 'a' }] } })).toBe(0);
  });

  it('reports Running with the pod IP, Ready conditions and ready containers', () => {
    const { status } = runningStatus(pod, {
      podIP: '127.1.0.9',
      hostIP: '127.0.0.1',
      ready: true,
      startedAt: 't0',
      now: 't1',
    });
    expect(status).toMatchObject({
      phase: 'Running',
      podIP: '127.1.0.9',
      podIPs: [{ ip: '127.1.0.9' }],
    });
    expect(status.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    expect(status.containerStatuses.map((c) => [c.name, c.image, c.ready])).toEqual([
      ['app', 'api:2', true],
      ['sidecar', 'side:1', true],
    ]);
  });

  it('reports Ready False until the readiness delay has passed', () => {
    const { status } = runningStatus(pod, {
      podIP: 'x',
      hostIP: 'y',
      ready: false,
      startedAt: 't',
      now: 't',
    });
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
  });
});
