/**
 * A Flagger MetricTemplate (flagger.app/v1beta1) as a fledge MetricTemplate (fledge.dev/v1alpha1):
 * the same query and placeholders, the same provider fields and Secret keys, so the Rollouts
 * converted with it keep their templateRef and templateVariables instead of a copy each.
 */
import { Ajv, type SchemaObject } from 'ajv';
import { metricTemplateCrd } from '../api/crd.generated.js';
import { toAjvSchema } from '../api/schema-check.js';
import { problemFromError } from '../api/schema-problems.js';
import { GROUP, VERSION } from '../api/types.js';
import { missingVariables, PLACEHOLDER, templateProblem } from '../metrics/templates.js';
import { templateShapeProblems } from './flagger-schema.js';
import type { ConversionNote, ConversionProblem, FlaggerMetricTemplate } from './flagger-types.js';

/** ok without a template: one fledge cannot ask (another provider), left out with a note. */
export type TemplateConversion =
  | { ok: true; template?: Record<string, unknown>; notes: ConversionNote[] }
  | { ok: false; problems: ConversionProblem[]; notes: ConversionNote[] };

const MAPPED_PROVIDER = new Set(['type', 'address', 'secretRef', 'insecureSkipVerify', 'headers']);

let compiled: ReturnType<Ajv['compile']> | undefined;

/** The fledge CRD's own schema: what the API server would refuse is refused here first. */
function crdSchema() {
  const version = metricTemplateCrd.spec.versions[0];
  compiled ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(
    toAjvSchema(version?.schema.openAPIV3Schema) as SchemaObject,
  );
  return compiled;
}

/** `MetricTemplate ns/name`, as messages name it; the namespace is the Canary's when absent. */
export function templateId(template: FlaggerMetricTemplate, namespace?: string): string {
  const ns = template.metadata?.namespace ?? namespace;
  return `MetricTemplate ${ns ? `${ns}/` : ''}${template.metadata?.name ?? '(unnamed)'}`;
}

/**
 * Why fledge cannot ask this template's query at all, or undefined: a provider other than
 * Prometheus's API, or a placeholder fledge has no value for (Flagger's {{ ingress }}).
 */
export function unusableTemplate(template: FlaggerMetricTemplate): string | undefined {
  const type = template.spec?.provider?.type ?? 'prometheus';
  if (type !== 'prometheus') {
    return `its provider is ${type}; fledge asks Prometheus-API servers only (Prometheus, Thanos, Mimir, Cortex, VictoriaMetrics)`;
  }
  const query = template.spec?.query;
  if (typeof query !== 'string' || query.trim() === '') return 'it has no spec.query';
  const problem = templateProblem(query, true);
  return problem === undefined ? undefined : `its query ${problem}`;
}

/** The {{ variables.NAME }} the template's query uses that `given` lacks. */
export function variablesLacking(
  template: FlaggerMetricTemplate,
  given: Readonly<Record<string, string>>,
): string[] {
  return missingVariables(template.spec?.query ?? '', given);
}

/** The Flagger MetricTemplate as fledge's. It never throws; what it leaves out is in notes. */
export function convertMetricTemplate(template: FlaggerMetricTemplate): TemplateConversion {
  const id = templateId(template);
  const notes: ConversionNote[] = [];
  const shape = templateShapeProblems(template, '');
  if (shape.length > 0) return { ok: false, problems: shape, notes };
  const query = (template.spec?.query ?? '').trim();
  if (query === '') {
    return { ok: false, problems: [{ path: 'spec.query', message: 'is required' }], notes };
  }
  const unusable = unusableTemplate(template);
  if (unusable !== undefined) {
    notes.push({ path: 'spec', kind: 'dropped', message: `${id} was left out: ${unusable}` });
    return { ok: true, notes };
  }
  const provider = template.spec?.provider ?? {};
  for (const field of Object.keys(provider)) {
    if (MAPPED_PROVIDER.has(field)) continue;
    notes.push({
      path: `spec.provider.${field}`,
      kind: 'dropped',
      message: 'no counterpart in fledge, which asks the address with headers and a Secret',
    });
  }
  // Flagger writes placeholders with or without spaces; fledge's own style has them.
  const tidy = query.replace(PLACEHOLDER, (_placeholder, name: string) => `{{ ${name.trim()} }}`);
  const metadata = template.metadata ?? {};
  const converted = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'MetricTemplate',
    metadata: {
      name: metadata.name,
      ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}),
      ...(metadata.labels ? { labels: metadata.labels } : {}),
    },
    spec: {
      provider: {
        type: 'prometheus',
        ...(provider.address !== undefined ? { address: provider.address } : {}),
        ...(provider.headers !== undefined ? { headers: provider.headers } : {}),
        ...(provider.secretRef?.name !== undefined
          ? { secretRef: { name: provider.secretRef.name } }
          : {}),
        ...(provider.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
      },
      query: tidy,
    },
  };
  const validate = crdSchema();
  if (!validate(converted)) {
    const problems = (validate.errors ?? []).map((error) => {
      const problem = problemFromError(error);
      return {
        path: problem.path,
        message: `${problem.message} in the fledge MetricTemplate it becomes; ${problem.fix}`,
      };
    });
    return { ok: false, problems, notes };
  }
  if (provider.address === undefined) {
    notes.push({
      path: 'spec.provider.address',
      kind: 'changed',
      message: `not set: fledge asks the controller's --prometheus-url (Flagger its --metrics-server) for ${id}`,
    });
  }
  return { ok: true, template: converted, notes };
}
