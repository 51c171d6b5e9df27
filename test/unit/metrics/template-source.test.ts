import { describe, expect, it } from 'vitest';
import type { MetricTemplate } from '../../../src/api/metrictemplate.generated.js';
import { templateSource } from '../../../src/metrics/template-source.js';

const ref = { namespace: 'test', name: 'success-rate' };
const base64 = (text: string) => Buffer.from(text).toString('base64');
const secret = (data: Record<string, string>) => ({
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, base64(v)])),
});
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function template(provider: Record<string, unknown> = {}, query = 'sum(up{ns="{{ namespace }}"})') {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'MetricTemplate',
    metadata: { name: 'success-rate', namespace: 'test' },
    spec: { provider: { type: 'prometheus', insecureSkipVerify: false, ...provider }, query },
  } as MetricTemplate;
}

describe('templateSource', () => {
  it('takes the query, and no settings of its own when the provider names none', () => {
    expect(templateSource(ref, template(), null)).toEqual({
      ok: true,
      query: 'sum(up{ns="{{ namespace }}"})',
      provider: { headers: {}, tls: {} },
    });
  });

  it('sends a bearer token from the Secret and the headers, their lists joined', () => {
    const source = templateSource(
      ref,
      template({
        address: 'https://mimir.example/prometheus',
        headers: { 'X-Scope-OrgID': ['team-a'], Accept: ['a', 'b'] },
        secretRef: { name: 'mimir' },
      }),
      secret({ token: 'sesame\n', 'ca.crt': CA }),
    );
    expect(source).toEqual({
      ok: true,
      query: 'sum(up{ns="{{ namespace }}"})',
      provider: {
        address: 'https://mimir.example/prometheus',
        headers: { 'X-Scope-OrgID': 'team-a', Accept: 'a, b' },
        bearerToken: 'sesame',
        tls: { ca: CA.trim() },
        configuredBy: 'MetricTemplate test/success-rate spec.provider.address',
      },
    });
  });

  it('sends basic credentials when the Secret has a username and a password, as Flagger reads it', () => {
    const source = templateSource(
      ref,
      template({
        address: 'http://thanos:9090',
        secretRef: { name: 'auth' },
        insecureSkipVerify: true,
      }),
      secret({ username: 'fledge', password: 'pw' }),
    );
    expect(source).toMatchObject({
      ok: true,
      provider: {
        basicAuth: { username: 'fledge', password: 'pw' },
        tls: { insecureSkipVerify: true },
      },
    });
  });

  it.each([
    [
      'no template',
      null,
      null,
      'MetricTemplateNotFound',
      "MetricTemplate test/success-rate does not exist: create it, or fix the metric's templateRef",
    ],
    [
      'a Secret that is not there',
      template({ secretRef: { name: 'auth' } }),
      null,
      'MetricSecretNotFound',
      'Secret test/auth, named by MetricTemplate test/success-rate spec.provider.secretRef, does not exist: create it with the key token, or username and password',
    ],
    [
      'a username without a password',
      template({ secretRef: { name: 'auth' } }),
      secret({ username: 'fledge' }),
      'MetricSecretInvalid',
      'Secret test/auth, named by MetricTemplate test/success-rate spec.provider.secretRef, has a username but no password: add the key password',
    ],
    [
      'a Secret with nothing fledge reads',
      template({ secretRef: { name: 'auth' } }),
      secret({ apiKey: 'x' }),
      'MetricSecretInvalid',
      expect.stringContaining('has none of the keys token, username and password, or ca.crt'),
    ],
    [
      'a ca.crt that is no certificate',
      template({ secretRef: { name: 'auth' } }),
      secret({ token: 't', 'ca.crt': 'hello' }),
      'MetricSecretInvalid',
      expect.stringContaining('holds no PEM certificate'),
    ],
    [
      'credentials in the address',
      template({ address: 'http://user:pw@prometheus:9090' }),
      null,
      'MetricTemplateInvalid',
      expect.stringContaining(
        'spec.provider.address is not an http(s) address without credentials',
      ),
    ],
    [
      'a header fledge writes itself',
      template({ headers: { 'Content-Type': ['text/plain'] } }),
      null,
      'MetricTemplateInvalid',
      'MetricTemplate test/success-rate spec.provider.headers sets Content-Type, which fledge writes itself; remove it',
    ],
    [
      'a header value on two lines',
      template({ headers: { 'X-Scope-OrgID': ['a\r\nHost: evil'] } }),
      null,
      'MetricTemplateInvalid',
      expect.stringContaining(
        'spec.provider.headers.X-Scope-OrgID must be a list of one-line strings',
      ),
    ],
    [
      'a placeholder fledge does not fill',
      template({}, 'sum(x{a="{{ ingress }}"})'),
      null,
      'MetricTemplateInvalid',
      expect.stringContaining('spec.query uses {{ ingress }}, which fledge does not fill in'),
    ],
    [
      'another provider type',
      template({ type: 'datadog' }),
      null,
      'MetricTemplateInvalid',
      expect.stringContaining('fledge asks Prometheus-API servers only'),
    ],
  ])('refuses %s, saying what to fix', (_what, given, read, reason, message) => {
    expect(templateSource(ref, given as MetricTemplate | null, read)).toEqual({
      ok: false,
      problem: { reason, message },
    });
  });
});
