import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ApiServer } from '../../../src/kube/api-server.js';
import { loadKubeConfig } from '../../../src/kube/kubeconfig.js';

let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A key and a certificate signed by `ca` with these SANs, or a self-signed CA without one. */
function certificate(name: string, subject: string, ca?: string, san?: string): void {
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${subject}`,
  );
  writeFileSync(
    path.join(dir, `${name}.ext`),
    ca ? `subjectAltName=${san}\n` : 'basicConstraints=critical,CA:TRUE\n',
  );
  const signer = ca
    ? ['-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial']
    : ['-signkey', `${name}.key`];
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
    ...signer,
  );
}

/**
 * An HTTPS server that wants a client certificate signed by the CA and names its subject;
 * it answers 401 to the subjects `revoked` names.
 */
async function serve(
  certName: string,
  revoked: string[] = [],
): Promise<{ url: string; close: () => Promise<void> }> {
  const read = (file: string) => readFileSync(path.join(dir, file));
  const server = https.createServer(
    {
      key: read(`${certName}.key`),
      cert: read(`${certName}.crt`),
      ca: read('ca.crt'),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      response.setHeader('Content-Type', 'application/json');
      if (revoked.includes(String(peer.subject?.CN))) response.statusCode = 401;
      response.end(JSON.stringify({ user: peer.subject?.CN ?? null }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function kubeconfigFor(
  server: string,
  cluster: Record<string, unknown>,
  user: Record<string, unknown>,
): string {
  const file = path.join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: 'c', cluster: { server, ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  return file;
}

async function whoAmI(file: string): Promise<string | null> {
  const api = new ApiServer(loadKubeConfig({ kubeconfigPath: file }));
  try {
    return (await api.request<{ user: string | null }>('GET', '/whoami', { timeoutMs: 5_000 }))
      .user;
  } finally {
    api.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fledge-kubeconfig-tls-'));
  certificate('ca', 'fledge-test-ca');
  certificate('other-ca', 'someone-else');
  certificate('by-ip', 'apiserver', 'ca', 'IP:127.0.0.1');
  certificate('by-name', 'apiserver', 'ca', 'DNS:kube.internal');
  certificate('client', 'alice', 'ca', 'DNS:alice');
  certificate('client-bob', 'bob', 'ca', 'DNS:bob');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a kubeconfig's TLS settings, against a local HTTPS server", () => {
  it('verifies the server with certificate-authority and presents the client certificate', async () => {
    const server = await serve('by-ip');
    try {
      const files = kubeconfigFor(
        server.url,
        { 'certificate-authority': 'ca.crt' },
        { 'client-certificate': 'client.crt', 'client-key': 'client.key' },
      );
      expect(await whoAmI(files)).toBe('alice');
      const inline = kubeconfigFor(
        server.url,
        { 'certificate-authority-data': readFileSync(path.join(dir, 'ca.crt')).toString('base64') },
        {
          'client-certificate-data': readFileSync(path.join(dir, 'client.crt')).toString('base64'),
          'client-key-data': readFileSync(path.join(dir, 'client.key')).toString('base64'),
        },
      );
      expect(await whoAmI(inline)).toBe('alice');
      const wrongCa = kubeconfigFor(server.url, { 'certificate-authority': 'other-ca.crt' }, {});
      await expect(whoAmI(wrongCa)).rejects.toThrow(/certificate/);
      const skip = kubeconfigFor(
        server.url,
        { 'certificate-authority': 'other-ca.crt', 'insecure-skip-tls-verify': true },
        {},
      );
      expect(await whoAmI(skip)).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('checks the name tls-server-name gives, not the address, when set', async () => {
    const server = await serve('by-name');
    try {
      const byAddress = kubeconfigFor(server.url, { 'certificate-authority': 'ca.crt' }, {});
      await expect(whoAmI(byAddress)).rejects.toThrow(/altnames|does not match/i);
      const byName = kubeconfigFor(
        server.url,
        { 'certificate-authority': 'ca.crt', 'tls-server-name': 'kube.internal' },
        {},
      );
      expect(await whoAmI(byName)).toBeNull();
    } finally {
      await server.close();
    }
  });

  it("presents a plugin's new client certificate once the old one is refused", async () => {
    const server = await serve('by-ip', ['alice']);
    // The plugin answers with the certificate of whoever the file `who` names.
    writeFileSync(
      path.join(dir, 'cert-plugin.cjs'),
      `const fs = require('node:fs');
const who = fs.readFileSync(${JSON.stringify(path.join(dir, 'who'))}, 'utf8').trim();
const pem = (ext) => fs.readFileSync(${JSON.stringify(dir)} + '/' + who + ext, 'utf8');
console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
  status: { clientCertificateData: pem('.crt'), clientKeyData: pem('.key') } }));`,
    );
    writeFileSync(path.join(dir, 'who'), 'client');
    const file = kubeconfigFor(
      server.url,
      { 'certificate-authority': 'ca.crt' },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: [path.join(dir, 'cert-plugin.cjs')],
          interactiveMode: 'Never',
        },
      },
    );
    const api = new ApiServer(loadKubeConfig({ kubeconfigPath: file }));
    const whoami = () => api.request<{ user: string }>('GET', '/whoami', { timeoutMs: 5_000 });
    try {
      await expect(whoami()).rejects.toThrow(/401/);
      writeFileSync(path.join(dir, 'who'), 'client-bob');
      // The refusal made the plugin run again; its certificate, not the first, is presented.
      expect((await whoami()).user).toBe('bob');
    } finally {
      api.close();
      await server.close();
    }
  });
});
