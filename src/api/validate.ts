/**
 * Validation of a Rollout from any source (the API server, a file, a converted Flagger
 * Canary): the CRD's schema, then the rules the schema cannot express, every problem at once.
 * A valid Rollout comes back with every default applied; the input is never modified.
 * Status is passed through unchecked: only fledge writes it, and the API server has
 * checked it against the same schema.
 */
import { boundsProblems, copyJson } from './input-bounds.js';
import { isObject } from './json.js';
import { describeValue, type Problem } from './problems.js';
import { checkSchema } from './schema-check.js';
import { checkRules, ROUTING_API_VERSIONS } from './spec-rules.js';
import { API_VERSION, KIND, type Rollout, type RolloutStatus } from './types.js';

export { formatProblems, type Problem } from './problems.js';

export type Validation = { ok: true; rollout: Rollout } | { ok: false; problems: Problem[] };

/** Never throws: whatever `obj` is, the answer is a Rollout or the problems, each on its field. */
export function validateRollout(obj: unknown): Validation {
  if (!isObject(obj)) return { ok: false, problems: [notAnObject(obj)] };
  const bounds = boundsProblems(obj);
  if (bounds.length > 0) return { ok: false, problems: bounds };
  const { status, ...rest } = obj;
  const candidate: unknown = copyJson(rest);
  const schemaProblems = checkSchema(candidate);
  const reported = new Set(schemaProblems.map((p) => p.path));
  const problems = [
    ...schemaProblems,
    ...checkRules(candidate).filter((p) => !reported.has(p.path)),
  ];
  if (problems.length > 0) return { ok: false, problems };
  const rollout = withDerivedDefaults(candidate as Rollout);
  return {
    ok: true,
    rollout: status === undefined ? rollout : { ...rollout, status: status as RolloutStatus },
  };
}

/** As the API server says of a body that is no object: the kind is what is missing. */
function notAnObject(value: unknown): Problem {
  return {
    path: 'kind',
    message: `is missing: the document is ${describeValue(value)}, not a Rollout object`,
    fix: `write a Rollout: a map with apiVersion: ${API_VERSION}, kind: ${KIND}, metadata and spec`,
  };
}

/**
 * The defaults that depend on other fields, which the schema cannot declare. Each of them is
 * listed in scripts/gen-types.mjs, so the types show them as always present.
 */
/** The highest canary weight: maxWeight, else the last of stepWeights, else 100. */
export function defaultMaxWeight(analysis: {
  maxWeight?: number;
  stepWeights?: readonly number[];
}): number {
  return analysis.maxWeight ?? analysis.stepWeights?.at(-1) ?? 100;
}

function withDerivedDefaults(rollout: Rollout): Rollout {
  const { spec } = rollout;
  const { service, routing, analysis } = spec;
  return {
    ...rollout,
    spec: {
      ...spec,
      service: {
        ...service,
        name: service.name ?? rollout.metadata.name,
        targetPort: service.targetPort ?? service.port,
      },
      routing: {
        ...routing,
        apiVersion: routing.apiVersion ?? ROUTING_API_VERSIONS[routing.provider][0],
      },
      analysis: { ...analysis, maxWeight: defaultMaxWeight(analysis) },
    },
  };
}
