/**
 * The schema layer of validation: ajv compiled from the CRD's own openAPIV3Schema, so the
 * controller rejects exactly what the API server rejects (and unknown fields, which the API
 * server would silently prune), with each error turned into a Problem on its field.
 */
import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import { rolloutCrd } from './crd.generated.js';
import type { Problem } from './problems.js';
import { problemFromError } from './schema-problems.js';

export type SchemaNode = Record<string, unknown>;

/** The storage version's openAPIV3Schema, as written in crds/rollout.yaml. */
export function rolloutOpenAPIV3Schema(): SchemaNode {
  const version = rolloutCrd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error('crds/rollout.yaml has no storage version');
  return version.schema.openAPIV3Schema;
}

/**
 * The Kubernetes schema in plain JSON Schema: int-or-string becomes an anyOf, a list-map's
 * keys become a uniqueness check, and an object with properties accepts no others.
 */
export function toAjvSchema(node: unknown, objectMeta = false): unknown {
  if (Array.isArray(node)) return node.map((item) => toAjvSchema(item));
  if (node === null || typeof node !== 'object') return node;
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-kubernetes-list-map-keys') out.uniqueKeys = value;
    else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as SchemaNode).map(([name, child]) => [
          name,
          toAjvSchema(child, name === 'metadata' && objectMetaHolder(node as SchemaNode)),
        ]),
      );
    } else if (!key.startsWith('x-kubernetes-')) out[key] = toAjvSchema(value);
  }
  const source = node as SchemaNode;
  // OpenAPI v3 (draft 4) marks a bound exclusive with a boolean; ajv wants the bound itself.
  for (const [bound, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ] as const) {
    if (source[exclusive] === true && typeof source[bound] === 'number') {
      out[exclusive] = source[bound];
      delete out[bound];
    } else if (source[exclusive] === false) delete out[exclusive];
  }
  if (source['x-kubernetes-int-or-string'] === true) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  // ObjectMeta keeps its other fields: the schema may only constrain its name.
  if (source.properties !== undefined && source.additionalProperties === undefined && !objectMeta) {
    out.additionalProperties = false;
  }
  return out;
}

/** A resource's schema: its metadata is Kubernetes' ObjectMeta. */
function objectMetaHolder(node: SchemaNode): boolean {
  const properties = (node.properties ?? {}) as SchemaNode;
  return 'apiVersion' in properties && 'kind' in properties;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function compileRolloutSchema() {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: true,
    strictRequired: false,
  });
  ajv.addFormat(
    'date-time',
    (text: string) => RFC3339.test(text) && !Number.isNaN(Date.parse(text)),
  );
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addKeyword({
    keyword: 'uniqueKeys',
    type: 'array',
    schemaType: 'array',
    error: {
      message: (cxt) => `must have unique ${(cxt.schema as string[]).join(', ')}`,
    },
    validate: uniqueKeysValidator,
  });
  return ajv.compile(toAjvSchema(rolloutOpenAPIV3Schema()) as SchemaObject);
}

type UniqueKeysValidator = ((keys: string[], list: unknown[]) => boolean) & {
  errors?: Partial<ErrorObject>[];
};

const uniqueKeysValidator: UniqueKeysValidator = (keys, list) => {
  const seen = new Map<string, number>();
  const errors: Partial<ErrorObject>[] = [];
  list.forEach((item, index) => {
    if (item === null || typeof item !== 'object') return;
    const key = JSON.stringify(keys.map((k) => (item as SchemaNode)[k]));
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else {
      errors.push({
        keyword: 'uniqueKeys',
        params: { keys, index, first, value: keys.map((k) => (item as SchemaNode)[k]) },
      });
    }
  });
  uniqueKeysValidator.errors = errors;
  return errors.length === 0;
};

let compiled: ReturnType<typeof compileRolloutSchema> | undefined;

/**
 * Checks `rollout` against the CRD's schema and fills in the schema's defaults in place,
 * as the API server does. Returns one Problem per error.
 */
export function checkSchema(rollout: unknown): Problem[] {
  compiled ??= compileRolloutSchema();
  if (compiled(rollout)) return [];
  return (compiled.errors ?? [])
    .filter((error) => !/\/(oneOf|anyOf)\/\d+\//.test(error.schemaPath))
    .map(problemFromError);
}
