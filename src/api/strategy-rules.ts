/**
 * The rules of the traffic strategies (docs/strategies.md) and of the route kinds, which the
 * schema cannot express: which fields go together, which routing can carry them, and which
 * header names and patterns Linkerd's proxy takes. Like every rule, each reads the Rollout
 * defensively: the input may also have failed the schema.
 */
import { isObject } from './json.js';
import { linkerdRegexProblem } from './linkerd-regex.js';
import type { Problem } from './problems.js';

type Fields = Record<string, unknown>;

/** The apiVersions at which Linkerd reads each Gateway API route kind fledge writes. */
export const ROUTE_KIND_API_VERSIONS = {
  HTTPRoute: [
    'gateway.networking.k8s.io/v1',
    'gateway.networking.k8s.io/v1beta1',
    'policy.linkerd.io/v1beta3',
  ],
  GRPCRoute: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1alpha2'],
} as const;

export type RouteKind = keyof typeof ROUTE_KIND_API_VERSIONS;

/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** A cookie value as RFC 6265 allows it, unquoted. */
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
/** What no header value may hold. */
const CONTROL = /[\0\r\n]/;

export function strategyProblems(spec: Fields): Problem[] {
  const routing = fields(spec.routing) ?? {};
  const analysis = fields(spec.analysis) ?? {};
  return [
    ...routeKindProblems(routing),
    ...iterationProblems(analysis),
    ...promotionStepProblems(analysis),
    ...matchProblems(analysis, routing),
    ...affinityProblems(analysis, routing),
  ];
}

function routeKindProblems(routing: Fields): Problem[] {
  const { provider = 'smi', apiVersion, kind } = routing;
  if (kind !== undefined && provider !== 'gateway-api') {
    return [
      {
        path: 'spec.routing.kind',
        message: `is for provider gateway-api; provider ${show(provider)} writes a TrafficSplit`,
        fix: 'remove routing.kind, or set routing.provider: gateway-api',
      },
    ];
  }
  if (provider !== 'gateway-api' || typeof apiVersion !== 'string') return [];
  const routeKind: RouteKind = kind === 'GRPCRoute' ? 'GRPCRoute' : 'HTTPRoute';
  const served: readonly string[] = ROUTE_KIND_API_VERSIONS[routeKind];
  if (served.includes(apiVersion)) return [];
  return [
    {
      path: 'spec.routing.apiVersion',
      message: `Linkerd does not read ${routeKind} at ${apiVersion}`,
      fix: `use one of ${served.join(', ')} for ${routeKind}`,
    },
  ];
}

function iterationProblems(analysis: Fields): Problem[] {
  if (analysis.iterations === undefined || analysis.maxWeight === undefined) return [];
  return [
    {
      path: 'spec.analysis.maxWeight',
      message:
        'has no effect with iterations: A/B testing keeps the weight at 0, blue/green switches to 100',
      fix: 'remove maxWeight, or use stepWeight instead of iterations for a weighted canary',
    },
  ];
}

/** A/B testing keeps the weight at 0: a promotion has no share of traffic to move back in steps. */
function promotionStepProblems(analysis: Fields): Problem[] {
  if (analysis.stepWeightPromotion === undefined || analysis.match === undefined) return [];
  return [
    {
      path: 'spec.analysis.stepWeightPromotion',
      message:
        'has no effect with A/B testing (match): the canary gets the requests that match, never a weight, so promotion has no traffic to move back step by step',
      fix: 'remove stepWeightPromotion, or use stepWeight (a weighted canary) or iterations without match (blue/green)',
    },
  ];
}

function usesGatewayApi(routing: Fields): boolean {
  return routing.provider === 'gateway-api';
}

function matchProblems(analysis: Fields, routing: Fields): Problem[] {
  if (analysis.match === undefined) return [];
  const problems: Problem[] = [];
  if (analysis.iterations === undefined) {
    problems.push({
      path: 'spec.analysis.match',
      message:
        'is A/B testing, which runs for a number of intervals rather than through weights, and needs iterations',
      fix: 'set iterations (and remove stepWeight or stepWeights), or remove match',
    });
  }
  if (!usesGatewayApi(routing)) {
    problems.push({
      path: 'spec.analysis.match',
      message: 'needs a route that matches requests; an SMI TrafficSplit only splits by weight',
      fix: 'set routing.provider: gateway-api',
    });
  }
  items(analysis.match).forEach((item, i) => {
    problems.push(...requestMatchProblems(item, `spec.analysis.match[${i}]`));
  });
  return problems;
}

function requestMatchProblems(item: Fields, path: string): Problem[] {
  const problems: Problem[] = [];
  const headers = Object.entries(fields(item.headers) ?? {});
  const cookies = Object.entries(fields(item.cookies) ?? {});
  if (headers.length + cookies.length === 0) {
    problems.push({
      path,
      message: 'names no header and no cookie, so it would match every request',
      fix: 'add a header or a cookie to match, or remove the item',
    });
  }
  const seen = new Set<string>();
  for (const [name, condition] of headers) {
    const at = `${path}.headers.${name}`;
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) {
      problems.push({
        path: at,
        message: `${show(name)} is not a header name`,
        fix: "use letters, digits and !#$%&'*+.^_`|~-",
      });
    }
    if (seen.has(lower)) {
      problems.push({
        path: at,
        message: 'repeats a header name: header names are case-insensitive',
        fix: 'name each header once in an item',
      });
    }
    seen.add(lower);
    if (lower === 'cookie' && cookies.length > 0) {
      problems.push({
        path: at,
        message: 'matches the Cookie header, which the cookies of this item are matched through',
        fix: 'match the cookie either in cookies or in a cookie header regex, not both',
      });
    }
    problems.push(...valueProblems(fields(condition) ?? {}, at));
  }
  for (const [name, condition] of cookies) {
    const at = `${path}.cookies.${name}`;
    if (!TOKEN.test(name)) {
      problems.push({
        path: at,
        message: `${show(name)} is not a cookie name`,
        fix: "use letters, digits and !#$%&'*+.^_`|~-",
      });
    }
    const exact = fields(condition)?.exact;
    if (typeof exact === 'string' && !COOKIE_VALUE.test(exact)) {
      problems.push({
        path: `${at}.exact`,
        message: `${show(exact)} is not a cookie value`,
        fix: 'leave out spaces, double quotes, commas, semicolons and backslashes',
      });
    }
  }
  return problems;
}

function valueProblems(condition: Fields, at: string): Problem[] {
  const { exact, regex } = condition;
  if (typeof exact === 'string' && CONTROL.test(exact)) {
    return [
      {
        path: `${at}.exact`,
        message: 'holds a line break or NUL, which no header value can',
        fix: 'remove the control characters',
      },
    ];
  }
  const problem = typeof regex === 'string' ? linkerdRegexProblem(regex) : null;
  if (problem === null) return [];
  return [
    {
      path: `${at}.regex`,
      message: `${show(regex)} ${problem}`,
      fix: 'write a regular expression in the syntax of the Rust regex crate (RE2-like); it must match the whole value',
    },
  ];
}

function affinityProblems(analysis: Fields, routing: Fields): Problem[] {
  if (analysis.sessionAffinity === undefined) return [];
  const problems: Problem[] = [];
  if (analysis.iterations !== undefined) {
    problems.push({
      path: 'spec.analysis.sessionAffinity',
      message:
        'keeps users on the canary during a weighted canary; with iterations (A/B testing or blue/green) no user reaches the canary by weight',
      fix: 'use stepWeight or stepWeights instead of iterations, or remove sessionAffinity',
    });
  }
  if (!usesGatewayApi(routing) || routing.kind === 'GRPCRoute') {
    problems.push({
      path: 'spec.analysis.sessionAffinity',
      message:
        'needs an HTTPRoute: the cookie is set by a response header filter and matched on the Cookie header',
      fix: 'set routing.provider: gateway-api with the HTTPRoute kind',
    });
  }
  return problems;
}

function fields(value: unknown): Fields | undefined {
  return isObject(value) ? value : undefined;
}

function items(value: unknown): Fields[] {
  return Array.isArray(value) ? value.map((item) => fields(item) ?? {}) : [];
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
