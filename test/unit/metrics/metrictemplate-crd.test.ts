import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { metricTemplateCrd } from '../../../src/api/crd.generated.js';
import { toAjvSchema } from '../../../src/api/schema-check.js';

type Node = Record<string, unknown>;
const schema = metricTemplateCrd.spec.versions[0]?.schema.openAPIV3Schema as unknown as Node;

function* nodes(node: Node, path: string): Generator<[string, Node]> {
  yield [path, node];
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    yield* nodes(child, `${path}.${name}`);
  }
  if (node.items) yield* nodes(node.items as Node, `${path}[]`);
  if (typeof node.additionalProperties === 'object') {
    yield* nodes(node.additionalProperties as Node, `${path}{}`);
  }
}

const validate = new Ajv({ strict: false }).compile(toAjvSchema(schema) as Node);
const template = (spec: Node) => ({
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'MetricTemplate',
  metadata: { name: 'success-rate' },
  spec,
});

describe('crds/metrictemplate.yaml', () => {
  it('is metrictemplates.fledge.dev v1alpha1, namespaced, as Flagger’s MetricTemplate', () => {
    expect(metricTemplateCrd.metadata.name).toBe('metrictemplates.fledge.dev');
    expect(metricTemplateCrd.spec).toMatchObject({
      group: 'fledge.dev',
      scope: 'Namespaced',
      names: { kind: 'MetricTemplate', plural: 'metrictemplates' },
    });
  });

  it('is structural and needs no CEL, so a Kubernetes 1.20 API server serves it', () => {
    for (const [path, node] of nodes(schema, '')) expect(node.type, path).toBeDefined();
    expect(JSON.stringify(schema)).not.toContain('x-kubernetes-validations');
  });

  it.each([
    ['a query alone', { query: 'sum(up)' }, true],
    [
      'Flagger’s provider fields',
      {
        query: 'sum(up)',
        provider: {
          type: 'prometheus',
          address: 'https://mimir.example/prometheus',
          headers: { 'X-Scope-OrgID': ['team-a'] },
          secretRef: { name: 'mimir-auth' },
          insecureSkipVerify: false,
        },
      },
      true,
    ],
    ['no query', { provider: { address: 'http://prometheus:9090' } }, false],
    ['another provider type', { query: 'x', provider: { type: 'datadog' } }, false],
    [
      'an address with credentials',
      { query: 'x', provider: { address: 'http://u:p@p:9090' } },
      false,
    ],
    ['a header given as one string', { query: 'x', provider: { headers: { A: 'b' } } }, false],
  ])('takes %s: %s', (_what, spec, valid) => {
    expect(validate(template(spec))).toBe(valid);
  });
});
