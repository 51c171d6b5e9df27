import { BUILT_IN_METRICS, type MetricSpec } from '../api/types.js';
import { dropUnmapped, duration } from './fields.js';
import { templateShapeProblems } from './flagger-schema.js';
import type { ConversionReport, FlaggerMetric, FlaggerMetricTemplate } from './flagger-types.js';
import { convertQuery, findTemplate } from './metric-query.js';

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

/**
 * One Flagger metric as a fledge metric, or undefined: with a note when it cannot be judged
 * the same way (no range, a MetricTemplate not given, another provider), with a problem when
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

  let template = metric.query;
  if (metric.templateRef) {
    const ref = metric.templateRef;
    const refNamespace = ref.namespace ?? namespace;
    const found = findTemplate(templates, ref.name ?? '', refNamespace);
    const id = `MetricTemplate ${refNamespace ?? ''}/${ref.name ?? ''}`;
    const shape = found ? templateShapeProblems(found, id) : [];
    if (shape.length > 0) {
      problems.push(
        ...shape.map((p) => ({ path: `${path}.templateRef`, message: `${p.path}: ${p.message}` })),
      );
      return undefined;
    }
    if (!found?.spec?.query) {
      return drop(
        `its ${id} is not in the input; give its file too (\`fledge convert canary.yaml templates.yaml\`) so its query can be written into the Rollout`,
      );
    }
    const provider = found.spec.provider?.type ?? 'prometheus';
    if (provider !== 'prometheus') {
      return drop(`its MetricTemplate reads ${provider}; fledge reads Prometheus only`);
    }
    if (found.spec.provider?.address) {
      notes.push({
        path: `${path}.templateRef`,
        kind: 'changed',
        message: `MetricTemplate ${ref.name}: its query was written in; its Prometheus address is not kept (fledge uses the controller's --prometheus-url)`,
      });
    }
    template = found.spec.query;
  }
  const builtIn = (BUILT_IN_METRICS as readonly string[]).includes(name);
  if (template === undefined && !builtIn) {
    return drop(
      `it is not one of fledge's built-in metrics (${BUILT_IN_METRICS.join(', ')}) and has no query or templateRef`,
    );
  }
  const thresholdRange = {
    ...(range.min === undefined ? {} : { min: range.min }),
    ...(range.max === undefined ? {} : { max: range.max }),
  };
  const spec: MetricSpec = { name, thresholdRange } as MetricSpec;
  if (template !== undefined) {
    const query = convertQuery(template, canaryName, metric.templateVariables ?? {});
    if (!query.ok) return drop(`its query cannot be converted: ${query.reason}`);
    spec.query = query.query;
  }
  spec.interval = interval;
  return spec;
}
