import { describe, expect, it } from 'vitest';
import { compileLinkerdRegex, matchesWhole } from '../../../src/api/linkerd-regex.js';
import { type Json, ruleFingerprint, sameSpec } from '../../../src/routing/gateway-normalize.js';
import {
  managedWeights,
  mergeRoute,
  RouteRulesError,
  releasedSpec,
  routedTarget,
} from '../../../src/routing/gateway-rules.js';
import type { RouteTarget, Traffic } from '../../../src/routing/router.js';
import {
  affinityCookieValue,
  cookiePattern,
  routeStrategyOf,
} from '../../../src/routing/strategy.js';

const target: RouteTarget = {
  namespace: 'production',
  name: 'api-service',
  apexService: 'api-service',
  port: 8080,
  stableService: 'api-service-primary',
  canaryService: 'api-service-canary',
};

const abTarget: RouteTarget = {
  ...target,
  strategy: { matches: [[{ name: 'x-canary', type: 'Exact', value: 'insider' }]] },
};

const affinityTarget: RouteTarget = {
  ...target,
  strategy: { matches: [], sessionAffinity: { cookieName: 'canary', maxAge: 600 } },
};

const at = (canaryWeight: number, pinned = false): Traffic => ({
  canaryWeight,
  pinned,
  revision: 'r2',
});

const cookie = affinityCookieValue('r2');

/** A route a user wrote: an extra rule, a header modifier, a timeout, a filter on a backend. */
const usersRoute = (): Json => ({
  parentRefs: [{ group: 'core', kind: 'Service', name: 'api-service', port: 8080 }],
  hostnames: ['api-service.production.svc.cluster.local'],
  rules: [
    {
      matches: [{ path: { type: 'PathPrefix', value: '/legacy' } }],
      backendRefs: [{ name: 'legacy-api', port: 8080 }],
    },
    {
      matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
      filters: [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x-team', value: 'payments' }] },
        },
      ],
      timeouts: { request: '5s' },
      backendRefs: [
        {
          name: 'api-service',
          port: 8080,
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { add: [{ name: 'x-via', value: 'mesh' }] },
            },
          ],
        },
      ],
    },
  ],
});

const rulesOf = (spec: Json) => spec.rules as Json[];

describe("merging fledge's traffic into a user's route", () => {
  it("keeps the user's rules, matches, filters, timeouts and fields, setting only backendRefs", () => {
    const { spec, added } = mergeRoute('HTTPRoute', target, at(30), usersRoute(), new Set());
    expect(added).toEqual([]);
    const user = usersRoute();
    expect(spec.hostnames).toEqual(user.hostnames);
    expect(spec.parentRefs).toEqual(user.parentRefs);
    expect(rulesOf(spec)[0]).toEqual(rulesOf(user)[0]);
    const { backendRefs, ...rest } = rulesOf(spec)[1] as Json;
    const { backendRefs: _before, ...userRest } = rulesOf(user)[1] as Json;
    expect(rest).toEqual(userRest);
    expect(backendRefs).toEqual([
      {
        kind: 'Service',
        name: 'api-service-primary',
        port: 8080,
        weight: 70,
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { add: [{ name: 'x-via', value: 'mesh' }] },
          },
        ],
      },
      { kind: 'Service', name: 'api-service-canary', port: 8080, weight: 30 },
    ]);
  });

  it('adds an apex parent to a route that lacks one, keeping the others', () => {
    const route = { ...usersRoute(), parentRefs: [{ name: 'edge-gateway' }] };
    const { spec } = mergeRoute('HTTPRoute', target, at(0), route, new Set());
    expect(spec.parentRefs).toEqual([
      { name: 'edge-gateway' },
      { group: 'core', kind: 'Service', name: 'api-service', port: 8080 },
    ]);
  });

  it('refuses a rule that also routes to another Service, naming the rule and the fix', () => {
    const route = usersRoute();
    (rulesOf(route)[1] as Json).backendRefs = [
      { name: 'api-service', port: 8080 },
      { name: 'experimental', port: 8080 },
    ];
    expect(() => mergeRoute('HTTPRoute', target, at(10), route, new Set())).toThrow(
      new RouteRulesError(
        'spec.rules[1] routes to api-service and to experimental: fledge cannot split a rule that also sends traffic elsewhere; move experimental into a rule of its own',
      ),
    );
  });

  it('reads the weights of the managed rules only', () => {
    const { spec } = mergeRoute('HTTPRoute', target, at(40), usersRoute(), new Set());
    expect(managedWeights('HTTPRoute', target, spec, new Set())).toEqual({
      stable: 60,
      canary: 40,
    });
  });
});

describe('A/B testing', () => {
  it("adds, first, one rule per managed rule: its matches with the test's headers, to the canary", () => {
    const { spec, added } = mergeRoute('HTTPRoute', abTarget, at(0, true), usersRoute(), new Set());
    const [ab, legacy, managed] = rulesOf(spec) as [Json, Json, Json];
    expect(ab).toEqual({
      matches: [
        {
          path: { type: 'PathPrefix', value: '/api' },
          headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }],
        },
      ],
      filters: managed.filters,
      timeouts: { request: '5s' },
      backendRefs: [{ kind: 'Service', name: 'api-service-canary', port: 8080, weight: 1 }],
    });
    expect(legacy).toEqual(rulesOf(usersRoute())[0]);
    expect(added).toEqual([ruleFingerprint('HTTPRoute', ab)]);
    expect(managedWeights('HTTPRoute', abTarget, spec, new Set(added))).toEqual({
      stable: 100,
      canary: 0,
    });
  });

  it('combines every match of the rule with every item of analysis.match, the test header winning', () => {
    const strategy = routeStrategyOf({
      interval: '1m',
      threshold: 1,
      maxWeight: 100,
      onFailure: 'rollback',
      onNoData: 'fail',
      iterations: 2,
      match: [
        { headers: { 'X-Canary': { exact: 'insider' } } },
        { cookies: { canary: { exact: 'always' } } },
      ],
    });
    const route = {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'api-service' }],
      rules: [
        {
          matches: [
            { path: { type: 'Exact', value: '/a' }, headers: [{ name: 'x-canary', value: 'no' }] },
            { method: 'POST' },
          ],
          backendRefs: [{ name: 'api-service-primary' }, { name: 'api-service-canary' }],
        },
      ],
    };
    const { spec } = mergeRoute(
      'HTTPRoute',
      { ...target, ...(strategy ? { strategy } : {}) },
      at(0, true),
      route,
      new Set(),
    );
    expect((rulesOf(spec)[0] as Json).matches).toEqual([
      {
        path: { type: 'Exact', value: '/a' },
        headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }],
      },
      {
        path: { type: 'Exact', value: '/a' },
        headers: [
          { name: 'x-canary', value: 'no' },
          { name: 'cookie', type: 'RegularExpression', value: cookiePattern('canary', 'always') },
        ],
      },
      {
        method: 'POST',
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }],
      },
      {
        method: 'POST',
        path: { type: 'PathPrefix', value: '/' },
        headers: [
          { name: 'cookie', type: 'RegularExpression', value: cookiePattern('canary', 'always') },
        ],
      },
    ]);
  });

  it('removes its rules when unpinned, leaving the user its own route', () => {
    const pinned = mergeRoute('HTTPRoute', abTarget, at(0, true), usersRoute(), new Set());
    const unpinned = mergeRoute('HTTPRoute', abTarget, at(0), pinned.spec, new Set(pinned.added));
    expect(unpinned.added).toEqual([]);
    expect(unpinned.spec).toEqual(
      mergeRoute('HTTPRoute', target, at(0), usersRoute(), new Set()).spec,
    );
  });

  it('writes the same spec again for the same traffic: no write loops through watches', () => {
    const first = mergeRoute('HTTPRoute', abTarget, at(0, true), usersRoute(), new Set());
    const second = mergeRoute('HTTPRoute', abTarget, at(0, true), first.spec, new Set(first.added));
    expect(second).toEqual(first);
  });

  it('recognises its rule after the API server filled in defaults', () => {
    const { spec, added } = mergeRoute('HTTPRoute', abTarget, at(0, true), undefined, new Set());
    const defaulted = structuredClone(spec);
    for (const rule of rulesOf(defaulted)) {
      for (const ref of rule.backendRefs as Json[]) ref.group = '';
      rule.matches ??= [{ path: { type: 'PathPrefix', value: '/' } }];
    }
    expect(rulesOf(defaulted).map((rule) => ruleFingerprint('HTTPRoute', rule))[0]).toBe(added[0]);
    expect(sameSpec('HTTPRoute', defaulted, spec)).toBe(true);
    const again = mergeRoute('HTTPRoute', abTarget, at(0, true), defaulted, new Set(added));
    expect(sameSpec('HTTPRoute', again.spec, defaulted)).toBe(true);
  });

  it('refuses a route that would exceed the 16 rules Gateway API allows', () => {
    const rules = Array.from({ length: 9 }, (_, i) => ({
      matches: [{ path: { type: 'PathPrefix', value: `/p${i}` } }],
      backendRefs: [{ name: 'api-service' }],
    }));
    expect(() =>
      mergeRoute('HTTPRoute', abTarget, at(0, true), { parentRefs: [], rules }, new Set()),
    ).toThrow(/would have 18 rules, more than the 16 Gateway API allows/);
  });

  it('adds header matches to a GRPCRoute without a path', () => {
    const route = {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'api-service', port: 8080 }],
      rules: [
        {
          matches: [{ method: { service: 'shop.Cart', method: 'Add' } }],
          backendRefs: [{ name: 'api-service', port: 8080 }],
        },
      ],
    };
    const { spec } = mergeRoute('GRPCRoute', abTarget, at(0, true), route, new Set());
    expect((rulesOf(spec)[0] as Json).matches).toEqual([
      {
        method: { service: 'shop.Cart', method: 'Add' },
        headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }],
      },
    ]);
  });
});

describe('session affinity', () => {
  const setCookie = (maxAge: number) => ({
    type: 'ResponseHeaderModifier',
    responseHeaderModifier: {
      add: [{ name: 'Set-Cookie', value: `canary=${cookie}; Max-Age=${maxAge}; Path=/` }],
    },
  });

  it('sets the cookie on canary responses and pins requests that carry it, while pinned', () => {
    const { spec } = mergeRoute('HTTPRoute', affinityTarget, at(20, true), usersRoute(), new Set());
    const [sticky, , managed] = rulesOf(spec) as [Json, Json, Json];
    expect((managed.backendRefs as Json[])[1]).toEqual({
      kind: 'Service',
      name: 'api-service-canary',
      port: 8080,
      weight: 20,
      filters: [setCookie(600)],
    });
    expect(sticky.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/api' },
        headers: [
          { name: 'cookie', type: 'RegularExpression', value: cookiePattern('canary', cookie) },
        ],
      },
    ]);
    expect(sticky.backendRefs).toEqual([
      { kind: 'Service', name: 'api-service-canary', port: 8080, weight: 1 },
    ]);
  });

  it('expires the cookie at rest for whoever still sends it, routing them like anyone', () => {
    const pinned = mergeRoute('HTTPRoute', affinityTarget, at(20, true), usersRoute(), new Set());
    const rest = mergeRoute('HTTPRoute', affinityTarget, at(0), pinned.spec, new Set(pinned.added));
    const [expiry, , managed] = rulesOf(rest.spec) as [Json, Json, Json];
    expect((managed.backendRefs as Json[])[1]).toEqual({
      kind: 'Service',
      name: 'api-service-canary',
      port: 8080,
      weight: 0,
    });
    expect(expiry.filters).toEqual([...(managed.filters as Json[]), setCookie(0)]);
    expect(expiry.backendRefs).toEqual(managed.backendRefs);
    expect(rest.added).toEqual([ruleFingerprint('HTTPRoute', expiry)]);
  });

  it('removes its Set-Cookie even when the spec that named the cookie is gone', () => {
    const pinned = mergeRoute('HTTPRoute', affinityTarget, at(20, true), usersRoute(), new Set());
    const released = mergeRoute('HTTPRoute', target, at(0), pinned.spec, new Set(pinned.added));
    expect(released.spec).toEqual(
      mergeRoute('HTTPRoute', target, at(0), usersRoute(), new Set()).spec,
    );
  });

  it('matches the cookie among others, and no other cookie or value', () => {
    const pattern = compileLinkerdRegex(cookiePattern('canary', 'abc'));
    expect(matchesWhole(pattern, 'canary=abc')).toBe(true);
    expect(matchesWhole(pattern, 'session=1; canary=abc; theme=dark')).toBe(true);
    expect(matchesWhole(pattern, 'xcanary=abc')).toBe(false);
    expect(matchesWhole(pattern, 'canary=abcd')).toBe(false);
    expect(matchesWhole(pattern, 'session=canary=abc')).toBe(false);
  });
});

describe('reading and releasing a route without a spec', () => {
  it("finds the apex and the backends past fledge's own rules", () => {
    const { spec, added } = mergeRoute('HTTPRoute', abTarget, at(0, true), usersRoute(), new Set());
    expect(routedTarget('HTTPRoute', spec, new Set(added))).toEqual({
      apexService: 'api-service',
      port: 8080,
      stableService: 'api-service-primary',
      canaryService: 'api-service-canary',
    });
  });

  it("leaves the user's route routing to the apex Service, without fledge's rules", () => {
    const { spec, added } = mergeRoute('HTTPRoute', abTarget, at(0, true), usersRoute(), new Set());
    const released = releasedSpec('HTTPRoute', target, spec, new Set(added)) as Json;
    expect(rulesOf(released)).toHaveLength(2);
    expect((rulesOf(released)[1] as Json).backendRefs).toEqual([
      {
        kind: 'Service',
        name: 'api-service',
        port: 8080,
        weight: 1,
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { add: [{ name: 'x-via', value: 'mesh' }] },
          },
        ],
      },
    ]);
  });

  it('has nothing to leave behind of a route fledge created, defaults or not', () => {
    const { spec } = mergeRoute('HTTPRoute', target, at(0), undefined, new Set());
    expect(releasedSpec('HTTPRoute', target, spec, new Set())).toBeNull();
    const defaulted = structuredClone(spec);
    (rulesOf(defaulted)[0] as Json).matches = [{ path: { type: 'PathPrefix', value: '/' } }];
    expect(releasedSpec('HTTPRoute', target, defaulted, new Set())).toBeNull();
  });
});
