/**
 * Whether a Rollout that fledge's validator accepted would still be refused: by the API
 * server (the CRD's schema read afresh from crds/rollout.yaml, Kubernetes' integer and size
 * rules, object-name rules) or by the controller (names of the objects it creates, its plan,
 * its timers, its query templates). The fuzzer's oracle for "accepted but invalid".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { parseDuration } from '../src/api/duration.js';
import { planFromSpec } from '../src/api/plan.js';
import { toAjvSchema } from '../src/api/schema-check.js';
import type { Rollout } from '../src/api/types.js';
import { isBuiltinMetric } from '../src/metrics/linkerd.js';
import { renderQuery } from '../src/metrics/templates.js';
import { repoRoot } from './seeds.js';

/** Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** etcd's default request limit: the API server cannot store a larger object. */
const ETCD_MAX_BYTES = 1.5 * 1024 * 1024;
/** Node fires a longer timer at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

let schema: ValidateFunction | undefined;
let specSchema: SchemaNode | undefined;

/** An OpenAPI schema node of the CRD, as far as the integer check reads it. */
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
}

/** The CRD's spec schema, read from the YAML itself, not from the generated module. */
function rawSpecSchema(): SchemaNode {
  if (specSchema) return specSchema;
  const crd = parse(readFileSync(path.join(repoRoot(), 'crds', 'rollout.yaml'), 'utf8'));
  const version = crd.spec.versions.find((v: { storage: boolean }) => v.storage);
  specSchema = version.schema.openAPIV3Schema.properties.spec as SchemaNode;
  return specSchema;
}

/** The CRD's schema from the YAML itself, not from the generated module the validator uses. */
function crdSchema(): ValidateFunction {
  if (schema) return schema;
  const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
  schema = ajv.compile(toAjvSchema(rawSpecSchema()) as object);
  return schema;
}

function nameProblem(kind: string, name: string, rule: RegExp, max: number): string | undefined {
  if (name.length > max)
    return `${kind} ${JSON.stringify(name.slice(0, 80))} is longer than ${max}`;
  if (!rule.test(name)) return `${kind} ${JSON.stringify(name.slice(0, 80))} is not a valid name`;
  return undefined;
}

/** The schema of `key` in an object or array whose schema is `parent`, if it says. */
function childSchema(parent: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!parent) return undefined;
  if (parent.type === 'array') return parent.items;
  const extra = parent.additionalProperties;
  return parent.properties?.[key] ?? (typeof extra === 'object' ? extra : undefined);
}

/**
 * Kubernetes refuses, in a field of type integer, a number it cannot hold exactly
 * (kube-openapi's IsFloat64AJSONInteger); a field of type number takes any.
 */
function unsafeInteger(value: unknown, at: string): string | undefined {
  const stack: { node: unknown; at: string; schema: SchemaNode | undefined }[] = [
    { node: value, at, schema: rawSpecSchema() },
  ];
  while (stack.length > 0) {
    const { node, at: where, schema: nodeSchema } = stack.pop() as (typeof stack)[number];
    if (typeof node === 'number' && nodeSchema?.type === 'integer') {
      if (!Number.isSafeInteger(node)) return `${where} ${node} is not an integer Kubernetes holds`;
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node))
        stack.push({ node: child, at: `${where}.${key}`, schema: childSchema(nodeSchema, key) });
    }
  }
  return undefined;
}

function objectNames(rollout: Rollout): string | undefined {
  const name = rollout.metadata.name ?? '';
  const { spec } = rollout;
  const checks: [string, string, RegExp, number][] = [
    ['Rollout (and routing object)', name, DNS1123_SUBDOMAIN, 253],
    ['label value fledge.dev/released-from', name, LABEL_VALUE, 63],
    ['apex Service', spec.service.name, DNS1035_LABEL, 63],
  ];
  if (rollout.metadata.namespace !== undefined) {
    checks.push(['namespace', rollout.metadata.namespace, DNS1123_LABEL, 63]);
  }
  if (spec.targetRef) {
    checks.push(['primary Service', `${spec.service.name}-primary`, DNS1035_LABEL, 63]);
    checks.push(['canary Service', `${spec.service.name}-canary`, DNS1035_LABEL, 63]);
    checks.push(['primary Deployment', `${spec.targetRef.name}-primary`, DNS1123_SUBDOMAIN, 253]);
  }
  for (const backend of spec.backends ? [spec.backends.stable, spec.backends.canary] : []) {
    const service = backend.cluster ? `${backend.service}-${backend.cluster}` : backend.service;
    checks.push(['backend Service', service, DNS1035_LABEL, 63]);
  }
  for (const [kind, value, rule, max] of checks) {
    const problem = nameProblem(kind, value, rule, max);
    if (problem) return problem;
  }
  return undefined;
}

function planProblem(rollout: Rollout): string | undefined {
  let plan: ReturnType<typeof planFromSpec>;
  try {
    plan = planFromSpec(rollout.spec);
  } catch (error) {
    return `the controller cannot plan it: ${(error as Error).message}`;
  }
  const { weights } = plan;
  const ascending = weights.every(
    (w, i) => Number.isInteger(w) && w >= 1 && w <= 100 && (i === 0 || w > (weights[i - 1] ?? 0)),
  );
  // A/B testing moves no weight: it pins the matching requests for its iterations.
  if (plan.strategy === 'abTesting') {
    if (weights.length > 0 || plan.iterations < 1) {
      return `its A/B plan has weights ${weights.join(',')} and ${plan.iterations} iterations`;
    }
  } else if (!ascending || weights.length === 0) {
    return `its weights ${weights.join(',')} are not a rise from 1 to 100`;
  }
  const step = plan.promotionStep;
  if (step !== undefined && !(Number.isInteger(step) && step >= 1 && step <= 100)) {
    return `its promotion step ${step} is not a weight from 1 to 100`;
  }
  // A promotion in steps on A/B testing would have no weight to move back.
  if (step !== undefined && plan.strategy === 'abTesting') {
    return 'its A/B plan steps a promotion it has no weight for';
  }
  if (!(plan.intervalMs >= 1000) || !Number.isSafeInteger(plan.intervalMs)) {
    return `its analysis interval of ${plan.intervalMs} ms cannot be run`;
  }
  for (const [i, webhook] of (rollout.spec.analysis.webhooks ?? []).entries()) {
    const ms = parseDuration(webhook.timeout);
    if (ms === undefined || ms < 1000 || ms > MAX_TIMER_MS) {
      return `webhooks[${i}].timeout ${webhook.timeout} is not a timer Node can run`;
    }
    try {
      const url = new URL(webhook.url);
      if (!['http:', 'https:'].includes(url.protocol) || url.hostname === '') throw new Error();
    } catch {
      return `webhooks[${i}].url ${JSON.stringify(webhook.url.slice(0, 80))} cannot be called`;
    }
  }
  return undefined;
}

function queryProblem(rollout: Rollout): string | undefined {
  for (const [i, metric] of (rollout.spec.analysis.metrics ?? []).entries()) {
    const ms = parseDuration(metric.interval);
    if (ms === undefined || ms < 1000 || !Number.isSafeInteger(ms)) {
      return `metrics[${i}].interval ${metric.interval} is not a PromQL range fledge can write`;
    }
    // A templateRef's query is the MetricTemplate's, judged when the template is read.
    if (metric.templateRef !== undefined) continue;
    if (metric.query === undefined) {
      if (!isBuiltinMetric(metric.name)) return `metrics[${i}] has no query and is not built in`;
      continue;
    }
    try {
      renderQuery(metric.name, metric.query, {
        namespace: 'ns',
        target: 'target',
        service: 'svc',
        interval: '1m',
      });
    } catch (error) {
      return `metrics[${i}].query fails at every analysis: ${(error as Error).message.slice(0, 160)}`;
    }
  }
  return undefined;
}

/** Why the API server or the controller would refuse this accepted Rollout, if it would. */
export function rolloutRefusal(rollout: Rollout): string | undefined {
  const check = crdSchema();
  if (!check(rollout.spec)) {
    const [error] = check.errors ?? [];
    return `the CRD schema refuses spec${error?.instancePath ?? ''}: ${error?.message ?? ''}`;
  }
  const { status: _status, ...stored } = rollout;
  const bytes = Buffer.byteLength(JSON.stringify(stored));
  if (bytes > ETCD_MAX_BYTES) return `it is ${bytes} bytes, more than etcd stores (1.5 MiB)`;
  return (
    unsafeInteger(rollout.spec, 'spec') ??
    nameProblem('Rollout name', rollout.metadata.name ?? '', DNS1123_SUBDOMAIN, 253) ??
    objectNames(rollout) ??
    planProblem(rollout) ??
    queryProblem(rollout)
  );
}
