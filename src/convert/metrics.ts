import { BUILT_IN_METRICS, type MetricSpec } from '../api/types.js';
import { dropUnmapped, duration } from './fields.js';
import type { ConversionNote, FlaggerMetric, FlaggerMetricTemplate } from './flagger-types.js';
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

/**
 * One Flagger metric as a fledge metric, or undefined (with the reason in `notes`) when it
 * cannot be judged the same way: no range, a MetricTemplate not given, another provider.
 */
export function convertMetric(
  metric: FlaggerMetric,
  path: string,
  canaryName: string,
  namespace: string | undefined,
  templates: readonly FlaggerMetricTemplate[],
  notes: ConversionNote[],
): MetricSpec | undefined {
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
  let range = metric.thresholdRange;
  if (!range && typeof metric.threshold === 'number') {
    // Flagger's deprecated threshold is a floor for the success rate and a ceiling otherwise.
    range = name === 'request-success-rate' ? { min: metric.threshold } : { max: metric.threshold };
    notes.push({
      path: `${path}.threshold`,
      kind: 'changed',
      message: `the deprecated threshold became thresholdRange ${JSON.stringify(range)}`,
    });
  }
  if (!range || (range.min === undefined && range.max === undefined))
    return drop('it has no thresholdRange');

  let template = metric.query;
  if (metric.templateRef) {
    const ref = metric.templateRef;
    const refNamespace = ref.namespace ?? namespace;
    const found = findTemplate(templates, ref.name ?? '', refNamespace);
    if (!found?.spec?.query) {
      return drop(
        `its MetricTemplate ${refNamespace ?? ''}/${ref.name ?? ''} is not in the input; give its file too (\`fledge convert canary.yaml templates.yaml\`) so its query can be written into the Rollout`,
      );
    }
    const provider = found.spec.provider?.type ?? 'prometheus';
    if (provider !== 'prometheus')
      return drop(`its MetricTemplate reads ${provider}; fledge reads Prometheus only`);
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
  const spec: MetricSpec = { name, thresholdRange: range } as MetricSpec;
  if (template !== undefined) {
    const query = convertQuery(template, canaryName, metric.templateVariables ?? {});
    if (!query.ok) return drop(`its query cannot be converted: ${query.reason}`);
    spec.query = query.query;
  }
  const interval = duration(metric.interval ?? '1m');
  if (interval === undefined) return drop(`interval "${metric.interval}" is not a duration`);
  spec.interval = interval;
  return spec;
}
