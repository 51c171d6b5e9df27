import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlApply } from '../e2e/support/kubectl.js';
import {
  appManifest,
  createNamespace,
  rolloutManifest,
  rolloutStatus,
  waitInitialized,
} from '../e2e/support/rollout.js';
import { readDockerfile } from '../support/dockerfile.js';
import { waitFor } from '../support/wait.js';
import { hostCgroups, image, podman, podmanRunFlags } from './support/podman.js';

/**
 * Given the image and a playground, when `fledge controller` runs in a container as a pod
 * would run it (the image's user and group, read-only root, no capabilities) and a
 * Deployment's image changes, then the release is promoted: the controller reached the API
 * server, Prometheus and, for its load webhooks, the loadtester through the mesh.
 */

const repo = new URL('../../', import.meta.url);
const cli = path.join(new URL(repo).pathname, 'bin', 'fledge');
const [uid, gid] = readDockerfile(new URL('deploy/Dockerfile', repo)).user.split(':').map(Number);
const namespace = `image-${Date.now().toString(36)}`;
const container = `fledge-image-test-${process.pid}`;
const name = 'podinfo';
let scratch: string;

async function containerLogs(): Promise<string> {
  return podman(['logs', container]).catch((error: Error) => error.message);
}

beforeAll(async () => {
  await createNamespace(namespace);
  // The playground's kubeconfig is root's, mode 0600: a copy that only root and the
  // container's group may read, which the controller can read only by that group.
  scratch = await mkdtemp(path.join(tmpdir(), 'fledge-image-'));
  await chmod(scratch, 0o755);
  const kubeconfig = path.join(scratch, 'kubeconfig');
  await writeFile(kubeconfig, await readFile(inject('KUBECONFIG')));
  await chown(kubeconfig, 0, gid as number);
  await chmod(kubeconfig, 0o640);
  await podman([
    'run',
    '--detach',
    '--name',
    container,
    ...podmanRunFlags(hostCgroups()),
    '--volume',
    `${kubeconfig}:/etc/fledge/kubeconfig:ro`,
    '--env',
    `FLEDGE_PROMETHEUS_URL=${inject('FLEDGE_PROMETHEUS_URL')}`,
    '--env',
    `FLEDGE_MESH_PROXY=${inject('FLEDGE_MESH_PROXY')}`,
    '--env',
    `POD_NAMESPACE=${namespace}`,
    image,
    'controller',
    '--kubeconfig',
    '/etc/fledge/kubeconfig',
    '--namespace',
    namespace,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--resync',
    '5s',
    '--poll',
    '250ms',
  ]);
  await waitFor(
    'the controller in the container to start',
    async () => {
      const logs = await podman(['logs', container]);
      if (logs.includes('fledge controller started')) return true;
      const state = (await podman(['inspect', '--format', '{{.State.Status}}', container])).trim();
      if (state !== 'running') throw new Error(`container ${state}: ${logs.slice(-2000)}`);
      return undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
});

afterAll(async () => {
  await podman(['rm', '--force', '--time', '10', container]).catch(() => undefined);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe(`fledge controller in ${image}`, () => {
  it("runs as the image's non-root user and group", async () => {
    const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', container])).trim();
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    // Real, effective, saved and file-system ids alike.
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'));
    expect(status).toMatch(/^CapEff:\s+0+$/m);
  });

  it('promotes a new image to Succeeded, as `fledge wait` reports', async () => {
    const loadtester = 'http://fledge-loadtester.fledge-system/';
    const load = (service: string) => ({
      name: `load-${service}`,
      type: 'rollout',
      url: loadtester,
      timeout: '5s',
      metadata: {
        type: 'autocannon',
        url: `http://${service}.${namespace}:8080/`,
        rps: '20',
        duration: '60s',
      },
    });
    await kubectlApply(appManifest({ name, namespace }));
    await kubectlApply(
      rolloutManifest({
        name,
        namespace,
        webhooks: [
          { ...load(`${name}-canary`), name: 'start-load', type: 'pre-rollout' },
          load(`${name}-canary`),
          load(name),
        ],
      }),
    );
    await waitInitialized(namespace, name);
    await kubectl(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);

    const waited = await promisify(execFile)(
      process.execPath,
      [
        cli,
        'wait',
        name,
        '--namespace',
        namespace,
        '--kubeconfig',
        inject('KUBECONFIG'),
        '--timeout',
        '4m',
      ],
      { timeout: 300_000 },
    ).catch(async (error: { code?: number; stdout?: string }) => {
      throw new Error(
        `fledge wait exited ${error.code}: ${error.stdout?.slice(-2000)}\ncontroller: ${(await containerLogs()).slice(-3000)}`,
      );
    });
    expect(waited.stdout).toMatch(/Succeeded/);
    const status = await rolloutStatus(namespace, name);
    expect(status.phase, status.message).toBe('Succeeded');
    const primaryImage = await kubectl([
      '-n',
      namespace,
      'get',
      `deployment/${name}-primary`,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(primaryImage).toBe('fledge/demo:2.0.0');
  });
});
