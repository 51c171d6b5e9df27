/**
 * The judge's input document (`fledge judge FILE`): checked field by field, with every problem
 * named by its field, and Kayenta's defaults filled in. Bounded: at the limits (100 metrics of
 * 10,000 points per side, a 17 MB file) a judgement takes about 7 s of CPU; 100 points per side
 * take about half a millisecond per metric.
 */
import type { MetricRule } from './classify.js';
import { describe, type InputProblem, isObject, LIMITS, Reader } from './field-reader.js';
import { DEFAULT_OUTLIER_FACTOR } from './outliers.js';
import type { ScoreRule } from './score.js';

export { type InputProblem, LIMITS } from './field-reader.js';

/** Kayenta's defaults (NetflixACAJudge, and the canary stage's score thresholds). */
export const DEFAULTS = {
  confidence: 0.98,
  tolerance: 0.25,
  pass: 95,
  marginal: 75,
  group: 'default',
} as const;

export interface JudgedMetric {
  rule: MetricRule;
  groups: string[];
  canary: (number | null)[];
  baseline: (number | null)[];
}

export interface JudgeRequest {
  metrics: JudgedMetric[];
  scoring: ScoreRule;
}

export type ParsedRequest =
  | { ok: true; request: JudgeRequest }
  | { ok: false; problems: InputProblem[] };

const TOP_FIELDS = ['confidence', 'tolerance', 'pass', 'marginal', 'groupWeights', 'metrics'];
const METRIC_FIELDS = [
  'name',
  'direction',
  'critical',
  'effectSize',
  'criticalEffectSize',
  'confidence',
  'tolerance',
  'nanStrategy',
  'outliers',
  'groups',
  'canary',
  'baseline',
];

function readOutlierFactor(reader: Reader, value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    return reader.problem(
      at,
      `must be {"strategy": "keep" | "remove", "factor": 3}; got ${describe(value)}`,
    );
  }
  reader.unknownFields(value, ['strategy', 'factor'], at, 'outliers');
  const strategy = reader.choice(value.strategy, `${at}.strategy`, ['keep', 'remove'], 'keep');
  const factor = reader.number(
    value.factor,
    `${at}.factor`,
    DEFAULT_OUTLIER_FACTOR,
    (n) => n > 0,
    'above 0',
  );
  return strategy === 'remove' ? factor : undefined;
}

function readGroups(reader: Reader, value: unknown, at: string): string[] {
  if (value === undefined) return [DEFAULTS.group];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > LIMITS.groupsPerMetric ||
    !value.every((g) => typeof g === 'string' && g.length > 0 && g.length <= LIMITS.nameLength)
  ) {
    reader.problem(
      at,
      `must be a list of 1 to ${LIMITS.groupsPerMetric} group names; got ${describe(value)}`,
    );
    return [DEFAULTS.group];
  }
  return [...new Set(value as string[])];
}

function readMetric(
  reader: Reader,
  value: unknown,
  at: string,
  shared: { confidence: number; tolerance: number },
): JudgedMetric | undefined {
  if (!isObject(value)) return reader.problem(at, `must be an object; got ${describe(value)}`);
  reader.unknownFields(value, METRIC_FIELDS, at, 'a metric');
  const name = value.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > LIMITS.nameLength) {
    reader.problem(
      `${at}.name`,
      `must be a name of 1 to ${LIMITS.nameLength} characters; got ${describe(name)}`,
    );
  }
  if (value.critical !== undefined && typeof value.critical !== 'boolean') {
    reader.problem(`${at}.critical`, `must be true or false; got ${describe(value.critical)}`);
  }
  if (value.canary === undefined)
    reader.problem(`${at}.canary`, "is required: the canary's samples");
  if (value.baseline === undefined) {
    reader.problem(`${at}.baseline`, "is required: the baseline's (primary's) samples");
  }
  return {
    rule: {
      name: typeof name === 'string' ? name : '',
      direction: reader.choice(
        value.direction,
        `${at}.direction`,
        ['increase', 'decrease', 'either'],
        'either',
      ),
      critical: value.critical === true,
      effectSize: reader.ratioPair(value.effectSize, `${at}.effectSize`),
      criticalEffectSize: reader.ratioPair(value.criticalEffectSize, `${at}.criticalEffectSize`),
      confidence: reader.number(
        value.confidence,
        `${at}.confidence`,
        shared.confidence,
        (n) => n > 0 && n < 1,
        'between 0 and 1 (exclusive), as 0.98',
      ),
      tolerance: reader.number(
        value.tolerance,
        `${at}.tolerance`,
        shared.tolerance,
        (n) => n >= 0 && n < 1,
        'from 0 to below 1, as 0.25',
      ),
      nanStrategy: reader.choice(
        value.nanStrategy,
        `${at}.nanStrategy`,
        ['remove', 'replace'],
        'remove',
      ),
      outlierFactor: readOutlierFactor(reader, value.outliers, `${at}.outliers`),
    },
    groups: readGroups(reader, value.groups, `${at}.groups`),
    canary: value.canary === undefined ? [] : reader.samples(value.canary, `${at}.canary`),
    baseline: value.baseline === undefined ? [] : reader.samples(value.baseline, `${at}.baseline`),
  };
}

function readGroupWeights(
  reader: Reader,
  value: unknown,
  metrics: readonly JudgedMetric[],
): Record<string, number> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    return (
      reader.problem(
        'groupWeights',
        `must map group names to percentages, as {"latency": 60, "errors": 40}; got ${describe(value)}`,
      ) ?? {}
    );
  }
  const used = new Set(metrics.flatMap((m) => m.groups));
  const weights: Record<string, number> = {};
  for (const [group, weight] of Object.entries(value)) {
    if (!used.has(group)) {
      reader.problem(
        `groupWeights.${group}`,
        `names no group of any metric; the groups are ${[...used].join(', ')}`,
      );
    }
    weights[group] = reader.number(
      weight,
      `groupWeights.${group}`,
      0,
      (n) => n >= 0 && n <= 100,
      'from 0 to 100',
    );
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (sum > 100 + 1e-9) reader.problem('groupWeights', `add up to ${sum}; at most 100`);
  else if ([...used].every((g) => g in weights) && Math.abs(sum - 100) > 1e-9) {
    reader.problem(
      'groupWeights',
      `add up to ${sum}; with a weight for every group they must add up to 100`,
    );
  }
  return weights;
}

export function parseJudgeRequest(document: unknown): ParsedRequest {
  const reader = new Reader();
  if (!isObject(document)) {
    return {
      ok: false,
      problems: [
        {
          field: '(document)',
          message: `must be a JSON object with "metrics"; got ${describe(document)}`,
        },
      ],
    };
  }
  reader.unknownFields(document, TOP_FIELDS, '', 'the judge input');
  const confidence = reader.number(
    document.confidence,
    'confidence',
    DEFAULTS.confidence,
    (n) => n > 0 && n < 1,
    'between 0 and 1 (exclusive), as 0.98',
  );
  const tolerance = reader.number(
    document.tolerance,
    'tolerance',
    DEFAULTS.tolerance,
    (n) => n >= 0 && n < 1,
    'from 0 to below 1, as 0.25',
  );
  const pass = reader.number(
    document.pass,
    'pass',
    DEFAULTS.pass,
    (n) => n >= 0 && n <= 100,
    'from 0 to 100',
  );
  const marginal = reader.number(
    document.marginal,
    'marginal',
    DEFAULTS.marginal,
    (n) => n >= 0 && n <= 100,
    'from 0 to 100',
  );
  if (marginal > pass)
    reader.problem('marginal', `is ${marginal}, above pass ${pass}; it must be at most pass`);
  const list = document.metrics;
  const metrics: JudgedMetric[] = [];
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.metrics) {
    reader.problem(
      'metrics',
      `must be a list of 1 to ${LIMITS.metrics} metrics; got ${describe(list)}`,
    );
  } else {
    const seen = new Map<string, number>();
    list.forEach((item, index) => {
      const metric = readMetric(reader, item, `metrics[${index}]`, { confidence, tolerance });
      if (!metric) return;
      const first = seen.get(metric.rule.name);
      if (first !== undefined && metric.rule.name !== '') {
        reader.problem(
          `metrics[${index}].name`,
          `repeats "${metric.rule.name}" of metrics[${first}]; names must be unique`,
        );
      }
      seen.set(metric.rule.name, index);
      metrics.push(metric);
    });
  }
  const groupWeights = readGroupWeights(reader, document.groupWeights, metrics);
  if (reader.problems.length > 0) return { ok: false, problems: reader.problems };
  return { ok: true, request: { metrics, scoring: { pass, marginal, groupWeights } } };
}
