import { describe, expect, it } from 'vitest';
import {
  compileLinkerdRegex,
  escapeRegex,
  linkerdRegexProblem,
  matchesWhole,
} from '../../../src/api/linkerd-regex.js';
import { planFromSpec } from '../../../src/api/plan.js';
import { backendRollout, problemsOf, validated, workloadRollout } from './fixtures.js';

const gatewayApi = { provider: 'gateway-api' };

const abTest = (changes: Record<string, unknown> = {}) =>
  workloadRollout({
    'spec.routing': gatewayApi,
    'spec.analysis.stepWeight': undefined,
    'spec.analysis.maxWeight': undefined,
    'spec.analysis.iterations': 5,
    'spec.analysis.match': [
      { headers: { 'x-canary': { exact: 'insider' } } },
      {
        headers: { 'user-agent': { regex: '.*Firefox.*' } },
        cookies: { canary: { exact: 'always' } },
      },
    ],
    ...changes,
  });

describe('the strategies a spec expresses', () => {
  it('plans A/B testing from iterations with match', () => {
    const rollout = validated(abTest());
    expect(planFromSpec(rollout.spec)).toMatchObject({
      strategy: 'abTesting',
      weights: [],
      iterations: 5,
      pinsRequests: true,
    });
  });

  it('plans blue/green from iterations without match, on any provider', () => {
    const rollout = validated(
      workloadRollout({
        'spec.analysis.stepWeight': undefined,
        'spec.analysis.maxWeight': undefined,
        'spec.analysis.iterations': 3,
      }),
    );
    expect(planFromSpec(rollout.spec)).toMatchObject({
      strategy: 'blueGreen',
      weights: [100],
      iterations: 3,
      pinsRequests: false,
    });
  });

  it.each([
    ['a weighted canary', workloadRollout({ 'spec.analysis.stepWeightPromotion': 25 })],
    [
      'blue/green',
      workloadRollout({
        'spec.analysis.stepWeight': undefined,
        'spec.analysis.maxWeight': undefined,
        'spec.analysis.iterations': 3,
        'spec.analysis.stepWeightPromotion': 25,
      }),
    ],
  ])('plans stepWeightPromotion as the promotion step of %s', (_, rollout) => {
    expect(planFromSpec(validated(rollout).spec).promotionStep).toBe(25);
  });

  it('plans no promotion step without stepWeightPromotion', () => {
    expect(planFromSpec(validated(workloadRollout()).spec)).not.toHaveProperty('promotionStep');
  });

  it('plans a weighted canary with session affinity, maxAge defaulting to a day', () => {
    const rollout = validated(
      workloadRollout({
        'spec.routing': gatewayApi,
        'spec.analysis.sessionAffinity': { cookieName: 'flagger-cookie' },
      }),
    );
    expect(rollout.spec.analysis.sessionAffinity).toEqual({
      cookieName: 'flagger-cookie',
      maxAge: 86400,
    });
    expect(planFromSpec(rollout.spec)).toMatchObject({
      strategy: 'canary',
      weights: [10, 20, 30, 40, 50],
      pinsRequests: true,
    });
  });

  it('accepts a GRPCRoute at gateway.networking.k8s.io/v1alpha2 with A/B testing', () => {
    expect(
      problemsOf(
        abTest({
          'spec.routing': {
            ...gatewayApi,
            kind: 'GRPCRoute',
            apiVersion: 'gateway.networking.k8s.io/v1alpha2',
          },
        }),
      ),
    ).toEqual([]);
  });
});

describe('the rules of the strategies', () => {
  it.each([
    [
      'match without iterations',
      workloadRollout({
        'spec.routing': gatewayApi,
        'spec.analysis.match': [{ headers: { 'x-canary': { exact: 'yes' } } }],
      }),
      'spec.analysis.match',
      /needs iterations/,
    ],
    ['match on SMI', abTest({ 'spec.routing': { provider: 'smi' } }), 'spec.analysis.match', /SMI/],
    [
      'an item with no condition',
      abTest({ 'spec.analysis.match': [{ headers: {} }] }),
      'spec.analysis.match[0]',
      /would match every request/,
    ],
    [
      'a header name that is no token',
      abTest({ 'spec.analysis.match': [{ headers: { 'x canary': { exact: 'a' } } }] }),
      'spec.analysis.match[0].headers.x canary',
      /is not a header name/,
    ],
    [
      'a header named twice',
      abTest({
        'spec.analysis.match': [
          { headers: { 'X-Canary': { exact: 'a' }, 'x-canary': { exact: 'b' } } },
        ],
      }),
      'spec.analysis.match[0].headers.x-canary',
      /case-insensitive/,
    ],
    [
      'a cookie header beside cookies',
      abTest({
        'spec.analysis.match': [
          { headers: { Cookie: { regex: '.*' } }, cookies: { canary: { exact: 'always' } } },
        ],
      }),
      'spec.analysis.match[0].headers.Cookie',
      /matches the Cookie header/,
    ],
    [
      'a look-ahead',
      abTest({ 'spec.analysis.match': [{ headers: { 'x-user': { regex: '(?!bot).*' } } }] }),
      'spec.analysis.match[0].headers.x-user.regex',
      /look-around/,
    ],
    [
      'a back-reference',
      abTest({ 'spec.analysis.match': [{ headers: { 'x-user': { regex: '(a)\\1' } } }] }),
      'spec.analysis.match[0].headers.x-user.regex',
      /back-references/,
    ],
    [
      'a pattern that does not compile',
      abTest({ 'spec.analysis.match': [{ headers: { 'x-user': { regex: '(unclosed' } } }] }),
      'spec.analysis.match[0].headers.x-user.regex',
      /is not a regular expression/,
    ],
    [
      'a line break in an exact value',
      abTest({ 'spec.analysis.match': [{ headers: { 'x-user': { exact: 'a\r\nb' } } }] }),
      'spec.analysis.match[0].headers.x-user.exact',
      /line break/,
    ],
    [
      'a semicolon in a cookie value',
      abTest({ 'spec.analysis.match': [{ cookies: { canary: { exact: 'a;b' } } }] }),
      'spec.analysis.match[0].cookies.canary.exact',
      /is not a cookie value/,
    ],
    [
      'session affinity with iterations',
      abTest({ 'spec.analysis.sessionAffinity': { cookieName: 'c' } }),
      'spec.analysis.sessionAffinity',
      /weighted canary/,
    ],
    [
      'session affinity on SMI',
      workloadRollout({ 'spec.analysis.sessionAffinity': { cookieName: 'c' } }),
      'spec.analysis.sessionAffinity',
      /needs an HTTPRoute/,
    ],
    [
      'session affinity on a GRPCRoute',
      workloadRollout({
        'spec.routing': { ...gatewayApi, kind: 'GRPCRoute' },
        'spec.analysis.sessionAffinity': { cookieName: 'c' },
      }),
      'spec.analysis.sessionAffinity',
      /needs an HTTPRoute/,
    ],
    [
      'a route kind on SMI',
      workloadRollout({ 'spec.routing': { provider: 'smi', kind: 'HTTPRoute' } }),
      'spec.routing.kind',
      /TrafficSplit/,
    ],
    [
      'a GRPCRoute at v1beta1',
      workloadRollout({
        'spec.routing': {
          ...gatewayApi,
          kind: 'GRPCRoute',
          apiVersion: 'gateway.networking.k8s.io/v1beta1',
        },
      }),
      'spec.routing.apiVersion',
      /Linkerd does not read GRPCRoute at gateway.networking.k8s.io\/v1beta1/,
    ],
    [
      'an HTTPRoute at v1alpha2',
      backendRollout({
        'spec.routing': { ...gatewayApi, apiVersion: 'gateway.networking.k8s.io/v1alpha2' },
      }),
      'spec.routing.apiVersion',
      /Linkerd does not read HTTPRoute/,
    ],
    [
      'maxWeight with iterations',
      abTest({ 'spec.analysis.maxWeight': 50 }),
      'spec.analysis.maxWeight',
      /no effect with iterations/,
    ],
    [
      'stepWeightPromotion with A/B testing',
      abTest({ 'spec.analysis.stepWeightPromotion': 20 }),
      'spec.analysis.stepWeightPromotion',
      /no effect with A\/B testing/,
    ],
  ])('refuses %s, naming the field', (_, rollout, path, message) => {
    const problems = problemsOf(rollout);
    expect(problems.map((problem) => problem.path)).toContain(path);
    const problem = problems.find((p) => p.path === path);
    expect(problem?.message).toMatch(message);
    expect(problem?.fix).not.toBe('');
  });

  it('refuses a header match with both exact and regex in the schema', () => {
    const problems = problemsOf(
      abTest({ 'spec.analysis.match': [{ headers: { 'x-a': { exact: 'a', regex: 'a' } } }] }),
    );
    expect(problems.map((problem) => problem.path)).toEqual(['spec.analysis.match[0].headers.x-a']);
  });
});

describe("Linkerd's regular expressions", () => {
  it.each([
    ['bar*', 'bar', true],
    ['bar*', 'barr', true],
    ['bar*', 'barro', false],
    ['bar', 'foobar', false],
    // The leftmost match is taken, then checked to span the value, as linkerd2-proxy does.
    ['a|ab', 'ab', false],
    ['(?i)firefox', 'FireFox', true],
    ['.*Firefox.*', 'Mozilla/5.0 Firefox/120', true],
  ])('%s matches %s as a whole: %s', (pattern, value, expected) => {
    expect(matchesWhole(compileLinkerdRegex(pattern), value)).toBe(expected);
  });

  it('escapes every meta character so that the text matches itself only', () => {
    const text = 'a.b*c+d?e(f)g|h[i]j{k}l^m$n#o&p~q-r\\s';
    expect(matchesWhole(compileLinkerdRegex(escapeRegex(text)), text)).toBe(true);
    expect(matchesWhole(compileLinkerdRegex(escapeRegex('a.b')), 'axb')).toBe(false);
  });

  it('takes what the Rust regex crate takes', () => {
    expect(linkerdRegexProblem('^(.*?;)?(canary=always)(;.*)?$')).toBeNull();
    expect(linkerdRegexProblem('(?<=a)b')).toMatch(/look-around/);
  });
});
