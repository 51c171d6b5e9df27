import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ApiServer, type KubeApiError } from '../../../src/kube/api-server.js';
import { type ExecConfig, ExecPlugin } from '../../../src/kube/exec-credential.js';
import { loadKubeConfig } from '../../../src/kube/kubeconfig.js';
import { useApiServer } from '../../support/apiserver.js';
import { startConnectProxy } from '../../support/connect-proxy.js';

const cluster = useApiServer();

let dir: string;
let adminToken: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fledge-kubeconfig-credentials-'));
  const raw = parse(readFileSync(cluster().kubeconfigPath, 'utf8')) as {
    users: { user: { token: string } }[];
  };
  adminToken = raw.users[0]?.user.token ?? '';
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A credential plugin as aws or gke-gcloud-auth-plugin are: it counts its runs, keeps the
 * KUBERNETES_EXEC_INFO it was given, and prints the token in the file `token` (with the
 * expiry in `expiry`, if that exists) as an ExecCredential.
 */
const plugin = `
const fs = require('node:fs');
const dir = process.env.PLUGIN_DIR;
const runs = fs.existsSync(dir + '/runs') ? Number(fs.readFileSync(dir + '/runs', 'utf8')) : 0;
fs.writeFileSync(dir + '/runs', String(runs + 1));
fs.writeFileSync(dir + '/exec-info', process.env.KUBERNETES_EXEC_INFO);
if (process.env.PLUGIN_MODE === 'fail') { console.error('token expired; run aws sso login'); process.exit(3); }
if (process.env.PLUGIN_MODE === 'hang') setTimeout(() => {}, 60000);
else if (process.env.PLUGIN_MODE === 'text') console.log('not json');
else {
  const status = { token: fs.readFileSync(dir + '/token', 'utf8').trim() };
  if (fs.existsSync(dir + '/expiry')) status.expirationTimestamp = fs.readFileSync(dir + '/expiry', 'utf8');
  const apiVersion = process.env.PLUGIN_API_VERSION || 'client.authentication.k8s.io/v1';
  console.log(JSON.stringify({ apiVersion, kind: 'ExecCredential', status }));
}
`;

let cases = 0;
/** A kubeconfig for the test API server whose user runs the plugin, in a directory of its own. */
function execKubeconfig(
  mode = '',
  exec: Partial<ExecConfig> = {},
  env: { name: string; value: string }[] = [],
): { pluginDir: string; api: ApiServer } {
  cases += 1;
  const pluginDir = path.join(dir, `case-${cases}`);
  const file = path.join(pluginDir, 'kubeconfig');
  rmSync(pluginDir, { recursive: true, force: true });
  mkdirSync(pluginDir, { recursive: true });
  writeFileSync(path.join(pluginDir, 'plugin.cjs'), plugin);
  writeFileSync(path.join(pluginDir, 'token'), adminToken);
  writeFileSync(
    file,
    stringify({
      clusters: [
        { name: 'c', cluster: { server: cluster().server, 'insecure-skip-tls-verify': true } },
      ],
      users: [
        {
          name: 'u',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: process.execPath,
              args: [path.join(pluginDir, 'plugin.cjs')],
              env: [
                { name: 'PLUGIN_DIR', value: pluginDir },
                { name: 'PLUGIN_MODE', value: mode },
                ...env,
              ],
              interactiveMode: 'Never',
              ...exec,
            },
          },
        },
      ],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  return { pluginDir, api: new ApiServer(loadKubeConfig({ kubeconfigPath: file })) };
}

const runsOf = (pluginDir: string) =>
  existsSync(path.join(pluginDir, 'runs'))
    ? Number(readFileSync(path.join(pluginDir, 'runs'), 'utf8'))
    : 0;

describe('an exec credential plugin, against a real API server', () => {
  it('signs requests with its token, runs once for concurrent requests, and keeps the token', async () => {
    const { pluginDir, api } = execKubeconfig('', { provideClusterInfo: true });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api.request<{ kind: string }>('GET', '/api/v1/namespaces')),
    );
    expect(answers.map((a) => a.kind)).toEqual(Array(5).fill('NamespaceList'));
    await api.request('GET', '/api/v1/namespaces');
    expect(runsOf(pluginDir)).toBe(1);
    const info = JSON.parse(readFileSync(path.join(pluginDir, 'exec-info'), 'utf8'));
    expect(info).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: cluster().server } },
    });
    api.close();
  });

  it('runs the plugin again when the token expires, and when the API server refuses it', async () => {
    const { pluginDir, api } = execKubeconfig();
    // Expiring within the renewal margin: every request needs a new one.
    writeFileSync(path.join(pluginDir, 'expiry'), new Date(Date.now() + 5_000).toISOString());
    await api.request('GET', '/api/v1/namespaces');
    await api.request('GET', '/api/v1/namespaces');
    expect(runsOf(pluginDir)).toBe(2);
    // A token without expiry is kept: the plugin does not run for the next requests.
    rmSync(path.join(pluginDir, 'expiry'));
    await api.request('GET', '/api/v1/namespaces');
    await api.request('GET', '/api/v1/namespaces');
    expect(runsOf(pluginDir)).toBe(3);
    api.close();

    // ... until the API server refuses it.
    const revoked = execKubeconfig();
    writeFileSync(path.join(revoked.pluginDir, 'token'), 'revoked');
    const refused = await revoked.api.request('GET', '/api/v1/namespaces').catch((e: unknown) => e);
    expect((refused as KubeApiError).statusCode).toBe(401);
    writeFileSync(path.join(revoked.pluginDir, 'token'), adminToken);
    await revoked.api.request('GET', '/api/v1/namespaces');
    expect(runsOf(revoked.pluginDir)).toBe(2);
    revoked.api.close();
  });

  it('says what failed and how to fix it', async () => {
    const failing = execKubeconfig('fail');
    await expect(failing.api.request('GET', '/api/v1/namespaces')).rejects.toThrow(
      /kubeconfig user "u": exec credential plugin .* exited 3: token expired; run aws sso login; run it by hand/,
    );
    const text = execKubeconfig('text');
    await expect(text.api.request('GET', '/api/v1/namespaces')).rejects.toThrow(
      /printed something other than JSON/,
    );
    const missing = execKubeconfig('', {
      command: 'fledge-no-such-plugin',
      args: [],
      installHint: 'brew install fledge-no-such-plugin',
    });
    await expect(missing.api.request('GET', '/api/v1/namespaces')).rejects.toThrow(
      /fledge-no-such-plugin was not found; brew install fledge-no-such-plugin/,
    );
    const interactive = execKubeconfig('', { interactiveMode: 'Always' });
    await expect(interactive.api.request('GET', '/api/v1/namespaces')).rejects.toThrow(
      /interactiveMode is Always, and the controller has no terminal/,
    );
    const wrong = execKubeconfig('', {}, [
      { name: 'PLUGIN_API_VERSION', value: 'client.authentication.k8s.io/v1beta1' },
    ]);
    await expect(wrong.api.request('GET', '/api/v1/namespaces')).rejects.toThrow(
      /answered ExecCredential client.authentication.k8s.io\/v1beta1, not ExecCredential client.authentication.k8s.io\/v1/,
    );
  });

  it('kills a plugin that does not answer in time', async () => {
    const { pluginDir } = execKubeconfig('hang');
    const hanging = new ExecPlugin(
      {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: process.execPath,
        args: [path.join(pluginDir, 'plugin.cjs')],
        env: [
          { name: 'PLUGIN_DIR', value: pluginDir },
          { name: 'PLUGIN_MODE', value: 'hang' },
        ],
      },
      { user: 'u', cluster: { server: cluster().server }, timeoutMs: 500 },
    );
    await expect(hanging.credential()).rejects.toThrow(
      /was killed \(SIGTERM; a timeout kills it\)/,
    );
  });
});

describe('a kubeconfig proxy-url, against a real API server', () => {
  it('tunnels every request through the proxy with CONNECT', async () => {
    const proxy = await startConnectProxy();
    const file = path.join(dir, 'proxied');
    writeFileSync(
      file,
      stringify({
        clusters: [
          {
            name: 'c',
            cluster: {
              server: cluster().server,
              'insecure-skip-tls-verify': true,
              'proxy-url': proxy.url,
            },
          },
        ],
        users: [{ name: 'u', user: { token: adminToken } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    const api = new ApiServer(loadKubeConfig({ kubeconfigPath: file }));
    try {
      const list = await api.request<{ kind: string }>('GET', '/api/v1/namespaces');
      expect(list.kind).toBe('NamespaceList');
      expect(proxy.tunnels).toEqual([`CONNECT ${new URL(cluster().server).host}`]);
    } finally {
      api.close();
      await proxy.close();
    }
  });
});
