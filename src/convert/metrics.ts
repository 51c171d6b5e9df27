import { BUILT_IN_METRICS, type MetricSpec } from '../api/types.js';
import { dropUnmapped, duration } from './fields.js';
import { templateShapeProblems } from './flagger-schema.js';
import type { ConversionReport, FlaggerMetric, FlaggerMetricTemplate } from './flagger-types.js';
import { convertQuery, findTemplate } from './metric-query.js';
import { unusableTemplate, variablesLacking } from './metric-template.js';

const MAPPED_METRIC = new Set([
  'name',
  'interval',
  'threshold',
  'thresholdRange',
  'query',
  'templateRef',
  'templateVariables',
]);

/** A bound of a range, where YAML's empty value (null) means no bound. */
function bound(value: number | null | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function rangeOf(range: { min?: number; max?: number }) {
  return {
    ...(range.min === undefined ? {} : { min: range.min }),
    ...(range.max === undefined ? {} : { max: range.max }),
  };
}

type SharedMetric =
  | {
      ok: true;
      templateRef: { name: string; namespace?: string };
      variables: Record<string, string>;
    }
  | { ok: false; dropped?: string };

/**
 * A metric's templateRef and templateVariables, kept as they are: the Rollout refers to the
 * fledge MetricTemplate converted from the Flagger one. When that template is in the input, a
 * metric fledge could never ask (another provider, a variable not given) is dropped now.
 */
function sharedMetric(
  metric: FlaggerMetric,
  path: string,
  name: string,
  namespace: string | undefined,
  templates: readonly FlaggerMetricTemplate[],
  report: ConversionReport,
): SharedMetric {
  const ref = metric.templateRef ?? {};
  const refNamespace = ref.namespace ?? namespace;
  const id = `MetricTemplate ${refNamespace ? `${refNamespace}/` : ''}${ref.name ?? ''}`;
  if (!ref.name) {
    report.problems.push({ path: `${path}.templateRef.name`, message: 'is required' });
    return { ok: false };
  }
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(metric.templateVariables ?? {})) {
    variables[key] = String(value);
  }
  const found = findTemplate(templates, ref.name, refNamespace);
  if (found) {
    const shape = templateShapeProblems(found, id);
    if (shape.length > 0) {
      report.problems.push(
        ...shape.map((p) => ({ path: `${path}.templateRef`, message: `${p.path}: ${p.message}` })),
      );
      return { ok: false };
    }
    const unusable = unusableTemplate(found);
    if (unusable !== undefined) return { ok: false, dropped: `its ${id}: ${unusable}` };
    const lacking = variablesLacking(found, variables);
    if (lacking.length > 0) {
      return {
        ok: false,
        dropped: `its ${id} uses ${lacking.map((v) => `{{ variables.${v} }}`).join(', ')}, which templateVariables does not give`,
      };
    }
  } else {
    report.notes.push({
      path: `${path}.templateRef`,
      kind: 'changed',
      message: `metric ${name} now refers to a fledge ${id}, which is not in the input: convert the Flagger one with the Canary (\`fledge convert canary.yaml templates.yaml\`) and apply both`,
    });
  }
  return {
    ok: true,
    templateRef: {
      name: ref.name,
      ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    },
    variables,
  };
}

/**
 * One Flagger metric as a fledge metric, or undefined: with a note when it cannot be judged
 * the same way (no range, a MetricTemplate of another provider), with a problem when
 * it is malformed (an interval that is no duration, a MetricTemplate of the wrong shape).
 */
export function convertMetric(
  metric: FlaggerMetric,
  path: string,
  canaryName: string,
  namespace: string | undefined,
  templates: readonly FlaggerMetricTemplate[],
  report: ConversionReport,
): MetricSpec | undefined {
  const { notes, problems } = report;
  const name = metric.name ?? '';
  const drop = (message: string) => {
    notes.push({
      path,
      kind: 'dropped',
      message: `metric ${name || '(unnamed)'} was dropped: ${message}`,
    });
    return undefined;
  };
  dropUnmapped(metric, MAPPED_METRIC, path, notes);
  const interval = duration(metric.interval ?? '1m');
  if (interval === undefined) {
    problems.push({
      path: `${path}.interval`,
      message: `${JSON.stringify(metric.interval)} is not a duration such as 30s or 1m`,
    });
    return undefined;
  }
  const given = metric.thresholdRange;
  let range = given && { min: bound(given.min), max: bound(given.max) };
  if (!range && typeof metric.threshold === 'number') {
    // Flagger's deprecated threshold is a floor for the success rate and a ceiling otherwise.
    range =
      name === 'request-success-rate'
        ? { min: metric.threshold, max: undefined }
        : { min: undefined, max: metric.threshold };
    notes.push({
      path: `${path}.threshold`,
      kind: 'changed',
      message: `the deprecated threshold became thresholdRange ${JSON.stringify(range)}`,
    });
  }
  if (!range || (range.min === undefined && range.max === undefined)) {
    return drop('it has no thresholdRange');
  }

  if (metric.templateRef) {
    const shared = sharedMetric(metric, path, name, namespace, templates, report);
    if (!shared.ok) return shared.dropped === undefined ? undefined : drop(shared.dropped);
    return {
      name,
      templateRef: shared.templateRef,
      ...(Object.keys(shared.variables).length > 0 ? { templateVariables: shared.variables } : {}),
      thresholdRange: rangeOf(range),
      interval,
    } as MetricSpec;
  }
  const template = metric.query;
  const builtIn = (BUILT_IN_METRICS as readonly string[]).includes(name);
  if (template === undefined && !builtIn) {
    return drop(
      `it is not one of fledge's built-in metrics (${BUILT_IN_METRICS.join(', ')}) and has no query or templateRef`,
    );
  }
  const spec: MetricSpec = { name, thresholdRange: rangeOf(range) } as MetricSpec;
  if (template !== undefined) {
    const query = convertQuery(template, canaryName, metric.templateVariables ?? {});
    if (!query.ok) return drop(`its query cannot be converted: ${query.reason}`);
    spec.query = query.query;
  }
  spec.interval = interval;
  return spec;
}
