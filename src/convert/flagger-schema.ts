/**
 * The shape of the Flagger fields fledge reads (flagger.app/v1beta1 Canary, MetricTemplate and
 * AlertProvider, as Flagger's CRD types them), checked before conversion: a wrong type anywhere
 * is a problem on its field, so the conversion that follows only meets values of the types it
 * expects.
 * Fields fledge does not read are not checked here; conversion lists them as dropped.
 */
import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import { describeValue, fieldPath } from '../api/problems.js';
import type { ConversionProblem } from './flagger-types.js';

const text = { type: 'string' };
const integer = { type: 'integer' };
const textMap = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } };

const ref = {
  type: 'object',
  properties: { apiVersion: text, kind: text, name: text, namespace: text },
};

const metric = {
  type: 'object',
  properties: {
    name: text,
    interval: text,
    threshold: { type: 'number' },
    thresholdRange: {
      type: 'object',
      properties: { min: { type: ['number', 'null'] }, max: { type: ['number', 'null'] } },
    },
    query: text,
    templateRef: ref,
    templateVariables: textMap,
  },
};

const webhook = {
  type: 'object',
  properties: {
    name: text,
    type: text,
    url: text,
    timeout: text,
    retries: integer,
    metadata: textMap,
  },
};

/** Istio's StringMatch, which Flagger's match conditions are made of. */
const stringMatch = {
  type: 'object',
  properties: { exact: text, prefix: text, suffix: text, regex: text },
};

const alert = {
  type: 'object',
  properties: { name: text, severity: text, providerRef: ref },
};

const serviceMetadata = {
  type: 'object',
  properties: {
    labels: { type: 'object', additionalProperties: text },
    annotations: { type: 'object', additionalProperties: text },
  },
};

const analysis = {
  type: 'object',
  properties: {
    interval: text,
    threshold: integer,
    maxWeight: integer,
    stepWeight: integer,
    stepWeights: { type: 'array', items: integer },
    iterations: integer,
    primaryReadyThreshold: integer,
    canaryReadyThreshold: integer,
    match: {
      type: 'array',
      items: {
        type: 'object',
        properties: { headers: { type: 'object', additionalProperties: stringMatch } },
      },
    },
    mirror: { type: 'boolean' },
    mirrorWeight: integer,
    sessionAffinity: {
      type: 'object',
      properties: { cookieName: text, maxAge: integer, primaryCookieName: text },
    },
    metrics: { type: 'array', items: metric },
    webhooks: { type: 'array', items: webhook },
    alerts: { type: 'array', items: alert },
    stepWeightPromotion: integer,
  },
};

const canarySchema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: text,
        namespace: text,
        labels: { type: 'object', additionalProperties: text },
      },
    },
    spec: {
      type: 'object',
      required: ['targetRef', 'service'],
      properties: {
        provider: text,
        targetRef: { ...ref, required: ['name'] },
        autoscalerRef: {
          type: 'object',
          properties: {
            apiVersion: text,
            kind: text,
            name: text,
            primaryScalerReplicas: {
              type: 'object',
              properties: { minReplicas: integer, maxReplicas: integer },
            },
            primaryScalerQueries: { type: 'object' },
          },
        },
        service: {
          type: 'object',
          required: ['port'],
          properties: {
            name: text,
            port: integer,
            targetPort: { type: ['integer', 'string'] },
            portName: text,
            portDiscovery: { type: 'boolean' },
            gatewayRefs: { type: 'array', items: ref },
            apex: serviceMetadata,
            primary: serviceMetadata,
            canary: serviceMetadata,
          },
        },
        analysis,
        canaryAnalysis: analysis,
        progressDeadlineSeconds: integer,
        skipAnalysis: { type: 'boolean' },
        suspend: { type: 'boolean' },
        revertOnDeletion: { type: 'boolean' },
      },
    },
  },
};

const templateSchema = {
  type: 'object',
  properties: {
    metadata: {
      type: 'object',
      properties: {
        name: text,
        namespace: text,
        labels: { type: 'object', additionalProperties: text },
      },
    },
    spec: {
      type: 'object',
      properties: {
        provider: {
          type: 'object',
          properties: {
            type: text,
            address: text,
            secretRef: { type: 'object', properties: { name: text } },
            insecureSkipVerify: { type: 'boolean' },
            headers: { type: 'object', additionalProperties: { type: 'array', items: text } },
          },
        },
        query: text,
      },
    },
  },
};

const alertProviderSchema = {
  type: 'object',
  properties: {
    metadata: templateSchema.properties.metadata,
    spec: {
      type: 'object',
      properties: {
        type: text,
        channel: text,
        username: text,
        address: text,
        proxy: text,
        secretRef: { type: 'object', properties: { name: text } },
      },
    },
  },
};

type Validator = ReturnType<Ajv['compile']>;
let compiled: { canary: Validator; template: Validator; alertProvider: Validator } | undefined;

function validators() {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  compiled = {
    canary: ajv.compile(canarySchema as SchemaObject),
    template: ajv.compile(templateSchema as SchemaObject),
    alertProvider: ajv.compile(alertProviderSchema as SchemaObject),
  };
  return compiled;
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    object: 'a map',
    array: 'a list',
    null: 'null',
  };
  return ([] as unknown[])
    .concat(type)
    .map((t) => names[String(t)] ?? String(t))
    .join(' or ');
}

function problemOf(error: ErrorObject, document: unknown): ConversionProblem {
  if (error.keyword === 'required') {
    const field = String((error.params as { missingProperty: string }).missingProperty);
    return { path: fieldPath(error.instancePath, field), message: 'is required' };
  }
  const got = describeValue(valueAt(document, error.instancePath));
  if (error.keyword === 'type') {
    const expected = typeName((error.params as { type: unknown }).type);
    return { path: fieldPath(error.instancePath), message: `must be ${expected}; got ${got}` };
  }
  return {
    path: fieldPath(error.instancePath),
    message: `${error.message ?? 'is invalid'}; got ${got}`,
  };
}

function valueAt(document: unknown, pointer: string): unknown {
  let node = document;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<string, unknown>)[key]
        : undefined;
  }
  return node;
}

function check(
  validate: ReturnType<Ajv['compile']>,
  document: unknown,
  prefix: string,
): ConversionProblem[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => {
    const problem = problemOf(error, document);
    return prefix
      ? { ...problem, path: `${prefix}${problem.path ? `.${problem.path}` : ''}` }
      : problem;
  });
}

/** Every field of a Canary that fledge reads and that is not of the type Flagger gives it. */
export function canaryShapeProblems(canary: unknown): ConversionProblem[] {
  return check(validators().canary, canary, '');
}

/** The same for a MetricTemplate, its fields named after the template (`MetricTemplate ns/name`). */
export function templateShapeProblems(template: unknown, name: string): ConversionProblem[] {
  return check(validators().template, template, name);
}

/** The same for an AlertProvider. */
export function alertProviderShapeProblems(provider: unknown): ConversionProblem[] {
  return check(validators().alertProvider, provider, '');
}
