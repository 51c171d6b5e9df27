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

/** Renders `{{ variable }}` placeholders (spaces optional) in a metric's PromQL template. */
export function renderQuery(
  metric: string,
  template: string,
  variables: TemplateVariables,
): string {
  const rendered = template.replace(PLACEHOLDER, (_placeholder, rawName: string) => {
    const name = rawName.trim();
    if (!isVariableName(name)) {
      throw new TemplateError(
        metric,
        `metric ${metric}: its query uses {{ ${name} }}, which fledge does not know; ` +
          `use one of ${VARIABLE_NAMES.map((v) => `{{ ${v} }}`).join(', ')}`,
      );
    }
    return escapePromQLString(variables[name]);
  });
  const unclosed = rendered.indexOf('{{');
  if (unclosed !== -1) {
    throw new TemplateError(
      metric,
      `metric ${metric}: its query has a "{{" that is not closed by "}}" near ` +
        `"${rendered.slice(unclosed, unclosed + 30)}"; write placeholders as {{ namespace }}`,
    );
  }
  return rendered;
}
