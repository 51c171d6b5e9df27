import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Rollout } from '../../../src/api/types.js';
import { validateRollout } from '../../../src/api/validate.js';

type Json = Record<string, unknown>;

/** A parsed YAML file from the repository. */
export function loadYaml(path: string): Json {
  return parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8'));
}

/**
 * Contract §1, workload mode, as a user writes it, with `changes` applied: each key is a
 * field path such as `spec.analysis.stepWeight` or `spec.analysis.metrics.0.name`; the value
 * undefined removes the field.
 */
export function workloadRollout(changes: Record<string, unknown> = {}): Json {
  return changed(loadYaml('examples/workload-smi.yaml'), changes);
}

/** Contract §1, backend mode: the shortest Rollout that moves traffic between two Services. */
export function backendRollout(changes: Record<string, unknown> = {}): Json {
  const rollout = {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'api-service', namespace: 'production' },
    spec: {
      service: { name: 'api-service', port: 8080 },
      backends: {
        stable: { service: 'api-service-stable' },
        canary: { service: 'api-service-canary', cluster: 'west' },
      },
      analysis: { stepWeight: 10 },
    },
  };
  return changed(rollout, changes);
}

function changed(rollout: Json, changes: Record<string, unknown>): Json {
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node = rollout as Json;
    for (const key of keys) {
      node[key] ??= {};
      node = node[key] as Json;
    }
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return rollout;
}

/** Every problem validation finds; none for a valid Rollout. */
export function problemsOf(rollout: unknown) {
  const result = validateRollout(rollout);
  return result.ok ? [] : result.problems;
}

/** The Rollout validation returns, defaults applied; throws with the problems of an invalid one. */
export function validated(rollout: unknown): Rollout {
  const result = validateRollout(rollout);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.rollout;
}
