import { PLACEHOLDER, VARIABLE_NAMES } from '../metrics/templates.js';
import type { FlaggerMetricTemplate } from './flagger-types.js';

/** The placeholders fledge renders itself; Flagger has the same ones under the same names. */
const KEPT: ReadonlySet<string> = new Set(VARIABLE_NAMES);
const KNOWN = VARIABLE_NAMES.map((name) => `{{ ${name} }}`).join(', ');

export type QueryConversion = { ok: true; query: string } | { ok: false; reason: string };

/**
 * A Flagger query template in fledge's terms. `{{ variables.x }}` (the Canary's
 * templateVariables) and `{{ name }}` (the Canary's name) are fixed per Canary, so they are
 * written in now; `{{ ingress }}` has no counterpart.
 */
export function convertQuery(
  template: string,
  canaryName: string,
  variables: Record<string, unknown>,
): QueryConversion {
  let failure: string | undefined;
  const query = template.replace(PLACEHOLDER, (placeholder, raw: string) => {
    const name = raw.trim();
    if (KEPT.has(name)) return `{{ ${name} }}`;
    if (name === 'name') return canaryName;
    if (name.startsWith('variables.')) {
      const value = variables[name.slice('variables.'.length)];
      if (value === undefined) {
        failure ??= `it uses ${placeholder} but templateVariables has no ${name.slice('variables.'.length)}`;
        return placeholder;
      }
      return String(value);
    }
    failure ??= `it uses ${placeholder}, which fledge has no value for (fledge knows ${KNOWN})`;
    return placeholder;
  });
  return failure ? { ok: false, reason: failure } : { ok: true, query: query.trim() };
}

/** The MetricTemplate a templateRef names, among those given with the Canary. */
export function findTemplate(
  templates: readonly FlaggerMetricTemplate[],
  name: string,
  namespace: string | undefined,
): FlaggerMetricTemplate | undefined {
  return templates.find(
    (t) => t.metadata?.name === name && (t.metadata?.namespace ?? namespace) === namespace,
  );
}
