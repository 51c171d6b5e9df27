import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { generate } from '../../../scripts/gen-types.mjs';
import { DURATION_PATTERN } from '../../../src/api/duration.js';
import { rolloutOpenAPIV3Schema, toAjvSchema } from '../../../src/api/schema-check.js';
import { ROUTING_API_VERSIONS } from '../../../src/api/spec-rules.js';
import { loadYaml, problemsOf } from './fixtures.js';

type Node = Record<string, unknown>;

/** Every schema node with its field path, through properties, items and additionalProperties. */
function* schemaNodes(node: Node, path: string): Generator<[string, Node]> {
  yield [path, node];
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    yield* schemaNodes(child, `${path}.${name}`);
  }
  if (node.items) yield* schemaNodes(node.items as Node, `${path}[]`);
  if (typeof node.additionalProperties === 'object') {
    yield* schemaNodes(node.additionalProperties as Node, `${path}{}`);
  }
}

interface Crd {
  metadata: Node;
  spec: Node & { versions: (Node & { schema: Node; additionalPrinterColumns: Node[] })[] };
}

const crd = loadYaml('crds/rollout.yaml') as unknown as Crd;
const schema = rolloutOpenAPIV3Schema();
const nodes = [...schemaNodes(schema, '')];

describe('the generated files', () => {
  it('match what npm run gen:types makes from the CRDs in crds/, so types cannot drift', async () => {
    const files = await generate();
    expect(files.map((file) => file.path.split('/src/api/')[1])).toEqual([
      'rollout.generated.ts',
      'alertprovider.generated.ts',
      'metrictemplate.generated.ts',
      'crd.generated.ts',
    ]);
    for (const file of files) expect(file.text, file.path).toBe(await readFile(file.path, 'utf8'));
  });

  it('give validation the very schema the YAML holds', () => {
    expect(schema).toEqual(crd.spec.versions[0]?.schema.openAPIV3Schema);
  });
});

describe('crds/rollout.yaml', () => {
  it('is rollouts.fledge.dev v1alpha1, namespaced, short name flr, with the status subresource', () => {
    expect(crd.metadata).toEqual({ name: 'rollouts.fledge.dev' });
    expect(crd.spec).toMatchObject({
      group: 'fledge.dev',
      scope: 'Namespaced',
      names: { kind: 'Rollout', plural: 'rollouts', shortNames: ['flr'] },
    });
    expect(crd.spec.versions).toEqual([
      expect.objectContaining({
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
      }),
    ]);
  });

  it('prints Phase, Weight, Failed checks, Age and Message', () => {
    const columns = crd.spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(columns.map((c) => [c.name, c.jsonPath, c.priority ?? 0])).toEqual([
      ['Phase', '.status.phase', 0],
      ['Weight', '.status.canaryWeight', 0],
      ['FailedChecks', '.status.failedChecks', 0],
      ['Age', '.metadata.creationTimestamp', 0],
      ['Message', '.status.message', 0],
    ]);
  });

  it('gives every field a type, or says it is int-or-string or free-form (structural)', () => {
    const untyped = nodes
      .filter(([, n]) => n.type === undefined && n['x-kubernetes-int-or-string'] !== true)
      .map(([path]) => path);
    expect(untyped).toEqual([]);
  });

  it('keeps to what a structural schema on a Kubernetes 1.20 API server allows', () => {
    const text = JSON.stringify(schema);
    expect(text).not.toContain('$ref');
    expect(text).not.toContain('x-kubernetes-validations');
    for (const [path, node] of nodes) {
      expect(node.properties && node.additionalProperties, path).toBeFalsy();
      for (const key of ['oneOf', 'anyOf', 'allOf', 'not']) {
        for (const branch of ([] as Node[]).concat((node[key] ?? []) as Node[])) {
          expect(Object.keys(branch), `${path} ${key}`).toEqual(['required']);
          for (const field of branch.required as string[]) {
            expect((node.properties as Node)[field], `${path}.${field}`).toBeDefined();
          }
        }
      }
    }
    expect(Object.keys(schema.properties as Node)).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
      'status',
    ]);
    // Kubernetes lets a CRD constrain only metadata.name (and generateName).
    const metadata = (schema.properties as Record<string, Node>).metadata as Node;
    expect(Object.keys(metadata.properties as Node)).toEqual(['name']);
  });

  it('keys every list-map by a field that is always present', () => {
    const maps = nodes.filter(([, n]) => n['x-kubernetes-list-type'] === 'map');
    expect(maps.map(([path]) => path)).toEqual([
      '.spec.analysis.metrics',
      '.spec.analysis.judge.metrics',
      '.spec.analysis.webhooks',
      '.spec.analysis.alerts',
      '.status.conditions',
      '.status.lastAnalysis',
      '.status.lastJudgement.metrics',
    ]);
    for (const [path, node] of maps) {
      const items = node.items as Node;
      for (const key of node['x-kubernetes-list-map-keys'] as string[]) {
        expect(items.required, path).toContain(key);
      }
    }
  });

  it('has defaults that its own schema accepts', () => {
    const ajv = new Ajv({ strict: false, useDefaults: true });
    const defaulted = nodes.filter(([, n]) => n.default !== undefined);
    expect(defaulted.length).toBeGreaterThan(10);
    for (const [path, node] of defaulted) {
      const validate = ajv.compile(toAjvSchema(node) as Node);
      expect(
        validate(structuredClone(node.default)),
        `${path}: ${JSON.stringify(validate.errors)}`,
      ).toBe(true);
    }
  });

  it('checks durations with the pattern parseDuration reads', () => {
    const durations = nodes.filter(([, n]) => n.pattern === DURATION_PATTERN).map(([p]) => p);
    expect(durations).toEqual([
      '.spec.analysis.interval',
      '.spec.analysis.metrics[].interval',
      '.spec.analysis.judge.window',
      '.spec.analysis.judge.step',
      '.spec.analysis.judge.metrics[].interval',
      '.spec.analysis.webhooks[].timeout',
    ]);
  });

  it('lists exactly the routing apiVersions the rules know for each provider', () => {
    const routing = nodes.find(([path]) => path === '.spec.routing.apiVersion')?.[1] ?? {};
    expect([...(routing.enum as string[])].sort()).toEqual(
      Object.values(ROUTING_API_VERSIONS).flat().sort(),
    );
  });
});

describe('examples/', () => {
  it.each([
    'examples/workload-smi.yaml',
    'examples/backend-gateway-api.yaml',
    'examples/ab-testing.yaml',
    'examples/judge.yaml',
    'examples/autoscaled.yaml',
  ])('%s is a valid Rollout', (path) => {
    expect(problemsOf(loadYaml(path))).toEqual([]);
  });
});
