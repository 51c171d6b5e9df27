import { describe, expect, it } from 'vitest';
import { type CanaryConversion, convertCanary } from '../../../src/convert/canary.js';
import { convertOptions, flaggerCanary, validConversion } from '../../support/flagger-canary.js';

/**
 * Flagger's deployment strategies (docs.flagger.app/usage/deployment-strategies), converted:
 * the analysis blocks are the documentation's examples; the rest of each Canary is the least a
 * Canary needs.
 */

function canary(analysis: Record<string, unknown>, provider: string | null = 'gatewayapi:v1') {
  return flaggerCanary('podinfo', 'test', {
    ...(provider !== null ? { provider } : {}),
    service: { port: 9898 },
    analysis,
  });
}

const analysisOf = (result: CanaryConversion & { ok: true }) =>
  (result.rollout.spec as { analysis: Record<string, unknown> }).analysis;

const routingOf = (result: CanaryConversion & { ok: true }) =>
  (result.rollout.spec as { routing: Record<string, unknown> }).routing;

/** The documentation's A/B example: Istio's, which Flagger's Gateway API router takes as it is. */
const abTesting = {
  interval: '1m',
  iterations: 10,
  threshold: 2,
  match: [
    { headers: { 'x-canary': { regex: '.*insider.*' } } },
    { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
  ],
};

describe('A/B testing: iterations with match', () => {
  it("converts the documentation's example: the header regex as it is, the cookie regex as a cookie", () => {
    const result = validConversion(canary(abTesting));
    expect(analysisOf(result)).toEqual({
      interval: '1m',
      threshold: 2,
      iterations: 10,
      match: [
        { headers: { 'x-canary': { regex: '.*insider.*' } } },
        { cookies: { canary: { exact: 'always' } } },
      ],
    });
    expect(result.notes).toContainEqual({
      path: 'spec.analysis.match[1].headers.cookie.regex',
      kind: 'changed',
      message: expect.stringMatching(/cookies: \{canary: \{exact: always\}\}/),
    });
  });

  it("writes Contour's prefix and a suffix as Linkerd regular expressions of the whole value, escaped", () => {
    const result = validConversion(
      canary({
        interval: '1m',
        threshold: 10,
        iterations: 2,
        match: [
          { headers: { 'user-agent': { prefix: 'Chrome' } } },
          { headers: { 'x-version': { suffix: 'v1.2+' } } },
        ],
      }),
    );
    expect(analysisOf(result).match).toEqual([
      { headers: { 'user-agent': { regex: 'Chrome.*' } } },
      { headers: { 'x-version': { regex: '.*v1\\.2\\+' } } },
    ]);
    expect(result.notes.map((note) => note.path)).toEqual([
      'spec.analysis.match[0].headers.user-agent.prefix',
      'spec.analysis.match[1].headers.x-version.suffix',
    ]);
  });

  it('keeps an exact header match, and a cookie regex of another form as a header regex', () => {
    const result = validConversion(
      canary({
        iterations: 5,
        match: [
          {
            headers: {
              'x-canary': { exact: 'insider' },
              cookie: { regex: '.*beta=yes.*' },
            },
          },
        ],
      }),
    );
    expect(analysisOf(result).match).toEqual([
      { headers: { 'x-canary': { exact: 'insider' }, cookie: { regex: '.*beta=yes.*' } } },
    ]);
  });

  it('leaves out stepWeight and maxWeight, which Flagger ignores with iterations, saying so', () => {
    const result = validConversion(canary({ ...abTesting, stepWeight: 10, maxWeight: 50 }));
    expect(analysisOf(result)).not.toHaveProperty('stepWeight');
    expect(analysisOf(result)).not.toHaveProperty('maxWeight');
    expect(result.notes).toEqual(
      expect.arrayContaining([
        {
          path: 'spec.analysis.stepWeight',
          kind: 'dropped',
          message: 'Flagger ignores it with iterations: this Canary is A/B testing (match)',
        },
        expect.objectContaining({ path: 'spec.analysis.maxWeight', kind: 'dropped' }),
      ]),
    );
  });

  it('routes by HTTPRoute when the Canary names no provider, and says why', () => {
    const result = validConversion(canary(abTesting, null));
    expect(routingOf(result)).toEqual({
      provider: 'gateway-api',
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
    });
    expect(result.notes).toContainEqual(
      expect.objectContaining({
        path: 'spec.provider',
        message: expect.stringMatching(/analysis\.match imply gatewayapi:v1beta1/),
      }),
    );
  });

  it('refuses it on an SMI TrafficSplit, which cannot match requests', () => {
    expect(convertCanary(canary(abTesting, 'linkerd'), [], convertOptions)).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'spec.provider',
          message: expect.stringMatching(
            /is linkerd, an SMI TrafficSplit.*spec\.analysis\.match needs Linkerd's HTTPRoute.*gatewayapi:v1/,
          ),
        },
      ],
    });
  });

  it("refuses what fledge's match cannot say, at the field, with where it can go instead", () => {
    const result = convertCanary(
      canary({
        iterations: 10,
        match: [
          { headers: { 'x-canary': { exact: 'insider' } }, uri: { prefix: '/api' } },
          { sourceLabels: { app: 'frontend' } },
          { headers: { 'x-both': { exact: 'a', regex: 'b' } } },
        ],
      }),
      [],
      convertOptions,
    );
    expect(result).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'spec.analysis.match[0].uri',
          message: expect.stringMatching(/HTTPRoute matches uri in a rule of your own route/),
        },
        {
          path: 'spec.analysis.match[1].sourceLabels',
          message: expect.stringMatching(/is Istio's.*remove it/),
        },
        {
          path: 'spec.analysis.match[2].headers.x-both',
          message: expect.stringMatching(/sets exact and regex/),
        },
      ],
    });
  });

  it("refuses a regular expression Linkerd's proxy would not take, at the Canary's field", () => {
    const result = convertCanary(
      canary({ iterations: 10, match: [{ headers: { 'x-canary': { regex: 'a(?=b)' } } }] }),
      [],
      convertOptions,
    );
    expect(result).toMatchObject({
      ok: false,
      problems: [{ path: 'spec.analysis.match[0].headers.x-canary.regex' }],
    });
  });

  it('refuses match on a weighted canary, which Flagger limits to the requests that match', () => {
    const result = convertCanary(
      canary({ stepWeight: 10, maxWeight: 50, match: abTesting.match }),
      [],
      convertOptions,
    );
    expect(result).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'spec.analysis.match',
          message: expect.stringMatching(/needs iterations.*remove match.*or replace stepWeight/),
        },
      ],
    });
  });
});

describe('blue/green: iterations without match', () => {
  /** The documentation's blue/green example. */
  const blueGreen = { interval: '1m', iterations: 10, threshold: 2 };

  it('converts on any provider: it only sets weights 0 and 100', () => {
    for (const provider of ['linkerd', 'gatewayapi:v1']) {
      const result = validConversion(canary(blueGreen, provider));
      expect(analysisOf(result)).toEqual({ interval: '1m', threshold: 2, iterations: 10 });
      expect(result.notes).toEqual([]);
    }
  });

  it('leaves out mirroring, which Linkerd cannot do, and says what the run does instead', () => {
    const result = validConversion(canary({ ...blueGreen, mirror: true, mirrorWeight: 100 }));
    expect(analysisOf(result)).toEqual({ interval: '1m', threshold: 2, iterations: 10 });
    expect(result.notes).toEqual([
      {
        path: 'spec.analysis.mirror',
        kind: 'dropped',
        message: expect.stringMatching(/no RequestMirror filter.*judged on the load tests/),
      },
      expect.objectContaining({ path: 'spec.analysis.mirrorWeight', kind: 'dropped' }),
    ]);
  });

  it('leaves out session affinity, which has nobody to keep before the switch', () => {
    const result = validConversion(canary({ ...blueGreen, sessionAffinity: { cookieName: 'c' } }));
    expect(analysisOf(result)).not.toHaveProperty('sessionAffinity');
    expect(result.notes).toContainEqual(
      expect.objectContaining({ path: 'spec.analysis.sessionAffinity', kind: 'dropped' }),
    );
  });
});

describe('session affinity on a weighted canary', () => {
  /** The documentation's session affinity example. */
  const sticky = {
    interval: '1m',
    threshold: 10,
    maxWeight: 50,
    stepWeight: 2,
    sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 21600 },
  };

  it("converts the documentation's example field by field", () => {
    const result = validConversion(canary(sticky));
    expect(analysisOf(result)).toEqual({
      interval: '1m',
      threshold: 10,
      stepWeight: 2,
      maxWeight: 50,
      sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 21600 },
    });
    expect(result.notes).toEqual([]);
  });

  it("leaves maxAge to fledge's default, Flagger's one day, when the Canary has none", () => {
    const result = validConversion(canary({ ...sticky, sessionAffinity: { cookieName: 'c' } }));
    expect(analysisOf(result).sessionAffinity).toEqual({ cookieName: 'c' });
  });

  it('leaves out primaryCookieName, saying that users on the primary are not kept there', () => {
    const result = validConversion(
      canary({
        ...sticky,
        sessionAffinity: { cookieName: 'canary-cookie', primaryCookieName: 'primary-cookie' },
      }),
    );
    expect(result.notes).toEqual([
      {
        path: 'spec.analysis.sessionAffinity.primaryCookieName',
        kind: 'dropped',
        message: expect.stringMatching(/a user on the primary may reach the canary/),
      },
    ]);
  });

  it('refuses it on an SMI TrafficSplit', () => {
    expect(convertCanary(canary(sticky, 'smi'), [], convertOptions)).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'spec.provider',
          message: expect.stringMatching(
            /spec\.analysis\.sessionAffinity needs Linkerd's HTTPRoute/,
          ),
        },
      ],
    });
  });

  it("refuses a cookie name that is not a token, at the Canary's field", () => {
    const result = convertCanary(
      canary({ ...sticky, sessionAffinity: { cookieName: 'my cookie' } }),
      [],
      convertOptions,
    );
    expect(result).toMatchObject({
      ok: false,
      problems: [{ path: 'spec.analysis.sessionAffinity.cookieName' }],
    });
  });
});

describe('stepWeightPromotion', () => {
  /** The documentation's canary release example (deployment-strategies.md), with a step below 100. */
  const canaryRelease = {
    interval: '1m',
    threshold: 10,
    maxWeight: 50,
    stepWeight: 2,
    stepWeightPromotion: 20,
  };
  const blueGreen = { interval: '1m', iterations: 10, threshold: 2, stepWeightPromotion: 25 };

  it.each([
    ['a weighted canary', canaryRelease, 20],
    ['blue/green', blueGreen, 25],
    [
      'a weighted canary with the documented default',
      { ...canaryRelease, stepWeightPromotion: 100 },
      100,
    ],
  ])('keeps it on %s, without a note', (_, analysis, step) => {
    const result = validConversion(canary(analysis));
    expect(analysisOf(result).stepWeightPromotion).toBe(step);
    expect(result.notes).toEqual([]);
  });

  it("writes nothing for Flagger's 0, which means all at once", () => {
    const result = validConversion(canary({ ...canaryRelease, stepWeightPromotion: 0 }));
    expect(analysisOf(result)).not.toHaveProperty('stepWeightPromotion');
    expect(result.notes).toEqual([]);
  });

  it.each([
    [
      150,
      /150 is no step from 1 to 100.*at once after promotion, as Flagger does with a step past 100/,
    ],
    [-10, /-10 is no step from 1 to 100.*at once after promotion$/],
  ])('leaves out a step of %d, saying what fledge does', (step, message) => {
    const result = validConversion(canary({ ...canaryRelease, stepWeightPromotion: step }));
    expect(analysisOf(result)).not.toHaveProperty('stepWeightPromotion');
    expect(result.notes).toEqual([
      {
        path: 'spec.analysis.stepWeightPromotion',
        kind: 'dropped',
        message: expect.stringMatching(message),
      },
    ]);
  });

  it('leaves it out of A/B testing, whose canary has no weight to move back', () => {
    const result = validConversion(canary({ ...abTesting, stepWeightPromotion: 20 }));
    expect(analysisOf(result)).not.toHaveProperty('stepWeightPromotion');
    expect(result.notes).toContainEqual({
      path: 'spec.analysis.stepWeightPromotion',
      kind: 'dropped',
      message: expect.stringMatching(/A\/B testing keeps the canary's weight at 0/),
    });
  });
});
