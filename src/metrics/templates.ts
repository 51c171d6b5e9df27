/** The values a metric query template may use, already in their final text form. */
export interface TemplateVariables {
  namespace: string;
  target: string;
  service: string;
  /** A PromQL range duration such as `1m` or `1500ms`. */
  interval: string;
}

export const VARIABLE_NAMES: readonly (keyof TemplateVariables)[] = [
  'namespace',
  'target',
  'service',
  'interval',
];

export const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** A metric's query template cannot be rendered; the message names the metric and the fix. */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    readonly metric: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Escapes a value for the inside of a double-quoted PromQL string literal, so that a name
 * can never end the literal early and change the query's meaning.
 */
export function escapePromQLString(value: string): string {
  return value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t');
}

function isVariableName(name: string): name is keyof TemplateVariables {
  return (VARIABLE_NAMES as readonly string[]).includes(name);
}

const KNOWN = VARIABLE_NAMES.map((v) => `{{ ${v} }}`).join(', ');

/**
 * Why a query template cannot be rendered, or undefined when it can: a placeholder fledge
 * does not fill in, or a "{{" left unclosed. The validator refuses such a Rollout with this
 * reason, so it never fails at every analysis instead.
 */
export function templateProblem(template: string): string | undefined {
  for (const [placeholder, rawName] of template.matchAll(PLACEHOLDER)) {
    const name = (rawName ?? '').trim();
    if (!isVariableName(name)) {
      return `uses ${placeholder.length > 60 ? `${placeholder.slice(0, 57)}...` : placeholder}, which fledge does not fill in; use ${KNOWN}`;
    }
  }
  const unclosed = template.replace(PLACEHOLDER, '').indexOf('{{');
  if (unclosed !== -1) {
    const near = template.replace(PLACEHOLDER, '').slice(unclosed, unclosed + 30);
    return `has a "{{" that is not closed by "}}" near "${near}"; write placeholders as {{ namespace }}`;
  }
  return undefined;
}

/** Renders `{{ variable }}` placeholders (spaces optional) in a metric's PromQL template. */
export function renderQuery(
  metric: string,
  template: string,
  variables: TemplateVariables,
): string {
  const problem = templateProblem(template);
  if (problem !== undefined)
    throw new TemplateError(metric, `metric ${metric}: its query ${problem}`);
  return template.replace(PLACEHOLDER, (_placeholder, rawName: string) =>
    escapePromQLString(variables[rawName.trim() as keyof TemplateVariables]),
  );
}
