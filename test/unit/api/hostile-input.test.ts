import { describe, expect, it } from 'vitest';
import { MAX_BYTES, MAX_DEPTH } from '../../../src/api/input-bounds.js';
import { describeValue } from '../../../src/api/problems.js';
import { validateRollout } from '../../../src/api/validate.js';
import { backendRollout, problemsOf, workloadRollout } from './fixtures.js';

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('validation of hostile input never throws', () => {
  it('refuses 20,000 levels of nesting with a problem on the field, where a copy overflowed the stack', () => {
    const problems = problemsOf(workloadRollout({ 'spec.analysis': nested(20_000) }));
    expect(problems).toEqual([
      {
        path: 'spec.analysis[0][0][0][0][0][0]',
        message: `nests more than ${MAX_DEPTH} levels deep`,
        fix: expect.stringMatching(/remove the nesting/),
      },
    ]);
  });

  it('accepts metadata as deep as the API server writes it (managedFields)', () => {
    const managed = {
      'f:spec': {
        'f:analysis': {
          'f:webhooks': { 'k:{"name":"x"}': { '.': {}, 'f:metadata': { 'f:type': {} } } },
        },
      },
    };
    const rollout = workloadRollout({
      'metadata.managedFields': [{ manager: 'kubectl', fieldsV1: managed }],
    });
    expect(problemsOf(rollout)).toEqual([]);
  });

  it('refuses a Rollout larger than etcd stores, at the value that makes it so', () => {
    const query = `sum(x{a="${'a'.repeat(MAX_BYTES)}"})`;
    const [problem] = problemsOf(workloadRollout({ 'spec.analysis.metrics.2.query': query }));
    expect(problem).toMatchObject({
      path: 'spec.analysis.metrics[2].query',
      message: 'makes the Rollout larger than 1.5 MiB, the most the API server stores',
    });
  });

  it('refuses 5,000 copies of one metric by the list limit', () => {
    const rollout = workloadRollout();
    const analysis = (rollout.spec as { analysis: { metrics: unknown[] } }).analysis;
    analysis.metrics = Array.from({ length: 5_000 }, () => analysis.metrics[0]);
    const problems = problemsOf(rollout);
    expect(problems[0]).toMatchObject({
      path: 'spec.analysis.metrics',
      message: 'has more than 32 items',
    });
  });

  it.each([
    ['a function', () => 1],
    ['NaN', Number.NaN],
    ['a Date', new Date(0)],
  ])('refuses %s, which JSON cannot hold, on its field, where a copy threw', (_what, value) => {
    const [problem] = problemsOf(workloadRollout({ 'spec.suspend': value }));
    expect(problem?.path).toBe('spec.suspend');
    expect(problem?.message).toMatch(/which JSON cannot hold/);
  });

  it.each([null, 'a string', ['a', 'list'], 42])(
    'names kind, as the API server does, when the document %j is no object',
    (document) => {
      expect(problemsOf(document)).toEqual([
        {
          path: 'kind',
          message: expect.stringMatching(/^is missing: the document is .*, not a Rollout object$/),
          fix: 'write a Rollout: a map with apiVersion: fledge.dev/v1alpha1, kind: Rollout, metadata and spec',
        },
      ]);
    },
  );

  it('quotes any value in at most 40 characters, without reading all of it', () => {
    expect(describeValue('x'.repeat(10_000_000))).toBe(`"${'x'.repeat(36)}...`);
    expect(describeValue(nested(100_000))).toBe(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[...`);
    expect(describeValue(10n)).toBe('(a bigint)');
    expect(describeValue({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
  });
});

describe('query placeholders', () => {
  it.each([
    ['{{ foo }}', /uses \{\{ foo \}\}, which fledge does not fill in/],
    ['{{ variables.direction }}', /uses \{\{ variables\.direction \}\}/],
    ['{{ namespace', /has a "\{\{" that is not closed/],
  ])('refuses %s, which failed at every analysis', (placeholder, message) => {
    const query = `sum(rate(x{a="${placeholder}"}[{{ interval }}]))`;
    const [problem] = problemsOf(workloadRollout({ 'spec.analysis.metrics.2.query': query }));
    expect(problem?.path).toBe('spec.analysis.metrics[2].query');
    expect(problem?.message).toMatch(message);
  });

  it('accepts every placeholder fledge fills in, with or without spaces', () => {
    const query = 'x{a="{{namespace}}",b="{{ target }}",c="{{  service }}"}[{{interval}}]';
    expect(problemsOf(workloadRollout({ 'spec.analysis.metrics.2.query': query }))).toEqual([]);
  });
});

describe('names of the objects fledge creates', () => {
  it('refuses a Rollout name with a dot when it also names the apex Service, and suggests one', () => {
    const problems = problemsOf(
      workloadRollout({ 'metadata.name': 'my.app', 'spec.service.name': undefined }),
    );
    expect(problems).toEqual([
      {
        path: 'metadata.name',
        message: expect.stringMatching(/"my\.app" cannot name the apex Service/),
        fix: 'set spec.service.name to a Service name such as my-app',
      },
    ]);
  });

  it('accepts that Rollout name once spec.service.name names the Service', () => {
    expect(problemsOf(workloadRollout({ 'metadata.name': 'my.app' }))).toEqual([]);
  });

  it('refuses a Rollout name past 63 characters, which the released-from label cannot hold', () => {
    const [problem] = problemsOf(workloadRollout({ 'metadata.name': 'a'.repeat(64) }));
    expect(problem).toMatchObject({
      path: 'metadata.name',
      message: 'is longer than 63 characters',
    });
    expect(problem?.fix).toMatch(/fledge\.dev\/released-from/);
  });

  it('refuses a Rollout name that is no object name at all', () => {
    const [problem] = problemsOf(workloadRollout({ 'metadata.name': 'My_App' }));
    expect(problem).toMatchObject({
      path: 'metadata.name',
      message: expect.stringMatching(/^is not a valid object name/),
    });
  });

  it('refuses a target too long for its -primary Deployment', () => {
    const [problem] = problemsOf(workloadRollout({ 'spec.targetRef.name': 'a'.repeat(246) }));
    expect(problem).toMatchObject({
      path: 'spec.targetRef.name',
      message: 'is longer than 245 characters',
    });
    expect(problem?.fix).toMatch(/<name>-primary/);
  });

  it('refuses a multicluster mirror name past 63 characters, on the cluster', () => {
    const problems = problemsOf(
      backendRollout({
        'spec.backends.canary': { service: 'a'.repeat(40), cluster: 'b'.repeat(23) },
      }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'spec.backends.canary.cluster',
        message: expect.stringMatching(/makes the mirror Service a+-b+ 64 characters long/),
      }),
    ]);
    expect(
      problemsOf(
        backendRollout({
          'spec.backends.canary': { service: 'a'.repeat(40), cluster: 'b'.repeat(22) },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses a namespace that is no namespace name', () => {
    const [problem] = problemsOf(workloadRollout({ 'metadata.namespace': 'My.NS' }));
    expect(problem?.path).toBe('metadata.namespace');
  });
});

describe('bounds of durations and counts', () => {
  it.each([
    ['spec.analysis.webhooks.0.timeout', '1h', '1h1s', '1h'],
    ['spec.analysis.metrics.0.interval', '24h', '24h1s', '24h'],
    ['spec.analysis.interval', '168h', '169h', '168h (7 days)'],
  ])('accepts %s of %s and refuses %s', (path, longest, tooLong, maximum) => {
    expect(problemsOf(workloadRollout({ [path]: longest }))).toEqual([]);
    const [problem] = problemsOf(workloadRollout({ [path]: tooLong }));
    expect(problem).toMatchObject({
      path: path.replace(/\.(\d+)\./, '[$1].'),
      message: expect.stringContaining(`${tooLong} is longer than the maximum of ${maximum}`),
    });
  });

  it('refuses a webhook timeout past what a Node timer holds, which threw in the timer', () => {
    const [problem] = problemsOf(
      workloadRollout({ 'spec.analysis.webhooks.0.timeout': '2147484s' }),
    );
    expect(problem?.path).toBe('spec.analysis.webhooks[0].timeout');
  });

  it('refuses a duration of absurdly many digits by its length', () => {
    const [problem] = problemsOf(
      workloadRollout({ 'spec.analysis.interval': `${'9'.repeat(40)}s` }),
    );
    expect(problem).toMatchObject({
      path: 'spec.analysis.interval',
      message: 'is longer than 20 characters',
    });
  });

  it('returns a Rollout whose every duration is a timer Node can run', () => {
    const result = validateRollout(workloadRollout({ 'spec.analysis.webhooks.0.timeout': '1h' }));
    expect(result.ok).toBe(true);
  });
});
