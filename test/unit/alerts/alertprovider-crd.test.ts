import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderers } from '../../../src/alerts/providers/index.js';
import { alertProviderCrd } from '../../../src/api/crd.generated.js';
import { toAjvSchema } from '../../../src/api/schema-check.js';

type Node = Record<string, unknown>;
const schema = alertProviderCrd.spec.versions[0]?.schema.openAPIV3Schema as unknown as Node;
const spec = (schema.properties as Record<string, Node>).spec as Node;

function* nodes(node: Node, path: string): Generator<[string, Node]> {
  yield [path, node];
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    yield* nodes(child, `${path}.${name}`);
  }
}

const validate = new Ajv({ strict: false }).compile(toAjvSchema(schema) as Node);
const provider = (fields: Node) => ({
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'AlertProvider',
  metadata: { name: 'slack' },
  spec: { type: 'slack', ...fields },
});

describe('crds/alertprovider.yaml', () => {
  it('is alertproviders.fledge.dev v1alpha1, namespaced, as Flagger’s AlertProvider', () => {
    expect(alertProviderCrd.metadata.name).toBe('alertproviders.fledge.dev');
    expect(alertProviderCrd.spec).toMatchObject({
      group: 'fledge.dev',
      scope: 'Namespaced',
      names: { kind: 'AlertProvider', plural: 'alertproviders' },
    });
  });

  it('is structural and needs no CEL, so a Kubernetes 1.20 API server serves it', () => {
    for (const [path, node] of nodes(schema, '')) {
      expect(node.type, path).toBeDefined();
    }
    expect(JSON.stringify(schema)).not.toContain('x-kubernetes-validations');
    for (const branch of spec.oneOf as Node[]) expect(Object.keys(branch)).toEqual(['required']);
  });

  it('lists exactly the types fledge renders', () => {
    const type = (spec.properties as Record<string, Node>).type as Node;
    expect(type.enum).toEqual(Object.keys(renderers));
  });

  it.each([
    ['an address', { address: 'https://hooks.slack.com/services/x' }, true],
    ['a secretRef', { secretRef: { name: 'slack-url' } }, true],
    ['both', { address: 'https://x/', secretRef: { name: 'slack-url' } }, false],
    ['neither', { channel: 'general' }, false],
    ['an address that is no URL', { address: 'hooks.slack.com/x' }, false],
  ])('takes %s: %s', (_what, fields, valid) => {
    expect(validate(provider(fields))).toBe(valid);
  });
});
