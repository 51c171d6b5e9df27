import { describe, expect, it } from 'vitest';
import { convertCanary } from '../../../src/convert/canary.js';
import { convertFlaggerFiles } from '../../../src/convert/convert-files.js';
import { MAX_SOURCE_BYTES, readFlaggerInput } from '../../../src/convert/documents.js';
import type { FlaggerCanary } from '../../../src/convert/flagger-types.js';
import { convertOptions, minimalCanary } from '../../support/flagger-canary.js';

function problemsOf(input: unknown) {
  const result = convertCanary(input as FlaggerCanary, [], convertOptions);
  return result.ok ? [] : result.problems;
}

describe('a malformed Canary is reported at its field, never as an internal error', () => {
  it.each([
    ['metrics that are no list', { metrics: 0 }, 'spec.analysis.metrics', /must be a list; got 0/],
    [
      'a query that is no string',
      { metrics: [{ name: 'x', query: 5, thresholdRange: { max: 1 } }] },
      'spec.analysis.metrics[0].query',
      /must be a string; got 5/,
    ],
    [
      'a webhook that is null',
      { webhooks: [null] },
      'spec.analysis.webhooks[0]',
      /must be a map; got null/,
    ],
    [
      'webhook metadata that is a list',
      { webhooks: [{ name: 'a', url: 'http://x/', metadata: ['a'] }] },
      'spec.analysis.webhooks[0].metadata',
      /must be a map/,
    ],
    [
      'stepWeights of words',
      { stepWeight: undefined, stepWeights: ['a'] },
      'spec.analysis.stepWeights[0]',
      /must be a whole number/,
    ],
  ])('%s', (_case, analysis, path, message) => {
    expect(problemsOf(minimalCanary(analysis))).toEqual([
      { path, message: expect.stringMatching(message) },
    ]);
  });

  it('reports a spec that is null, where reading it threw', () => {
    expect(problemsOf({ ...minimalCanary(), spec: null })).toEqual([
      { path: 'spec', message: 'must be a map; got null' },
    ]);
  });

  it('reports a Canary without metadata', () => {
    expect(problemsOf({ ...minimalCanary(), metadata: undefined })).toEqual([
      { path: 'metadata', message: 'is required' },
    ]);
  });

  it.each([
    ['an analysis interval that is no duration', { interval: 'forever' }, 'spec.analysis.interval'],
    [
      'a webhook url that is no URL',
      { webhooks: [{ name: 'a', url: 'not a url' }] },
      'spec.analysis.webhooks[0].url',
    ],
    [
      'a webhook type Flagger does not have',
      { webhooks: [{ name: 'a', type: 'cmd', url: 'http://x/' }] },
      'spec.analysis.webhooks[0].type',
    ],
    [
      'a webhook timeout that is no duration',
      { webhooks: [{ name: 'a', url: 'http://x/', timeout: 'soon' }] },
      'spec.analysis.webhooks[0].timeout',
    ],
    [
      'a metric interval that is no duration',
      { metrics: [{ name: 'request-duration', thresholdRange: { max: 5 }, interval: '1x' }] },
      'spec.analysis.metrics[0].interval',
    ],
    ['a duration too long to count', { interval: `${'9'.repeat(400)}h` }, 'spec.analysis.interval'],
  ])('refuses %s, where it was dropped or threw', (_case, analysis, path) => {
    expect(problemsOf(minimalCanary(analysis)).map((p) => p.path)).toEqual([path]);
  });

  it('names the Canary field when the Rollout it becomes is refused, past dropped metrics', () => {
    const problems = problemsOf(
      minimalCanary({
        metrics: [
          { name: 'no-query', thresholdRange: { max: 1 } },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '48h' },
        ],
      }),
    );
    expect(problems).toEqual([
      {
        path: 'spec.analysis.metrics[1].interval',
        message: expect.stringMatching(
          /^48h is longer than the maximum of 24h.* in the Rollout it becomes \(spec\.analysis\.metrics\[0\]\.interval\)/,
        ),
      },
    ]);
  });

  it('names the target when the Service name it gives is too long for -primary', () => {
    const problems = problemsOf(
      minimalCanary({}, { targetRef: { kind: 'Deployment', name: 'a'.repeat(60) } }),
    );
    expect(problems.map((p) => p.path)).toEqual(['spec.targetRef.name']);
  });

  it('refuses a namespace that is no namespace name', () => {
    const input = minimalCanary();
    (input.metadata as { namespace: string }).namespace = 'My.NS';
    expect(problemsOf(input).map((p) => p.path)).toEqual(['metadata.namespace']);
  });

  it('refuses autocannon load the loadtester would refuse, at its metadata field', () => {
    const problems = problemsOf(
      minimalCanary({
        webhooks: [
          {
            name: 'load',
            url: 'http://x/',
            metadata: { type: 'autocannon', url: 'http://a.b/', rps: '20000' },
          },
        ],
      }),
    );
    expect(problems).toEqual([
      {
        path: 'spec.analysis.webhooks[0].metadata.rps',
        message: expect.stringMatching(
          /^the loadtester would refuse this load: "20000" must be a whole number from 1 to 10000/,
        ),
      },
    ]);
  });
});

describe('reading the files never throws', () => {
  const read = (text: string) => readFlaggerInput([{ name: 'in.yaml', text }]);

  it('reports a List with holes at each item that is no object', () => {
    const input = read(
      'apiVersion: v1\nkind: List\nitems: [null, 5, "x", {apiVersion: v1, kind: Service, metadata: {name: s}}]\n',
    );
    expect(input.problems).toEqual([
      { path: 'in.yaml, items[1]', message: 'is number, not a Kubernetes object' },
      { path: 'in.yaml, items[2]', message: 'is a string, not a Kubernetes object' },
    ]);
    expect(input.ignored).toEqual(['Service s']);
  });

  it('reports an alias bomb, where reading it threw', () => {
    const bomb =
      'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    expect(read(bomb).problems).toEqual([
      {
        path: 'in.yaml',
        message: expect.stringMatching(/^cannot be read: .*YAML aliases past the reader's limit/),
      },
    ]);
  });

  it('reports 20,000 nested lists, in YAML and in JSON', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(read(`a: ${deep}\n`).problems).toEqual([
      { path: 'in.yaml:1', message: expect.stringMatching(/^it nests too deeply to be read/) },
    ]);
    expect(read(`{"spec": ${deep}}`).problems).toEqual([
      { path: 'in.yaml: spec[0][0][0][0][0][0][0]', message: 'nests more than 32 levels deep' },
    ]);
  });

  it('refuses a file larger than it reads', () => {
    expect(read(`# ${'x'.repeat(MAX_SOURCE_BYTES)}\n`).problems).toEqual([
      { path: 'in.yaml', message: expect.stringMatching(/^is larger than 2 MiB/) },
    ]);
  });
});

describe('convertFlaggerFiles, what fledge convert runs', () => {
  it('fails, naming the file, when a file cannot be read, and still converts the others', () => {
    const good = JSON.stringify(minimalCanary());
    const result = convertFlaggerFiles(
      [
        { name: 'bad.yaml', text: 'a: [\n' },
        { name: 'good.json', text: good },
      ],
      convertOptions,
    );
    expect(result.failed).toBe(1);
    expect(result.canaries).toBe(1);
    expect(result.yaml).toContain('kind: Rollout');
    expect(result.messages.filter((m) => m.startsWith('bad.yaml'))).toEqual([
      expect.stringMatching(/^bad\.yaml:\d+: cannot be read: not valid YAML/),
    ]);
  });

  it('lists each problem of a refused Canary on its own line, with the field', () => {
    const result = convertFlaggerFiles(
      [{ name: 'c.json', text: JSON.stringify(minimalCanary({ metrics: 'x', webhooks: 5 })) }],
      convertOptions,
    );
    expect(result.failed).toBe(1);
    expect(result.messages).toEqual([
      'Canary shop/web: cannot be converted: spec.analysis.metrics: must be a list; got "x"',
      'Canary shop/web: cannot be converted: spec.analysis.webhooks: must be a list; got 5',
    ]);
  });
});
