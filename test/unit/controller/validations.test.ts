import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { Validations } from '../../../src/controller/validations.js';
import type { KubeObject } from '../../../src/kube/api-server.js';

type Stored = Rollout & KubeObject;

function rollout(
  changes: { spec?: object; metadata?: object; status?: object } = {},
  generation = 1,
): Stored {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'api', namespace: 'prod', uid: 'u1', generation, ...changes.metadata },
    spec: {
      targetRef: { name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '1s', stepWeight: 10, maxWeight: 50 },
      ...changes.spec,
    },
    ...(changes.status ? { status: changes.status } : {}),
  } as unknown as Stored;
}

const invalidSpec = { analysis: { interval: '1s', stepWeight: 0 } };

describe('Validations', () => {
  it('reuses the verdict while generation and metadata are unchanged, and judges a new generation', () => {
    const validations = new Validations();
    expect(validations.validate('prod/api', rollout()).ok).toBe(true);
    // The API server bumps the generation with every spec change: the same one means the
    // same spec, so the verdict is not computed again.
    expect(validations.validate('prod/api', rollout({ spec: invalidSpec })).ok).toBe(true);
    expect(validations.validate('prod/api', rollout({ spec: invalidSpec }, 2)).ok).toBe(false);
    expect(validations.validate('prod/api', rollout({}, 3)).ok).toBe(true);
  });

  it('judges again when metadata changes, but not for a new resourceVersion alone', () => {
    const validations = new Validations();
    validations.validate('prod/api', rollout({ metadata: { resourceVersion: '1' } }));
    const sameSpec = rollout({ metadata: { resourceVersion: '2' }, spec: invalidSpec });
    expect(validations.validate('prod/api', sameSpec).ok).toBe(true);
    const annotated = rollout({ metadata: { annotations: { a: 'b' } }, spec: invalidSpec });
    expect(validations.validate('prod/api', annotated).ok).toBe(false);
  });

  it('hands back the status of the object it is given, and keeps none of it', () => {
    const validations = new Validations();
    validations.validate('prod/api', rollout({ status: { phase: 'Progressing' } }));
    const second = validations.validate('prod/api', rollout({ status: { phase: 'Succeeded' } }));
    expect(second.ok && second.rollout.status?.phase).toBe('Succeeded');
    const third = validations.validate('prod/api', rollout());
    expect(third.ok && third.rollout.status).toBeUndefined();
    expect(third.ok && third.rollout.spec.analysis.maxWeight).toBe(50);
  });

  it('checks the bounds of every new status, as the first validation did', () => {
    const validations = new Validations();
    validations.validate('prod/api', rollout());
    let deep: object = {};
    for (let i = 0; i < 40; i++) deep = { nested: deep };
    const result = validations.validate('prod/api', rollout({ status: { machine: deep } }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]?.path).toMatch(/^status\.machine/);
  });

  it('forgets a Rollout: the next validation judges afresh', () => {
    const validations = new Validations();
    validations.validate('prod/api', rollout());
    validations.forget('prod/api');
    expect(validations.validate('prod/api', rollout({ spec: invalidSpec })).ok).toBe(false);
  });
});
