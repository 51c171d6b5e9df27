/**
 * A MetricTemplate and its Secret, as read from the API server, turned into the query and the
 * settings of the Prometheus-API server to ask it of, or into the reason they cannot be used,
 * which names the resource, the field and the fix. Pure: the caller reads both objects.
 */
import type { MetricTemplate } from '../api/metrictemplate.generated.js';
import { type SecretData, secretValue } from '../kube/referenced.js';
import type { PrometheusTls } from './prometheus.js';
import { templateProblem } from './templates.js';

/** How to reach the server a MetricTemplate names; no address: the controller's own. */
export interface ProviderSettings {
  address?: string;
  headers: Record<string, string>;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  tls: PrometheusTls;
  /** Where a person changes the address, for messages; none: the controller's flag. */
  configuredBy?: string;
}

export interface TemplateProblem {
  reason:
    | 'MetricTemplateNotFound'
    | 'MetricTemplateUnreadable'
    | 'MetricTemplateInvalid'
    | 'MetricSecretNotFound'
    | 'MetricSecretInvalid'
    | 'MetricVariablesMissing';
  message: string;
}

export type TemplateSource =
  | { ok: true; query: string; provider: ProviderSettings }
  | { ok: false; problem: TemplateProblem };

/** Headers fledge writes itself, or that would change how the request is framed or routed. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

type Ref = { namespace: string; name: string };

function isHttpAddress(text: string): boolean {
  const url = URL.parse(text);
  return (
    url !== null &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === ''
  );
}

/** The headers as fledge sends them, or why one cannot be sent. */
function headersOf(
  headers: Record<string, unknown> | undefined,
): { ok: true; headers: Record<string, string> } | { ok: false; problem: string } {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers ?? {})) {
    if (!TOKEN.test(name)) {
      return {
        ok: false,
        problem: `spec.provider.headers has a name that is not an HTTP header name`,
      };
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      return {
        ok: false,
        problem: `spec.provider.headers sets ${name}, which fledge writes itself; remove it`,
      };
    }
    const list = Array.isArray(values) ? values : [values];
    if (!list.every((value) => typeof value === 'string' && !/[\r\n\0]/.test(value))) {
      return {
        ok: false,
        problem: `spec.provider.headers.${name} must be a list of one-line strings`,
      };
    }
    // A list is one header with its values joined, as HTTP reads repeated headers.
    out[name] = list.join(', ');
  }
  return { ok: true, headers: out };
}

type Credentials = Pick<ProviderSettings, 'bearerToken' | 'basicAuth'> & { ca?: string };

/** The credentials and authorities a provider Secret holds, as Flagger's keys name them. */
function credentialsOf(
  secret: SecretData,
  where: string,
): { ok: true; credentials: Credentials } | { ok: false; problem: TemplateProblem } {
  const invalid = (message: string) => ({
    ok: false as const,
    problem: { reason: 'MetricSecretInvalid' as const, message: `${where} ${message}` },
  });
  const token = secretValue(secret, 'token') || undefined;
  const username = secretValue(secret, 'username') || undefined;
  const password = secretValue(secret, 'password') || undefined;
  const ca = secretValue(secret, 'ca.crt') || undefined;
  if (username !== undefined && password === undefined && token === undefined) {
    return invalid('has a username but no password: add the key password');
  }
  if (password !== undefined && username === undefined && token === undefined) {
    return invalid('has a password but no username: add the key username');
  }
  if (ca !== undefined && !PEM_CERTIFICATE.test(ca)) {
    return invalid(
      'has a ca.crt that holds no PEM certificate: put the PEM of the authority there',
    );
  }
  if (token === undefined && username === undefined && ca === undefined) {
    return invalid(
      'has none of the keys token, username and password, or ca.crt: add a bearer token under token, or username and password',
    );
  }
  return {
    ok: true,
    credentials: {
      ...(token !== undefined ? { bearerToken: token } : {}),
      ...(token === undefined && username !== undefined && password !== undefined
        ? { basicAuth: { username, password } }
        : {}),
      ...(ca !== undefined ? { ca } : {}),
    },
  };
}

/**
 * The query and provider of the MetricTemplate `ref` names. `template` and `secret` are as
 * read (null: not found); the Secret is only read when the template has a secretRef.
 */
export function templateSource(
  ref: Ref,
  template: MetricTemplate | null,
  secret: SecretData | null,
): TemplateSource {
  const named = `MetricTemplate ${ref.namespace}/${ref.name}`;
  const fail = (reason: TemplateProblem['reason'], message: string): TemplateSource => ({
    ok: false,
    problem: { reason, message },
  });
  if (!template) {
    return fail(
      'MetricTemplateNotFound',
      `${named} does not exist: create it, or fix the metric's templateRef`,
    );
  }
  const spec = template.spec ?? {};
  const query = spec.query;
  if (typeof query !== 'string' || query.trim() === '') {
    return fail('MetricTemplateInvalid', `${named} has no spec.query`);
  }
  const problem = templateProblem(query, true);
  if (problem !== undefined) {
    return fail('MetricTemplateInvalid', `${named} spec.query ${problem}`);
  }
  const provider = spec.provider ?? {};
  if ((provider.type ?? 'prometheus') !== 'prometheus') {
    return fail(
      'MetricTemplateInvalid',
      `${named} spec.provider.type is ${JSON.stringify(provider.type)}: fledge asks Prometheus-API servers only (type prometheus)`,
    );
  }
  if (provider.address !== undefined && !isHttpAddress(provider.address)) {
    return fail(
      'MetricTemplateInvalid',
      `${named} spec.provider.address is not an http(s) address without credentials, query or fragment; credentials go in a Secret named by spec.provider.secretRef`,
    );
  }
  const headers = headersOf(provider.headers);
  if (!headers.ok) return fail('MetricTemplateInvalid', `${named} ${headers.problem}`);
  let credentials: Credentials = {};
  if (provider.secretRef) {
    const where = `Secret ${ref.namespace}/${provider.secretRef.name}, named by ${named} spec.provider.secretRef,`;
    if (!secret) {
      return fail(
        'MetricSecretNotFound',
        `${where} does not exist: create it with the key token, or username and password`,
      );
    }
    const read = credentialsOf(secret, where);
    if (!read.ok) return read;
    credentials = read.credentials;
  }
  const { ca, ...auth } = credentials;
  return {
    ok: true,
    query,
    provider: {
      ...(provider.address !== undefined ? { address: provider.address } : {}),
      headers: headers.headers,
      ...auth,
      tls: {
        ...(provider.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
        ...(ca !== undefined ? { ca } : {}),
      },
      ...(provider.address !== undefined ? { configuredBy: `${named} spec.provider.address` } : {}),
    },
  };
}
