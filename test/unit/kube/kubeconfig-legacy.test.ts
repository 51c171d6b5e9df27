import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeConfig } from '../../../src/kube/kubeconfig.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fledge-kubeconfig-legacy-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('a legacy auth-provider user', () => {
  it("is signed by client-node's authenticator, loaded only for it", async () => {
    // An OIDC id-token that has not expired is sent as it is, with no request to the issuer.
    const idToken = [
      base64url({ alg: 'none' }),
      base64url({ iss: 'https://issuer.example', exp: Math.floor(Date.now() / 1000) + 3600 }),
      'signature',
    ].join('.');
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(
      file,
      stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://kube.example:6443' } }],
        users: [
          {
            name: 'u',
            user: {
              'auth-provider': {
                name: 'oidc',
                config: {
                  'client-id': 'kubernetes',
                  'id-token': idToken,
                  'idp-issuer-url': 'https://issuer.example',
                },
              },
            },
          },
        ],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    const options: https.RequestOptions = {};
    await loadKubeConfig({ kubeconfigPath: file }).applyToHTTPSOptions(options);
    expect((options.headers as Record<string, string>).Authorization).toBe(`Bearer ${idToken}`);
  });
});
