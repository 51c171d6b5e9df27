import type { AlertProvider } from '../api/alertprovider.generated.js';
import { type SecretData, secretValue } from '../kube/referenced.js';
import type { ProviderSettings } from './message.js';
import { type ProviderType, renderers } from './providers/index.js';

/** Where one alert goes, as read from its AlertProvider and Secret. */
export interface AlertTarget extends ProviderSettings {
  type: ProviderType;
  token?: string;
  proxy?: string;
  /** `<namespace>/<name> (<type>)`, for messages. */
  describe: string;
}

/** Why an alert cannot be sent, as a condition reason and a message that names the fix. */
export interface TargetProblem {
  reason:
    | 'AlertProviderNotFound'
    | 'AlertProviderUnreadable'
    | 'AlertProviderInvalid'
    | 'AlertSecretNotFound'
    | 'AlertSecretInvalid';
  message: string;
}

export type TargetResolution =
  | { ok: true; target: AlertTarget }
  | { ok: false; problem: TargetProblem };

function isHttpUrl(text: string): boolean {
  const url = URL.parse(text);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
}

/**
 * The target of an alert whose providerRef names `ref`: the provider's address, or the
 * Secret's `address` key (and `token`), as Flagger reads them. Pure: the provider and the
 * Secret are read by the caller; null means not found. `secret` is only read when the
 * provider has a secretRef.
 */
export function alertTarget(
  ref: { namespace: string; name: string },
  provider: AlertProvider | null,
  secret: SecretData | null,
): TargetResolution {
  const named = `AlertProvider ${ref.namespace}/${ref.name}`;
  const fail = (reason: TargetProblem['reason'], message: string): TargetResolution => ({
    ok: false,
    problem: { reason, message },
  });
  if (!provider) {
    return fail(
      'AlertProviderNotFound',
      `${named} does not exist: create it, or fix analysis.alerts[].providerRef`,
    );
  }
  const { spec } = provider;
  if (!(spec?.type in renderers)) {
    return fail(
      'AlertProviderInvalid',
      `${named} has type ${JSON.stringify(spec?.type)}; use one of ${Object.keys(renderers).join(', ')}`,
    );
  }
  let address = spec.address;
  let token: string | undefined;
  if (spec.secretRef) {
    const where = `Secret ${ref.namespace}/${spec.secretRef.name}`;
    if (!secret) {
      return fail(
        'AlertSecretNotFound',
        `${where}, named by ${named} spec.secretRef, does not exist: create it with the key address`,
      );
    }
    address = secretValue(secret, 'address');
    token = secretValue(secret, 'token') || undefined;
    if (!address || !isHttpUrl(address)) {
      return fail(
        'AlertSecretInvalid',
        `${where} has ${address ? 'no http(s) URL' : 'no value'} under the key address: put the webhook URL there`,
      );
    }
  } else if (!address || !isHttpUrl(address)) {
    return fail(
      'AlertProviderInvalid',
      `${named} has no http(s) spec.address and no spec.secretRef: set one of them`,
    );
  }
  if (spec.proxy !== undefined && !isHttpUrl(spec.proxy)) {
    return fail('AlertProviderInvalid', `${named} spec.proxy is not an http(s) URL`);
  }
  return {
    ok: true,
    target: {
      type: spec.type,
      address,
      channel: spec.channel || 'general',
      username: spec.username || 'fledge',
      ...(token ? { token } : {}),
      ...(spec.proxy ? { proxy: spec.proxy } : {}),
      describe: `${ref.namespace}/${ref.name} (${spec.type})`,
    },
  };
}
