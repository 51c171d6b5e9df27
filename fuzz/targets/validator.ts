/**
 * The validator: mutations of real Rollouts (examples/ and the test fixtures), deep nesting,
 * huge strings, wrong types, unicode and boundary numbers.
 * Oracle: validateRollout never throws and answers {ok, rollout} or {ok: false, problems}; an
 * accepted Rollout passes rolloutRefusal (API server and controller); every problem names a
 * field: its path is not empty and starts at a field of a Rollout or one the input has.
 */
import { validateRollout } from '../../src/api/validate.js';
import { deeplyNested, type Json, oddValue } from '../hostile-values.js';
import { mutate, substitute, type Vocabulary } from '../mutate.js';
import { Random } from '../random.js';
import { rolloutRefusal } from '../rollout-oracle.js';
import { rolloutSeeds } from '../seeds.js';
import type { CaseResult } from '../tally.js';
import type { SyncTarget } from './sync-target.js';

const names = [
  'api-service',
  'my.app',
  'My-App',
  'a',
  '1app',
  'app-',
  '-app',
  'a_b',
  'a'.repeat(55),
  'a'.repeat(56),
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(253),
  'a'.repeat(254),
  `${'a'.repeat(40)}.${'b'.repeat(40)}`,
  'xn--bcher-kva',
  '',
];
const durations = [
  '1s',
  '999ms',
  '1000ms',
  '0s',
  '1m',
  '1m30s',
  '1h',
  '24h',
  '168h',
  '169h',
  '596h',
  '597h',
  '8760h',
  '2147483647ms',
  '2147483648ms',
  '99999999999999999999h',
  `${'9'.repeat(400)}s`,
  '1h1h',
  '1.5s',
  '-1s',
  '1d',
  ' 1m',
  'ms',
  '',
];
const queries = [
  'sum(rate(response_total{namespace="{{ namespace }}"}[{{ interval }}]))',
  'up{job="{{ target }}", svc="{{service}}"}',
  'sum(x{a="{{ foo }}"})',
  'sum(x{a="{{ variables.direction }}"})',
  'sum(x{a="{{ name }}"})',
  'sum(x{a="{{ namespace"})',
  'sum(x{a="{{}}"})',
  '}}{{ namespace }}{{',
  'vector(1)',
  ' ',
];
const urls = [
  'http://fledge-loadtester.fledge-system/',
  'https://gate.example.com:8443/check',
  'http://',
  'ftp://x/',
  'http://[::1',
  'http://a:99999/',
  'javascript:alert(1)',
  'http://user:pw@host/',
  'http://h/\u0000',
  `http://h/${'a'.repeat(5000)}`,
];

const VOCABULARY: Vocabulary = {
  name: names,
  service: names,
  cluster: ['west', 'east-1', 'a'.repeat(10), 'a'.repeat(30), 'a'.repeat(63), 'West', '1'],
  namespace: ['production', 'a'.repeat(63), 'a'.repeat(64), 'my.ns', 'NS', ''],
  interval: durations,
  timeout: durations,
  query: queries,
  url: urls,
  port: [0, 1, 8080, 65535, 65536, -1, 1.5, '8080', 2 ** 53 + 2],
  targetPort: [
    0,
    1,
    8080,
    65535,
    65536,
    'http',
    'HTTP',
    'a'.repeat(15),
    'a'.repeat(16),
    '80',
    '',
    1.5,
  ],
  threshold: [0, 1, 5, 1000, 1001, 2 ** 31, 2 ** 53 + 2, 1e308, 1.5, -1],
  maxWeight: [0, 1, 50, 100, 101, 9.5],
  stepWeight: [0, 1, 10, 100, 101, 2.5],
  stepWeightPromotion: [0, 1, 30, 100, 101, -1, 2.5, '30'],
  stepWeights: [
    [5, 10, 25, 50],
    [50, 10],
    [],
    [1, 1],
    [0, 100],
    Array.from({ length: 100 }, (_, i) => i + 1),
    Array.from({ length: 101 }, (_, i) => i),
  ],
  progressDeadlineSeconds: [0, 1, 600, 604_800, 604_801, 2 ** 31, 2 ** 53 + 2, 1e308, 1.5],
  retries: [0, 10, 11, -1, 1.5],
  provider: ['smi', 'gateway-api', 'SMI', 'linkerd', ''],
  apiVersion: [
    'split.smi-spec.io/v1alpha1',
    'gateway.networking.k8s.io/v1',
    'policy.linkerd.io/v1beta3',
    'fledge.dev/v1alpha1',
    'v1',
  ],
  kind: ['Rollout', 'Deployment', 'rollout'],
  onFailure: ['rollback', 'pause', 'Rollback'],
  onNoData: ['fail', 'pause', 'ignore'],
  promotion: ['auto', 'manual', 'Manual'],
  type: ['rollout', 'confirm-promotion', 'event', 'cmd', 'autocannon'],
  min: [0, 99, -1e308, 1e308, '99'],
  max: [0, 500, 1e308, -1],
  thresholdRange: [{}, { min: 1 }, { min: 2, max: 1 }, { min: null }],
  metadata: [
    { type: 'autocannon', url: 'http://a.b/', rps: '10' },
    { rps: 10 },
    { huge: 'a'.repeat(1 << 20) },
    Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v'])),
  ],
};

function generate(rng: Random, seeds: readonly Json[]): { value: Json; mutations: string[] } {
  const seed = rng.pick(seeds);
  const roll = rng.next();
  if (roll < 0.35) return substitute(rng, seed, VOCABULARY);
  if (roll < 0.38) {
    const value = oddValue(rng);
    return { value, mutations: ['(whole document) replaced'] };
  }
  const mutated = mutate(rng, seed, VOCABULARY, roll < 0.7 ? 4 : 2);
  if (roll > 0.9) {
    const place = rng.pick([
      'spec',
      'spec.analysis',
      'spec.analysis.metrics',
      'metadata',
      'spec.service',
    ]);
    const keys = place.split('.');
    let node = mutated.value as Record<string, Json>;
    for (const key of keys.slice(0, -1)) {
      const next = node?.[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) return mutated;
      node = next as Record<string, Json>;
    }
    if (node !== null && typeof node === 'object') {
      node[keys.at(-1) as string] = deeplyNested(rng);
      mutated.mutations.push(`${place} := deeply nested value`);
    }
  }
  return mutated;
}

const ROLLOUT_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/** A problem names its field when its path starts at a Rollout field, or at one of the input's. */
function namesField(path: unknown, input: Json): boolean {
  if (typeof path !== 'string' || path === '') return false;
  const first = /^[^.[]+/.exec(path)?.[0] ?? '';
  const own =
    input !== null &&
    typeof input === 'object' &&
    !Array.isArray(input) &&
    Object.hasOwn(input, first);
  return ROLLOUT_FIELDS.has(first) || own;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

let seedsCache: Json[] | undefined;

/** Case `index` of the run seeded with `seed`: the document and how it was made. */
export function fuzzedRollout(seed: number, index: number): { value: Json; mutations: string[] } {
  seedsCache ??= rolloutSeeds();
  return generate(Random.forCase(seed, 'validator', index), seedsCache);
}

export const validatorTarget: SyncTarget = {
  name: 'validator',
  defaultCount: 10_000,
  runCase(seed, index): CaseResult {
    const { value, mutations } = fuzzedRollout(seed, index);
    const about = `after ${mutations.join('; ')}`;
    let result: ReturnType<typeof validateRollout>;
    try {
      result = validateRollout(value);
    } catch (error) {
      return { finding: { kind: 'crash', detail: `${errorText(error)} ${about}` } };
    }
    if (result.ok) {
      let refusal: string | undefined;
      try {
        refusal = rolloutRefusal(result.rollout);
      } catch (error) {
        refusal = `the accepted Rollout breaks the controller: ${errorText(error)}`;
      }
      const finding = refusal
        ? { kind: 'accepted-but-invalid' as const, detail: `${refusal} ${about}` }
        : undefined;
      return { finding, accepted: true };
    }
    if (!Array.isArray(result.problems) || result.problems.length === 0) {
      return { finding: { kind: 'crash', detail: `refused without problems ${about}` } };
    }
    const unnamed = result.problems.find((p) => !namesField(p.path, value) || !p.message || !p.fix);
    if (unnamed) {
      const shown = `${JSON.stringify(unnamed.path)}: ${unnamed.message?.slice(0, 120)}`;
      return { finding: { kind: 'unnamed', detail: `problem ${shown} ${about}` } };
    }
    return {};
  },
};
