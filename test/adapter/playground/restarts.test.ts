import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { readAuditFacts } from '../../../chaos/audit-log.js';
import { ApiServer } from '../../../src/kube/api-server.js';
import { loadKubeConfig } from '../../../src/kube/kubeconfig.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { clusterBinaries } from '../../../src/playground/binaries.js';
import { isAlive, startProcess } from '../../../src/playground/child-process.js';
import { startControlPlane } from '../../../src/playground/control-plane.js';
import { startPrometheus } from '../../../src/playground/prometheus.js';
import { httpGet } from '../../../src/playground/readiness.js';
import { startRestartable } from '../../../src/playground/restartable.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fledge-restarts-'));
  dirs.push(dir);
  return dir;
}

const settled = (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((r) => setTimeout(() => r(false), 200))]);

describe('startRestartable', () => {
  it('starts a new process on restart without calling it a death; an exit of its own is one', async () => {
    const dir = await tempDir();
    const part = await startRestartable('sleeper', () =>
      startProcess(
        { name: 'sleeper', command: 'sleep', args: ['60'], logFile: path.join(dir, 'sleep.log') },
        logger,
      ),
    );
    stops.push(part.stop);
    const first = part.current.pid;
    await part.restart();
    expect(part.current.pid).not.toBe(first);
    expect(isAlive(first)).toBe(false);
    expect(await settled(part.died)).toBe(false);

    process.kill(part.current.pid, 'SIGKILL');
    expect(await part.died).toMatch(/^sleeper exited \(SIGKILL\); see .*sleep\.log$/);
  });

  it('reports a process that does not come back after a restart', async () => {
    const dir = await tempDir();
    let launches = 0;
    const part = await startRestartable('flaky', async () => {
      launches++;
      if (launches > 1) throw new Error('port already in use');
      return startProcess(
        { name: 'flaky', command: 'sleep', args: ['60'], logFile: path.join(dir, 'flaky.log') },
        logger,
      );
    });
    stops.push(part.stop);
    await expect(part.restart()).rejects.toThrow('port already in use');
    expect(await part.died).toBe('flaky did not start again after a restart: port already in use');
  });
});

describe('a control plane with etcd in memory', () => {
  it('keeps etcd on /dev/shm while it runs, through an API server restart, and removes it at stop', async () => {
    const stateDir = await tempDir();
    const plane = await startControlPlane({
      stateDir,
      withControllerManager: false,
      etcdInMemory: true,
      logger,
    });
    let stopped = false;
    stops.push(async () => {
      if (!stopped) await plane.stop();
    });
    expect(plane.etcdDir.startsWith('/dev/shm/')).toBe(true);
    const api = new ApiServer(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
    stops.push(async () => api.close());
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    await configMaps.create({ metadata: { namespace: 'default', name: 'kept' } });
    await plane.restartApiServer();
    expect((await configMaps.get('default', 'kept')).metadata?.name).toBe('kept');
    expect(await readdir(plane.etcdDir)).toContain('member');
    expect(await readdir(stateDir)).not.toContain('etcd');

    await plane.stop();
    stopped = true;
    await expect(stat(plane.etcdDir)).rejects.toThrow(/ENOENT/);
  }, 120_000);
});

describe('a control plane with an audit log', () => {
  it("records fledge's writes with their User-Agent across an API server restart, on the same port and data", async () => {
    const plane = await startControlPlane({
      stateDir: await tempDir(),
      withControllerManager: false,
      auditLog: true,
      logger,
    });
    stops.push(plane.stop);
    const kc = loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath });
    const api = new ApiServer(kc, 'fledge-controller/one');
    stops.push(async () => api.close());
    const leases = new ResourceClient(api, knownTypes.leases);
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    await leases.create({
      metadata: { namespace: 'default', name: 'lead' },
      spec: { holderIdentity: 'one', leaseDurationSeconds: 3 },
    });
    await configMaps.create({ metadata: { namespace: 'default', name: 'not-recorded' } });
    await leases.create({ metadata: { namespace: 'kube-node-lease', name: 'node-heartbeat' } });

    await plane.restartApiServer();
    api.close();
    const lease = await leases.get('default', 'lead');
    await leases.replace({ ...lease, spec: { holderIdentity: 'two', leaseDurationSeconds: 3 } });

    const facts = await readAuditFacts(plane.auditLogPath ?? '');
    expect(facts.map((f) => [f.verb, f.subject.kind, f.userAgent, f.code])).toEqual([
      ['create', 'lease', 'fledge-controller/one', 201],
      ['update', 'lease', 'fledge-controller/one', 200],
    ]);
    expect(facts.map((f) => f.subject.kind === 'lease' && f.subject.holder)).toEqual([
      'one',
      'two',
    ]);
  }, 120_000);
});

describe('Prometheus', () => {
  it('comes back on the same address with the same data directory', async () => {
    const stateDir = await tempDir();
    const prometheus = await startPrometheus(
      { binary: clusterBinaries().prometheus, stateDir, targets: [] },
      logger,
    );
    stops.push(prometheus.process.stop);
    const first = prometheus.process.current.pid;
    await prometheus.process.restart();
    expect(prometheus.process.current.pid).not.toBe(first);
    expect((await httpGet({ url: `${prometheus.url}/-/ready` })).status).toBe(200);
    const flags = await httpGet({ url: `${prometheus.url}/api/v1/status/flags` });
    expect(JSON.parse(flags.body).data['storage.tsdb.path']).toBe(
      path.join(stateDir, 'prometheus', 'data'),
    );
  }, 60_000);
});
