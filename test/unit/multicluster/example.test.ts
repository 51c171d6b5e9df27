import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Rollout } from '../../../src/api/types.js';
import { validateRollout } from '../../../src/api/validate.js';
import { backendServices } from '../../../src/controller/effects/backend.js';

const documents = parseAllDocuments(
  readFileSync(new URL('../../../examples/cross-cluster.yaml', import.meta.url), 'utf8'),
).map((d) => d.toJS() as { kind: string });

describe('examples/cross-cluster.yaml', () => {
  const rollout = documents.find((d) => d.kind === 'Rollout');

  it('holds a valid backend-mode Rollout', () => {
    const result = validateRollout(rollout);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('routes the canary to the Linkerd mirror of the remote Service', () => {
    expect(backendServices(rollout as unknown as Rollout)).toEqual({
      stable: 'api-service-stable',
      canary: 'api-service-v2-west',
    });
  });
});
