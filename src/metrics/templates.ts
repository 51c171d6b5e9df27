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

/** What a MetricTemplate's query may use beyond the Rollout's placeholders. */
export interface SharedTemplate {
  /** The Rollout's name, for {{ name }}. */
  rollout: string;
  /** The metric's templateVariables, for {{ variables.NAME }}. */
  variables: Readonly<Record<string, string>>;
}

const VARIABLES = 'variables.';
const KNOWN = VARIABLE_NAMES.map((v) => `{{ ${v} }}`).join(', ');
const KNOWN_SHARED = `{{ name }}, ${KNOWN} and {{ variables.NAME }}`;

function shortPlaceholder(placeholder: string): string {
  return placeholder.length > 60 ? `${placeholder.slice(0, 57)}...` : placeholder;
}

/** True for a placeholder a MetricTemplate may use: {{ name }} or {{ variables.NAME }}. */
function isSharedName(name: string): boolean {
  return name === 'name' || /^variables\.[A-Za-z_][A-Za-z0-9_-]*$/.test(name);
}

/**
 * Why a query template cannot be rendered, or undefined when it can: a placeholder fledge
 * does not fill in, or a "{{" left unclosed. The validator refuses such a Rollout with this
 * reason, so it never fails at every analysis instead. `shared`: the query is a
 * MetricTemplate's, which may also use {{ name }} and {{ variables.NAME }}.
 */
export function templateProblem(template: string, shared = false): string | undefined {
  for (const [placeholder, rawName] of template.matchAll(PLACEHOLDER)) {
    const name = (rawName ?? '').trim();
    if (isVariableName(name) || (shared && isSharedName(name))) continue;
    return `uses ${shortPlaceholder(placeholder)}, which fledge does not fill in; use ${shared ? KNOWN_SHARED : KNOWN}`;
  }
  const unclosed = template.replace(PLACEHOLDER, '').indexOf('{{');
  if (unclosed !== -1) {
    const near = template.replace(PLACEHOLDER, '').slice(unclosed, unclosed + 30);
    return `has a "{{" that is not closed by "}}" near "${near}"; write placeholders as {{ namespace }}`;
  }
  return undefined;
}

/** The {{ variables.NAME }} a MetricTemplate's query uses that `given` lacks. */
export function missingVariables(template: string, given: Readonly<Record<string, string>>) {
  const missing = new Set<string>();
  for (const [, rawName] of template.matchAll(PLACEHOLDER)) {
    const name = (rawName ?? '').trim();
    if (!name.startsWith(VARIABLES)) continue;
    const variable = name.slice(VARIABLES.length);
    if (!Object.hasOwn(given, variable)) missing.add(variable);
  }
  return [...missing];
}

/**
 * Renders `{{ variable }}` placeholders (spaces optional) in a metric's PromQL template; with
 * `shared`, also a MetricTemplate's {{ name }} and {{ variables.NAME }}.
 */
export function renderQuery(
  metric: string,
  template: string,
  variables: TemplateVariables,
  shared?: SharedTemplate,
): string {
  const problem = templateProblem(template, shared !== undefined);
  if (problem !== undefined)
    throw new TemplateError(metric, `metric ${metric}: its query ${problem}`);
  if (shared) {
    const missing = missingVariables(template, shared.variables);
    if (missing.length > 0) {
      throw new TemplateError(
        metric,
        `metric ${metric}: its MetricTemplate uses ${missing.map((v) => `{{ variables.${v} }}`).join(', ')}, which its templateVariables do not give; add ${missing.join(', ')} to the metric's templateVariables`,
      );
    }
  }
  return template.replace(PLACEHOLDER, (_placeholder, rawName: string) => {
    const name = rawName.trim();
    if (isVariableName(name)) return escapePromQLString(variables[name]);
    if (name === 'name') return escapePromQLString(shared?.rollout ?? '');
    return escapePromQLString(shared?.variables[name.slice(VARIABLES.length)] ?? '');
  });
}
