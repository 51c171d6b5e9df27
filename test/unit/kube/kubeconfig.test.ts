import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Kubeconfig, loadKubeConfig } from '../../../src/kube/kubeconfig.js';
import { findKubeconfig } from '../../../src/kube/kubeconfig-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fledge-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Entry {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** Writes a kubeconfig with one cluster, user and context per name. */
function kubeconfig(file: string, entries: Record<string, Entry>, currentContext?: string): string {
  const full = path.join(dir, file);
  mkdirSync(path.dirname(full), { recursive: true });
  const names = Object.keys(entries);
  writeFileSync(
    full,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: names.map((name) => ({
        name,
        cluster: { server: `https://${name}.example:6443`, ...entries[name]?.cluster },
      })),
      users: names.map((name) => ({ name, user: entries[name]?.user ?? { token: name } })),
      contexts: names.map((name) => ({
        name,
        context: { cluster: name, user: name, ...entries[name]?.context },
      })),
      ...(currentContext ? { 'current-context': currentContext } : {}),
    }),
  );
  return full;
}

async function headersOf(kc: Kubeconfig): Promise<https.RequestOptions> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  return options;
}

describe('finding the kubeconfig as kubectl does', () => {
  it('merges the KUBECONFIG list: the first file to name an entry wins, and the first current-context', () => {
    const a = kubeconfig('a.yaml', { east: {}, shared: { user: { token: 'from-a' } } });
    const b = kubeconfig('b.yaml', { west: {}, shared: { user: { token: 'from-b' } } }, 'west');
    const c = kubeconfig('c.yaml', { north: {} }, 'north');
    const env = { KUBECONFIG: [a, path.join(dir, 'missing.yaml'), b, c].join(path.delimiter) };
    const merged = findKubeconfig({ env, home: dir });
    expect(merged?.currentContext).toBe('west');
    expect([...(merged?.contexts.keys() ?? [])]).toEqual(['east', 'shared', 'west', 'north']);
    expect(merged?.users.get('shared')).toEqual({ token: 'from-a' });
    expect(merged?.sources).toEqual([a, b, c]);
  });

  it('reads ~/.kube/config without KUBECONFIG, and not with it', () => {
    const home = kubeconfig('home/.kube/config', { home: {} }, 'home');
    const other = kubeconfig('other.yaml', { other: {} }, 'other');
    expect(findKubeconfig({ env: {}, home: path.join(dir, 'home') })?.sources).toEqual([home]);
    expect(
      findKubeconfig({ env: { KUBECONFIG: other }, home: path.join(dir, 'home') })?.sources,
    ).toEqual([other]);
  });

  it("falls back to the pod's service account, and to nothing without one", () => {
    const sa = path.join(dir, 'sa');
    mkdirSync(sa);
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(findKubeconfig({ env, home: dir, serviceAccountDir: sa })).toBeUndefined();
    writeFileSync(path.join(sa, 'token'), 'sa-token\n');
    writeFileSync(path.join(sa, 'namespace'), 'fledge-system');
    writeFileSync(path.join(sa, 'ca.crt'), 'not a real CA');
    const merged = findKubeconfig({ env, home: dir, serviceAccountDir: sa });
    const kc = new Kubeconfig(merged as NonNullable<typeof merged>);
    expect(kc.getCurrentCluster()).toEqual({ server: 'https://10.96.0.1:443' });
    expect(kc.namespace).toBe('fledge-system');
    // An IPv6 service address is bracketed.
    const v6 = findKubeconfig({
      env: { ...env, KUBERNETES_SERVICE_HOST: 'fd00::1' },
      home: dir,
      serviceAccountDir: sa,
    });
    expect(v6?.clusters.get('in-cluster')?.server).toBe('https://[fd00::1]:443');
  });

  it('resolves relative paths against the file that names them', () => {
    const file = kubeconfig('conf/kc.yaml', {
      east: {
        cluster: { 'certificate-authority': 'pki/ca.crt' },
        user: {
          tokenFile: 'token',
          'client-key': '/abs/key.pem',
          exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/plugin' },
        },
      },
      path: { user: { exec: { apiVersion: 'x', command: 'aws' } } },
    });
    const merged = findKubeconfig({ kubeconfigPath: file });
    const conf = path.join(dir, 'conf');
    expect(merged?.clusters.get('east')?.['certificate-authority']).toBe(
      path.join(conf, 'pki/ca.crt'),
    );
    expect(merged?.users.get('east')?.tokenFile).toBe(path.join(conf, 'token'));
    expect(merged?.users.get('east')?.['client-key']).toBe('/abs/key.pem');
    expect(merged?.users.get('east')?.exec?.command).toBe(path.join(conf, 'bin/plugin'));
    // A bare command is looked up on PATH, as kubectl does.
    expect(merged?.users.get('path')?.exec?.command).toBe('aws');
  });

  it('says what to fix for a missing --kubeconfig, bad YAML or a malformed list', () => {
    expect(() => findKubeconfig({ kubeconfigPath: path.join(dir, 'nope') })).toThrow(
      /kubeconfig .*nope does not exist; fix --kubeconfig/,
    );
    writeFileSync(path.join(dir, 'bad.yaml'), 'clusters: [\n');
    expect(() => findKubeconfig({ kubeconfigPath: path.join(dir, 'bad.yaml') })).toThrow(
      /bad.yaml is not YAML/,
    );
    writeFileSync(path.join(dir, 'list.yaml'), 'clusters: {name: a}\n');
    expect(() => findKubeconfig({ kubeconfigPath: path.join(dir, 'list.yaml') })).toThrow(
      /list.yaml: clusters must be a list/,
    );
    writeFileSync(path.join(dir, 'noname.yaml'), 'users: [{user: {token: x}}]\n');
    expect(() => findKubeconfig({ kubeconfigPath: path.join(dir, 'noname.yaml') })).toThrow(
      /users\[0\] has no name/,
    );
  });
});

describe('one context of a kubeconfig', () => {
  it('picks --context over current-context and names the known ones when it is unknown', () => {
    const file = kubeconfig(
      'kc.yaml',
      { east: { context: { namespace: 'shop' } }, west: {} },
      'west',
    );
    const east = loadKubeConfig({ kubeconfigPath: file, context: 'east' });
    expect(east.currentContext).toBe('east');
    expect(east.namespace).toBe('shop');
    expect(east.getCurrentCluster().server).toBe('https://east.example:6443');
    expect(loadKubeConfig({ kubeconfigPath: file }).currentContext).toBe('west');
    expect(() => loadKubeConfig({ kubeconfigPath: file, context: 'prod' })).toThrow(
      /no context "prod" \(known: east, west\); pass one of those to --context/,
    );
  });

  it('refuses a context whose cluster or user no file defines, and no configuration at all', () => {
    const file = kubeconfig('kc.yaml', { a: { context: { cluster: 'gone' } } }, 'a');
    expect(() => loadKubeConfig({ kubeconfigPath: file })).toThrow(
      /context "a" names cluster "gone", which is not in .*kc.yaml/,
    );
    const user = kubeconfig('user.yaml', { b: { context: { user: 'nobody' } } }, 'b');
    expect(() => loadKubeConfig({ kubeconfigPath: user })).toThrow(/names user "nobody"/);
    expect(() => loadKubeConfig({ env: {}, home: dir, serviceAccountDir: dir })).toThrow(
      /no Kubernetes cluster configured: set KUBECONFIG/,
    );
  });

  it('puts the token, impersonation, basic auth and TLS settings on a request', async () => {
    writeFileSync(path.join(dir, 'ca.crt'), 'CA PEM');
    const file = kubeconfig(
      'kc.yaml',
      {
        a: {
          cluster: {
            'certificate-authority': 'ca.crt',
            'insecure-skip-tls-verify': true,
            'tls-server-name': 'kube.internal',
          },
          user: {
            token: 'secret',
            as: 'alice',
            'as-groups': ['dev', 'ops'],
            'client-certificate-data': Buffer.from('CERT').toString('base64'),
            'client-key-data': Buffer.from('KEY').toString('base64'),
          },
        },
        b: { user: { username: 'admin', password: 'pw' } },
      },
      'a',
    );
    const options = await headersOf(loadKubeConfig({ kubeconfigPath: file }));
    expect(options.headers).toEqual({
      Authorization: 'Bearer secret',
      'Impersonate-User': 'alice',
      'Impersonate-Group': ['dev', 'ops'],
    });
    expect(String(options.ca)).toBe('CA PEM');
    expect(String(options.cert)).toBe('CERT');
    expect(String(options.key)).toBe('KEY');
    expect(options.rejectUnauthorized).toBe(false);
    expect(options.servername).toBe('kube.internal');
    const basic = await headersOf(loadKubeConfig({ kubeconfigPath: file, context: 'b' }));
    expect(basic.auth).toBe('admin:pw');
    expect(basic.rejectUnauthorized).toBeUndefined();
  });

  it('fails the load when a certificate file cannot be read, naming it', () => {
    const file = kubeconfig('kc.yaml', { a: { user: { 'client-key': 'missing.pem' } } }, 'a');
    expect(() => loadKubeConfig({ kubeconfigPath: file })).toThrow(
      /kubeconfig user "a": .*missing.pem cannot be read/,
    );
  });

  it('reads a token file again a minute later, or at once after a 401, and keeps the last one mid-rotation', async () => {
    const token = path.join(dir, 'token');
    writeFileSync(token, 'one\n');
    const file = kubeconfig('kc.yaml', { a: { user: { tokenFile: 'token' } } }, 'a');
    const kc = loadKubeConfig({ kubeconfigPath: file });
    expect((await headersOf(kc)).headers).toEqual({ Authorization: 'Bearer one' });
    writeFileSync(token, 'two\n');
    // Within the minute the token read last holds.
    expect((await headersOf(kc)).headers).toEqual({ Authorization: 'Bearer one' });
    kc.credentialsRejected();
    expect((await headersOf(kc)).headers).toEqual({ Authorization: 'Bearer two' });
    rmSync(token);
    kc.credentialsRejected();
    expect((await headersOf(kc)).headers).toEqual({ Authorization: 'Bearer two' });
    const fresh = loadKubeConfig({ kubeconfigPath: file });
    await expect(headersOf(fresh)).rejects.toThrow(/user "a": tokenFile .*token cannot be read/);
  });
});
