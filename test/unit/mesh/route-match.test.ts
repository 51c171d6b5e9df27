import { describe, expect, it } from 'vitest';
import {
  durationMs,
  modifyHeaders,
  parseFilters,
  redirectLocation,
} from '../../../src/playground/mesh/route-filters.js';
import {
  compareScores,
  type RouteMatch,
  ruleScore,
  valueMatcher,
} from '../../../src/playground/mesh/route-match.js';
import {
  buildRoutingTable,
  type RoutingObject,
  selectRule,
} from '../../../src/playground/mesh/routing-table.js';

const http = (match: Partial<Extract<RouteMatch, { kind: 'http' }>>): RouteMatch => ({
  kind: 'http',
  headers: [],
  queryParams: [],
  ...match,
});

const request = (
  path: string,
  headers: Record<string, string | string[]> = {},
  method = 'GET',
) => ({
  path,
  method,
  headers,
});

describe('matching a request as linkerd2-proxy does', () => {
  it('takes any of several values of a header', () => {
    const match = http({ headers: [valueMatcher('x-team', 'Exact', 'b')] });
    expect(ruleScore([match], request('/', { 'x-team': ['a', 'b'] }), false)).not.toBeNull();
    expect(ruleScore([match], request('/', { 'x-team': ['a'] }), false)).toBeNull();
  });

  it('holds a regular expression only when its leftmost match spans the value', () => {
    const match = (pattern: string) => [
      http({ headers: [valueMatcher('x-v', 'RegularExpression', pattern)] }),
    ];
    expect(ruleScore(match('v[0-9]+'), request('/', { 'x-v': 'v12' }), false)).not.toBeNull();
    expect(ruleScore(match('v[0-9]+'), request('/', { 'x-v': 'xv12' }), false)).toBeNull();
    expect(ruleScore(match('a|ab'), request('/', { 'x-v': 'ab' }), false)).toBeNull();
    expect(ruleScore(match('(unclosed'), request('/', { 'x-v': '(unclosed' }), false)).toBeNull();
  });

  it('prefers a longer path, then a method, then more headers, then more query parameters', () => {
    const scored = (match: RouteMatch) =>
      ruleScore([match], request('/api/items?page=2', { 'x-a': '1' }, 'POST'), false) ?? [];
    const longerPath = scored(http({ path: { type: 'PathPrefix', value: '/api' } }));
    const method = scored(http({ method: 'POST' }));
    const header = scored(http({ headers: [valueMatcher('x-a', 'Exact', '1')] }));
    const query = scored(http({ queryParams: [valueMatcher('page', 'Exact', '2')] }));
    expect(compareScores(longerPath, method)).toBeGreaterThan(0);
    expect(compareScores(method, header)).toBeGreaterThan(0);
    expect(compareScores(header, query)).toBeGreaterThan(0);
    expect(compareScores(query, scored(http({})))).toBeGreaterThan(0);
  });

  it('matches a gRPC call by service and method, POST only', () => {
    const match: RouteMatch = { kind: 'grpc', service: 'shop.Cart', method: 'Add', headers: [] };
    expect(ruleScore([match], request('/shop.Cart/Add', {}, 'POST'), true)).toEqual([9, 3, 0]);
    expect(ruleScore([match], request('/shop.Cart/Remove', {}, 'POST'), true)).toBeNull();
    expect(ruleScore([match], request('/shop.Cart/Add', {}, 'GET'), true)).toBeNull();
  });
});

describe('the routing table', () => {
  const route = (
    kind: string,
    rules: unknown[],
    extra: Record<string, unknown> = {},
  ): RoutingObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name: kind.toLowerCase(), namespace: 'prod', ...extra },
    spec: { parentRefs: [{ group: 'core', kind: 'Service', name: 'api' }], rules },
  });

  it('chooses the best match whatever the rule order, the first on a tie', () => {
    const table = buildRoutingTable([
      route('HTTPRoute', [
        { backendRefs: [{ name: 'all' }] },
        {
          matches: [{ headers: [{ name: 'x-canary', value: 'yes' }] }],
          backendRefs: [{ name: 'canary' }],
        },
        { backendRefs: [{ name: 'second' }] },
      ]),
    ]);
    const pick = (headers: Record<string, string>) =>
      selectRule(table, 'prod', 'api', 8080, request('/', headers))?.rule.backends[0]?.service;
    expect(pick({ 'x-canary': 'yes' })).toBe('canary');
    expect(pick({})).toBe('all');
  });

  it('routes a parent with a GRPCRoute by its GRPCRoutes alone', () => {
    const table = buildRoutingTable([
      route('HTTPRoute', [{ backendRefs: [{ name: 'http' }] }]),
      route('GRPCRoute', [
        { matches: [{ method: { service: 'shop.Cart' } }], backendRefs: [{ name: 'grpc' }] },
      ]),
    ]);
    const call = request('/shop.Cart/Add', { 'content-type': 'application/grpc' }, 'POST');
    expect(selectRule(table, 'prod', 'api', 8080, call)?.rule.backends[0]?.service).toBe('grpc');
    expect(selectRule(table, 'prod', 'api', 8080, request('/'))).toBeNull();
  });

  it('reads rule and backend filters, a rule timeout, and the annotation for the others', () => {
    const table = buildRoutingTable([
      route(
        'HTTPRoute',
        [
          {
            timeouts: { request: '2s', backendRequest: '500ms' },
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }] },
              },
            ],
            backendRefs: [
              {
                name: 'a',
                filters: [
                  {
                    type: 'ResponseHeaderModifier',
                    responseHeaderModifier: { remove: ['Server'] },
                  },
                ],
              },
            ],
          },
          { matches: [{ path: { type: 'Exact', value: '/b' } }], backendRefs: [{ name: 'b' }] },
        ],
        { annotations: { 'timeout.linkerd.io/request': '3s' } },
      ),
    ]);
    const [first, second] = table.routes.get('prod/api')?.[0]?.rules ?? [];
    expect(first?.timeoutMs).toBe(500);
    expect(first?.filters.request).toEqual([{ set: [['x-a', '1']], add: [], remove: [] }]);
    expect(first?.backends[0]?.filters.response).toEqual([
      { set: [], add: [], remove: ['server'] },
    ]);
    expect(second?.timeoutMs).toBe(3000);
  });

  it('reports a filter Linkerd does not support and a pattern that does not compile', () => {
    const table = buildRoutingTable([
      route('HTTPRoute', [
        {
          matches: [{ headers: [{ name: 'x', type: 'RegularExpression', value: '(' }] }],
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow' } } }],
          backendRefs: [{ name: 'a' }],
        },
      ]),
    ]);
    expect(table.problems).toEqual([
      expect.stringMatching(/"\(" is not a regular expression; it matches nothing/),
      expect.stringMatching(/filters\[0\]: Linkerd does not support filter type "RequestMirror"/),
    ]);
  });
});

describe('route filters', () => {
  it('sets, adds and removes headers in order, never folding Set-Cookie', () => {
    const [modifier] = parseFilters(
      [
        {
          type: 'ResponseHeaderModifier',
          responseHeaderModifier: {
            set: [{ name: 'X-Version', value: '2' }],
            add: [
              { name: 'Set-Cookie', value: 'b=2' },
              { name: 'Vary', value: 'cookie' },
            ],
            remove: ['Server'],
          },
        },
      ],
      'rule',
      [],
    ).response;
    expect(
      modifyHeaders(
        { 'x-version': '1', 'set-cookie': 'a=1', vary: 'accept', server: 'app' },
        modifier ? [modifier] : [],
      ),
    ).toEqual({ 'x-version': '2', 'set-cookie': ['a=1', 'b=2'], vary: 'accept,cookie' });
  });

  it('redirects to the hostname, port and path a RequestRedirect names', () => {
    expect(redirectLocation({ statusCode: 302, hostname: 'docs' }, 'api.prod:8080', '/a?b')).toBe(
      'http://docs/a?b',
    );
    expect(redirectLocation({ statusCode: 302 }, 'api.prod:8080', '/a')).toBe(
      'http://api.prod:8080/a',
    );
    expect(
      redirectLocation(
        { statusCode: 301, path: { type: 'ReplacePrefixMatch', value: '/v2' } },
        'api',
        '/v1/items',
        '/v1',
      ),
    ).toBe('http://api/v2/items');
  });

  it('reads Gateway API durations', () => {
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('0s')).toBeUndefined();
    expect(durationMs('1.5s')).toBeUndefined();
  });
});
