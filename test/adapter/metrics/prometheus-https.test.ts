import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { MetricTemplates, metricTemplates } from '../../../src/metrics/metric-templates.js';
import { useApiServer } from '../../support/apiserver.js';
import { type FakePrometheus, startFakePrometheus } from '../../support/fake-prometheus.js';
import { analysePodinfo } from '../../support/template-analysis.js';

// A MetricTemplate's TLS options end to end: the template and its Secret (ca.crt) from a real
// API server, the query asked over https of a server on 127.0.0.1 that answers as Prometheus's
// API does, with a certificate signed by an authority made for this test (openssl).
const cluster = useApiServer(['metricTemplate']);

let directory: string;
let prometheus: FakePrometheus;
let address: string;
let authority: string;
let otherAuthority: string;
let namespace: string;
let templates: MetricTemplates;

/** A fresh authority (key and self-signed certificate) named `name` in the test directory. */
function makeAuthority(name: string): string {
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    path.join(directory, `${name}.key`),
    '-out',
    path.join(directory, `${name}.crt`),
  ]);
  return readFileSync(path.join(directory, `${name}.crt`), 'utf8');
}

/** A server certificate for 127.0.0.1 signed by the authority `ca`. */
function makeServerCertificate(ca: string): { key: string; cert: string } {
  const file = (name: string) => path.join(directory, name);
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  execFileSync('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  execFileSync('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file(`${ca}.crt`),
    '-CAkey',
    file(`${ca}.key`),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
    '-out',
    file('server.crt'),
  ]);
  return {
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.crt'), 'utf8'),
  };
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'fledge-https-'));
  authority = makeAuthority('test-ca');
  otherAuthority = makeAuthority('other-ca');
  prometheus = await startFakePrometheus({
    value: '99.5',
    tls: makeServerCertificate('test-ca'),
  });
  address = prometheus.address;
});

afterAll(async () => {
  await templates?.close();
  await prometheus?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

beforeEach(async () => {
  prometheus.asked.length = 0;
  await templates?.close();
  namespace = await cluster().createNamespace('https');
  templates = new MetricTemplates({
    api: cluster().api,
    registry: new Registry(),
    prometheusUrl: 'http://127.0.0.1:1',
  });
});

async function givenTemplate(provider: Record<string, unknown>, ca?: string): Promise<void> {
  if (ca !== undefined) {
    await new ResourceClient(cluster().api, knownTypes.secrets).create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'prom-tls', namespace },
      data: { 'ca.crt': Buffer.from(ca).toString('base64') },
    });
  }
  await new ResourceClient(cluster().api, metricTemplates).create({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'MetricTemplate',
    metadata: { name: 'success-rate', namespace },
    spec: {
      provider: {
        address,
        ...provider,
        ...(ca !== undefined ? { secretRef: { name: 'prom-tls' } } : {}),
      },
      query: 'sum(up{namespace="{{ namespace }}"})',
    },
  });
}

async function check() {
  const resolved = await templates.resolve(
    [
      {
        name: 'success-rate',
        templateRef: { name: 'success-rate' },
        thresholdRange: { min: 99 },
        interval: '1m',
      },
    ],
    { name: 'podinfo', namespace },
  );
  expect(resolved.problems).toEqual([]);
  const result = await analysePodinfo(resolved.metrics, namespace);
  return result.results[0];
}

describe("a MetricTemplate's Prometheus over https", () => {
  it('is asked when the Secret’s ca.crt is the authority that signed its certificate', async () => {
    await givenTemplate({}, authority);
    expect(await check()).toMatchObject({ value: 99.5, passed: true });
    expect(prometheus.asked).toHaveLength(1);
  });

  it('fails the check with the cause and the fix when ca.crt is another authority', async () => {
    await givenTemplate({}, otherAuthority);
    const result = await check();
    expect(result).toMatchObject({ value: null, passed: false });
    expect(result?.message).toContain(
      `Prometheus at ${address} presented a certificate fledge does not trust`,
    );
    expect(result?.message).toContain(
      "give the authority that signed it as ca.crt in the provider's Secret",
    );
    expect(prometheus.asked).toHaveLength(0);
  });

  it('fails the same way with no authority given, the system’s not trusting a test authority', async () => {
    await givenTemplate({});
    expect((await check())?.message).toMatch(/presented a certificate fledge does not trust/);
  });

  it('is asked with insecureSkipVerify, whoever signed its certificate', async () => {
    await givenTemplate({ insecureSkipVerify: true });
    expect(await check()).toMatchObject({ value: 99.5, passed: true });
  });
});
