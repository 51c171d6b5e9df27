/**
 * A Flagger AlertProvider (flagger.app/v1beta1) as a fledge AlertProvider (fledge.dev/v1alpha1),
 * and a Canary's analysis.alerts as the Rollout's: the same types, Secret keys (`address`,
 * `token`), channel, username and proxy, so the alerts go where Flagger's went.
 */
import { Ajv, type SchemaObject } from 'ajv';
import type { AlertProviderSpec } from '../api/alertprovider.generated.js';
import { alertProviderCrd } from '../api/crd.generated.js';
import type { AlertSpec } from '../api/rollout.generated.js';
import { toAjvSchema } from '../api/schema-check.js';
import { problemFromError } from '../api/schema-problems.js';
import { GROUP, VERSION } from '../api/types.js';
import { dropUnmapped } from './fields.js';
import { alertProviderShapeProblems } from './flagger-schema.js';
import type {
  ConversionNote,
  ConversionProblem,
  ConversionReport,
  FlaggerAlert,
  FlaggerAlertProvider,
} from './flagger-types.js';

/** ok without a provider: one fledge cannot post to (a type it lacks), left out with a note. */
export type AlertProviderConversion =
  | { ok: true; provider?: Record<string, unknown>; notes: ConversionNote[] }
  | { ok: false; problems: ConversionProblem[]; notes: ConversionNote[] };

/** Flagger's provider types, each of which fledge posts in the same service's format. */
const TYPES: readonly AlertProviderSpec['type'][] = [
  'slack',
  'msteams',
  'discord',
  'rocket',
  'gchat',
];
const MAPPED_SPEC = new Set(['type', 'channel', 'username', 'address', 'proxy', 'secretRef']);
const MAPPED_ALERT = new Set(['name', 'severity', 'providerRef']);

let compiled: ReturnType<Ajv['compile']> | undefined;

/** The fledge CRD's own schema: what the API server would refuse is refused here first. */
function crdSchema() {
  const version = alertProviderCrd.spec.versions[0];
  compiled ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(
    toAjvSchema(version?.schema.openAPIV3Schema) as SchemaObject,
  );
  return compiled;
}

/** `AlertProvider ns/name`, as messages name it; the namespace is the Canary's when absent. */
export function alertProviderId(provider: FlaggerAlertProvider, namespace?: string): string {
  const ns = provider.metadata?.namespace ?? namespace;
  return `AlertProvider ${ns ? `${ns}/` : ''}${provider.metadata?.name ?? '(unnamed)'}`;
}

/** Why fledge cannot post for this provider, with the fix; undefined when it can. */
function unsupportedType(type: string | undefined): string | undefined {
  if (type !== undefined && (TYPES as readonly string[]).includes(type)) return undefined;
  return `${type === undefined ? 'no type' : `type ${JSON.stringify(type)}`}: fledge posts to ${TYPES.join(', ')} and generic webhooks (docs/alerts.md); set spec.type to one of them, or use type generic with a receiver of your own`;
}

/** The Flagger AlertProvider as fledge's. It never throws; what it leaves out is in notes. */
export function convertAlertProvider(provider: FlaggerAlertProvider): AlertProviderConversion {
  const notes: ConversionNote[] = [];
  const shape = alertProviderShapeProblems(provider);
  if (shape.length > 0) return { ok: false, problems: shape, notes };
  const spec = provider.spec ?? {};
  const unsupported = unsupportedType(spec.type);
  if (unsupported !== undefined) {
    notes.push({ path: 'spec.type', kind: 'dropped', message: `left out: ${unsupported}` });
    return { ok: true, notes };
  }
  const secretName = spec.secretRef?.name;
  if (!secretName && !spec.address) {
    const problem = {
      path: 'spec',
      message:
        'has neither address nor secretRef: set spec.address to the webhook URL, or spec.secretRef to a Secret whose key address holds it',
    };
    return { ok: false, problems: [problem], notes };
  }
  dropUnmapped(spec, MAPPED_SPEC, 'spec', notes);
  // Flagger reads the Secret's address whenever there is a secretRef; fledge takes one of the two.
  if (secretName !== undefined && spec.address !== undefined) {
    notes.push({
      path: 'spec.address',
      kind: 'dropped',
      message:
        "left out: spec.secretRef is set, and Flagger posts to the Secret's address then (fledge takes one of the two)",
    });
  }
  if (spec.type === 'discord') {
    notes.push({
      path: 'spec.address',
      kind: 'changed',
      message:
        "Flagger appends /slack to a Discord address and posts Slack's format there; fledge posts to the address as given: Discord's own embed, or Slack's format when the address ends in /slack",
    });
  }
  if (!spec.username && ['slack', 'discord', 'rocket'].includes(spec.type ?? '')) {
    notes.push({
      path: 'spec.username',
      kind: 'changed',
      message: 'not set: messages are posted as fledge (Flagger posted as flagger)',
    });
  }
  const metadata = provider.metadata ?? {};
  const converted = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'AlertProvider',
    metadata: {
      name: metadata.name,
      ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}),
      ...(metadata.labels ? { labels: metadata.labels } : {}),
    },
    spec: {
      type: spec.type,
      ...(secretName !== undefined
        ? { secretRef: { name: secretName } }
        : spec.address !== undefined
          ? { address: spec.address }
          : {}),
      ...(spec.channel ? { channel: spec.channel } : {}),
      ...(spec.username ? { username: spec.username } : {}),
      ...(spec.proxy ? { proxy: spec.proxy } : {}),
    },
  };
  const validate = crdSchema();
  if (!validate(converted)) {
    const problems = (validate.errors ?? []).map((error) => {
      const problem = problemFromError(error);
      return {
        path: problem.path || 'spec',
        message: `${problem.message} in the fledge AlertProvider it becomes; ${problem.fix}`,
      };
    });
    return { ok: false, problems, notes };
  }
  return { ok: true, provider: converted, notes };
}

/**
 * A Canary's analysis.alerts as the Rollout's. An alert whose AlertProvider is in the input and
 * cannot be converted is left out (its provider's notes say why); one whose provider is not in
 * the input keeps its providerRef, with a note to convert the provider too. `origins` has the
 * index in the Canary of each alert converted.
 */
export function convertAlerts(
  alerts: readonly FlaggerAlert[],
  path: string,
  namespace: string | undefined,
  providers: readonly FlaggerAlertProvider[],
  report: ConversionReport,
): { alerts: AlertSpec[]; origins: number[] } {
  const converted: AlertSpec[] = [];
  const origins: number[] = [];
  alerts.forEach((alert, i) => {
    const at = `${path}[${i}]`;
    dropUnmapped(alert, MAPPED_ALERT, at, report.notes);
    const ref = alert.providerRef ?? {};
    if (!alert.name || !ref.name) {
      report.problems.push({
        path: alert.name ? `${at}.providerRef.name` : `${at}.name`,
        message: 'is required',
      });
      return;
    }
    const refNamespace = ref.namespace || namespace;
    const provider = providers.find(
      (p) => p.metadata?.name === ref.name && (p.metadata?.namespace ?? namespace) === refNamespace,
    );
    const id = `AlertProvider ${refNamespace ? `${refNamespace}/` : ''}${ref.name}`;
    if (provider === undefined) {
      report.notes.push({
        path: `${at}.providerRef`,
        kind: 'changed',
        message: `alert ${alert.name} now refers to a fledge ${id}, which is not in the input: convert the Flagger one with the Canary (\`fledge convert canary.yaml alert-providers.yaml\`) and apply both`,
      });
    } else {
      const unsupported = unsupportedType(provider.spec?.type);
      if (unsupported !== undefined) {
        report.notes.push({
          path: at,
          kind: 'dropped',
          message: `alert ${alert.name} was left out: ${id} has ${unsupported}`,
        });
        return;
      }
    }
    const severity = alert.severity || 'info';
    if (!['info', 'warn', 'error'].includes(severity)) {
      report.problems.push({
        path: `${at}.severity`,
        message: `is ${JSON.stringify(alert.severity)}; use info, warn or error (Flagger has the same three)`,
      });
      return;
    }
    converted.push({
      name: alert.name,
      severity: severity as AlertSpec['severity'],
      providerRef: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
    });
    origins.push(i);
  });
  return { alerts: converted, origins };
}
