/**
 * The converter: mutations of Flagger's published Canaries (examples/flagger/ and Flagger's
 * docs), webhooks and metrics spliced from the docs, hostile `hey` commands, then YAML-level
 * damage (truncation, tabs, alias bombs, lists with holes), through what `fledge convert` runs.
 * Oracle, on what `fledge convert` writes: nothing throws; every Canary refused is reported
 * at a Canary field, every file not read at the file; it fails (exit 1) exactly when something
 * is reported as such; every Rollout it writes, read back from its YAML, passes validation and
 * rolloutRefusal, and every load it asks of the loadtester (metadata type autocannon) is one
 * parseLoadMetadata accepts.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { alertTarget } from '../../src/alerts/target.js';
import type { AlertProvider } from '../../src/api/alertprovider.generated.js';
import type { MetricTemplate } from '../../src/api/metrictemplate.generated.js';
import { validateRollout } from '../../src/api/validate.js';
import { type ConvertedFiles, convertFlaggerFiles } from '../../src/convert/convert-files.js';
import { parseLoadMetadata } from '../../src/loadtester/metadata.js';
import { templateSource } from '../../src/metrics/template-source.js';
import { type Json, jsonText } from '../hostile-values.js';
import { mutate, substitute, type Vocabulary } from '../mutate.js';
import { Random } from '../random.js';
import { rolloutRefusal } from '../rollout-oracle.js';
import { type FlaggerSeeds, flaggerSeeds } from '../seeds.js';
import type { CaseResult, Finding } from '../tally.js';
import type { SyncTarget } from './sync-target.js';

const URL_TAIL = 'http://podinfo-canary.test:9898/';
const heyCommands = [
  `hey -z 1m -q 10 -c 2 ${URL_TAIL}`,
  `hey -z 2h -q 10 -c 2 ${URL_TAIL}`,
  `hey -z 1000000h -q 10 -c 2 ${URL_TAIL}`,
  `hey -z 0.5s ${URL_TAIL}`,
  `hey -q 1000 -c 100 ${URL_TAIL}`,
  `hey -c 5000 -q 1 ${URL_TAIL}`,
  `hey -c 0 -q 0 ${URL_TAIL}`,
  `hey -q -5 ${URL_TAIL}`,
  `hey -q 1e309 -c 2 ${URL_TAIL}`,
  `hey -n 100000000 -q 1 -c 1 ${URL_TAIL}`,
  `hey -m HEAD ${URL_TAIL}`,
  `hey -m TRACE ${URL_TAIL}`,
  `hey -m 'GET /x HTTP/1.1' ${URL_TAIL}`,
  `hey -H "Host: app.example.com" ${URL_TAIL}`,
  `hey -H 'X-Canary: insider' -H 'x-canary: twice' ${URL_TAIL}`,
  `hey -H 'not a header' ${URL_TAIL}`,
  `hey -H 'Content-Length: 5' ${URL_TAIL}`,
  `hey -host app.example.com ${URL_TAIL}`,
  `hey -A 'é\u0001' -T text/plain -a user:pass -d '{"a":1}' -m POST ${URL_TAIL}`,
  `hey -d @/etc/passwd -D /etc/passwd ${URL_TAIL}`,
  'hey -z 1m http://',
  'hey -z 1m ftp://x/',
  'hey -z 1m http://user:pw@podinfo.test/',
  `hey -z 1m -q 10 -c 2 ${URL_TAIL} ${URL_TAIL}`,
  'hey -z',
  'hey',
  `hey -h2 -disable-keepalive -cpus 4 -o csv -t 5 -x http://proxy:3128 ${URL_TAIL}`,
  `hey -z 1m -q 10 -c 2 ${URL_TAIL} | grep x`,
  `hey -z 1m $(whoami) ${URL_TAIL}`,
  `/usr/local/bin/hey -z 1m ${URL_TAIL}`,
  "curl -sd 'test' http://podinfo-canary.test:9898/token | grep token",
  `hey -z 1m -q 10 -c 2 http://${'a'.repeat(300)}.test/`,
  `hey ${'-q 1 '.repeat(2000)}${URL_TAIL}`,
  "hey -z 1m 'unclosed",
];
const goDurations = [
  '1m',
  '30s',
  '0s',
  '1.5m',
  '10',
  '-1s',
  '1h',
  '2h',
  '1000h',
  '99999999999h',
  '1m1m',
  '',
  'forever',
  5,
  0.5,
];
const names = ['podinfo', 'my.app', 'a'.repeat(60), 'a'.repeat(254), 'Podinfo', '', 5, null];
const queries = [
  'sum(rate(x{ns="{{ namespace }}",d="{{ target }}"}[{{ interval }}]))',
  'sum(x{a="{{ variables.direction }}"})',
  'sum(x{a="{{ variables.missing }}"})',
  'sum(x{a="{{ name }}"})',
  'sum(x{a="{{ ingress }}"})',
  'sum(x{a="{{ namespace"})',
  '{{}}',
  5,
  ['sum(x)'],
];

function vocabularyFrom(seeds: FlaggerSeeds): Vocabulary {
  const some = (items: Json[], n: number) => items.slice(0, n);
  return {
    cmd: heyCommands,
    interval: goDurations,
    timeout: goDurations,
    name: names,
    namespace: ['test', 'a'.repeat(64), 'My.NS', 5],
    provider: ['linkerd', 'smi', 'smi:v1alpha3', 'gatewayapi:v1', 'istio', 'LINKERD', 5, null],
    port: [80, 0, 65536, -1, 1.5, '80', null],
    targetPort: [80, 'http', 'a'.repeat(20), 0, 70000, null],
    stepWeight: [0, 5, 100, 101, -1, 2.5, '10', null],
    stepWeightPromotion: [0, 1, 20, 100, 101, -1, 2.5, '20', null],
    stepWeights: [[1, 2, 3], [50, 10], [], [0], ['a'], 'x', null],
    maxWeight: [0, 50, 100, 101, 2.5, '50'],
    threshold: [0, 1, 5, -1, 2.5, 2 ** 53 + 2, '5'],
    iterations: [0, 10, 'x'],
    progressDeadlineSeconds: [0, 60, -1, 1e308, 2 ** 53 + 2, '600'],
    query: queries,
    templateRef: [{ name: 'success-rate', namespace: 'test' }, { name: 5 }, 'x', null, {}],
    templateVariables: [{ direction: 'inbound' }, 'x', [1], { a: { b: 1 } }, null],
    thresholdRange: [{}, { min: 99 }, { min: 'x' }, { max: null }, null, [1]],
    url: [
      'http://flagger-loadtester.test/',
      'http://flagger-loadtester.test/gate/check',
      'http://flagger-loadtester.test/rollback/check',
      'not a url',
      'ftp://x/',
      5,
      null,
    ],
    metadata: [
      { type: 'cmd', cmd: heyCommands[0] as string },
      { cmd: 5 },
      { type: 'bash', cmd: 'echo ok' },
      { a: { b: 'c' } },
      'x',
      null,
      [],
    ],
    targetRef: [
      { kind: 'Deployment', name: 'x' },
      { kind: 'DaemonSet', name: 'x' },
      { name: 5 },
      'x',
      null,
    ],
    service: [
      { port: 80 },
      { port: 'x' },
      { port: 80, gatewayRefs: 'x' },
      { port: 80, gatewayRefs: [null] },
      null,
      'x',
    ],
    gatewayRefs: [[{ name: 'podinfo', kind: 'Service' }], 'x', [null], [5], null],
    analysis: [{}, { stepWeight: 10 }, 'x', null, []],
    canaryAnalysis: [{ stepWeight: 10, maxWeight: 50 }, 'x'],
    spec: [{}, 'x', null],
    metrics: [some(seeds.metrics, 5), seeds.metrics, 'x', [null], [5], null],
    webhooks: [some(seeds.webhooks, 6), seeds.webhooks, 'x', [null], ['x'], null],
    labels: [{ a: 'b' }, 'x', { a: 5 }, null],
  };
}

/** Damage to the YAML text itself: what a bad copy and paste, or an attacker, produces. */
function damageText(rng: Random, text: string): { text: string; what: string } {
  switch (rng.int(0, 7)) {
    case 0: {
      const at = rng.int(0, text.length);
      return { text: text.slice(0, at), what: `truncated at ${at}` };
    }
    case 1:
      return { text: text.replace(/\n {2}/, '\n\t'), what: 'a tab in the indentation' };
    case 2:
      return {
        text: `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n---\n${text}`,
        what: 'an alias bomb before it',
      };
    case 3:
      return {
        text: `apiVersion: v1\nkind: List\nitems: [null, 5, "x", []]\n---\n${text}`,
        what: 'a List with holes before it',
      };
    case 4:
      return {
        text: `${text}\n---\n~\n---\n- 1\n---\n"x"\n`,
        what: 'null, list and string documents after it',
      };
    case 5:
      return { text: `\ufeff${text}`, what: 'a byte-order mark' };
    case 6:
      return {
        text: `${'['.repeat(20_000)}${']'.repeat(20_000)}\n---\n${text}`,
        what: '20,000 nested flow sequences before it',
      };
    default:
      return { text: text.replace('spec:', 'spec: !!binary aGk=\nx:'), what: 'a binary tag' };
  }
}

/** YAML when it can be written, JSON text (also YAML) when the document is too deep for that. */
function documentText(rng: Random, value: Json): string {
  if (rng.chance(0.5)) {
    try {
      return stringify(value, { aliasDuplicateObjects: false });
    } catch {
      // too deep for the YAML writer: fall back to JSON text
    }
  }
  return jsonText(value);
}

const FIELD = /^(metadata|spec|apiVersion|kind)\b/;

/** Why the output of `fledge convert` is not what it promises, if it is not. */
function outputProblem(
  converted: ConvertedFiles,
  sources: { name: string }[],
): Finding | undefined {
  let problems = 0;
  for (const message of converted.messages) {
    const refused =
      /^(?:Canary|MetricTemplate|AlertProvider) .*?: cannot be converted: (.*)$/s.exec(message);
    if (refused) {
      problems += 1;
      if (!FIELD.test(refused[1] ?? '')) return { kind: 'unnamed', detail: message.slice(0, 200) };
    } else if (
      /^[^:]*: cannot be read: /.test(message) ||
      (!/^(Canary|MetricTemplate|AlertProvider) /.test(message) &&
        /: cannot be read: /.test(message))
    ) {
      problems += 1;
      if (!sources.some((s) => message.startsWith(s.name)))
        return { kind: 'unnamed', detail: message.slice(0, 200) };
    }
  }
  if (problems > 0 !== converted.failed > 0) {
    return {
      kind: 'unnamed',
      detail: `${converted.failed} failures but ${problems} problems reported`,
    };
  }
  for (const document of parseAllDocuments(converted.yaml)) {
    const written = document.toJSON() as Record<string, unknown>;
    const invalid =
      written.kind === 'MetricTemplate'
        ? unusableTemplate(written)
        : written.kind === 'AlertProvider'
          ? unusableAlertProvider(written)
          : acceptedButInvalid(written);
    if (invalid) return { kind: 'accepted-but-invalid', detail: invalid };
  }
  return undefined;
}

/** Why the controller could not use a MetricTemplate convert wrote (its Secret assumed right). */
function unusableTemplate(template: Record<string, unknown>): string | undefined {
  const metadata = (template.metadata ?? {}) as { name?: string; namespace?: string };
  const ref = { namespace: metadata.namespace ?? 'default', name: metadata.name ?? '' };
  const secret = { data: { token: Buffer.from('token').toString('base64') } };
  const source = templateSource(ref, template as unknown as MetricTemplate, secret);
  return source.ok
    ? undefined
    : `the MetricTemplate it wrote is unusable: ${source.problem.message.slice(0, 160)}`;
}

/** Why the controller could not post to an AlertProvider convert wrote (its Secret assumed right). */
function unusableAlertProvider(provider: Record<string, unknown>): string | undefined {
  const metadata = (provider.metadata ?? {}) as { name?: string; namespace?: string };
  const ref = { namespace: metadata.namespace ?? 'default', name: metadata.name ?? '' };
  const secret = { data: { address: Buffer.from('https://hooks.example/x').toString('base64') } };
  const target = alertTarget(ref, provider as unknown as AlertProvider, secret);
  return target.ok
    ? undefined
    : `the AlertProvider it wrote is unusable: ${target.problem.message.slice(0, 160)}`;
}

function acceptedButInvalid(rollout: Record<string, unknown>): string | undefined {
  const validation = validateRollout(rollout);
  if (!validation.ok) return `the Rollout it wrote is invalid: ${validation.problems[0]?.path}`;
  const refusal = rolloutRefusal(validation.rollout);
  if (refusal) return refusal;
  for (const [i, webhook] of (validation.rollout.spec.analysis.webhooks ?? []).entries()) {
    if (webhook.metadata?.type !== 'autocannon') continue;
    const load = parseLoadMetadata(webhook.metadata);
    if (!load.ok) {
      return `webhooks[${i}] asks the loadtester for load it refuses: ${load.problem.field} ${load.problem.message.slice(0, 120)}`;
    }
  }
  return undefined;
}

/**
 * Most published Canaries are for other meshes or are A/B tests, which convert refuses at
 * once; near-valid cases start from the same Canary on Linkerd with weighted steps (and a
 * stepWeightPromotion, which no published Canary sets below 100), so that what convert accepts
 * is put to the oracle too.
 */
function linkerdised(canary: Json): Json {
  const copy = structuredClone(canary) as { spec?: Record<string, Json> };
  const spec = copy.spec ?? {};
  spec.provider = 'linkerd';
  const analysis = (spec.analysis ?? spec.canaryAnalysis) as Record<string, Json> | undefined;
  if (
    analysis &&
    typeof analysis === 'object' &&
    analysis.stepWeight === undefined &&
    analysis.stepWeights === undefined
  ) {
    delete analysis.iterations;
    analysis.stepWeight = 10;
    analysis.maxWeight = 50;
  }
  if (analysis && typeof analysis === 'object' && analysis.stepWeightPromotion === undefined) {
    analysis.stepWeightPromotion = 20;
  }
  return copy as Json;
}

let seedsCache: { seeds: FlaggerSeeds; vocabulary: Vocabulary } | undefined;

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

export const converterTarget: SyncTarget = {
  name: 'converter',
  defaultCount: 1_000,
  runCase(seed, index): CaseResult {
    seedsCache ??= (() => {
      const seeds = flaggerSeeds();
      return { seeds, vocabulary: vocabularyFrom(seeds) };
    })();
    const { seeds, vocabulary } = seedsCache;
    const rng = Random.forCase(seed, 'converter', index);
    const nearValid = rng.chance(0.5);
    const seedCanary = nearValid ? linkerdised(rng.pick(seeds.canaries)) : rng.pick(seeds.canaries);
    const { value, mutations } = nearValid
      ? substitute(rng, seedCanary, vocabulary, 1)
      : mutate(rng, seedCanary, vocabulary, 5);
    let text = documentText(rng, value);
    if (!nearValid && rng.chance(0.12)) {
      const damage = damageText(rng, text);
      text = damage.text;
      mutations.push(damage.what);
    }
    const sources = [{ name: 'canary.yaml', text }];
    if (rng.chance(0.5)) {
      sources.push({
        name: 'templates.yaml',
        text: seeds.templates.map((t) => stringify(t)).join('---\n'),
      });
    }
    const about = `after ${mutations.join('; ')}`;
    let converted: ConvertedFiles;
    try {
      converted = convertFlaggerFiles(sources, {
        loadtesterUrl: 'http://fledge-loadtester.fledge-system/',
      });
    } catch (error) {
      return { finding: { kind: 'crash', detail: `${errorText(error)} ${about}` } };
    }
    let finding: Finding | undefined;
    try {
      finding = outputProblem(converted, sources);
    } catch (error) {
      finding = {
        kind: 'accepted-but-invalid',
        detail: `its output cannot be checked: ${errorText(error)}`,
      };
    }
    const accepted = converted.yaml !== '';
    return finding
      ? { finding: { ...finding, detail: `${finding.detail} ${about}` }, accepted }
      : { accepted };
  },
};
