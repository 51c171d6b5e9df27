import { createHash } from 'node:crypto';
import { escapeRegex } from '../api/linkerd-regex.js';
import type { AnalysisSpec } from '../api/types.js';

/** A Gateway API header match, as HTTPRoute and GRPCRoute rules hold them. */
export interface HeaderMatch {
  name: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
}

/** What a strategy adds to a route while the canary is analysed (docs/strategies.md). */
export interface RouteStrategy {
  /** A/B testing: a request that carries every header of one set goes to the canary. */
  matches: HeaderMatch[][];
  /** Requests with the cookie a canary response set keep going to the canary. */
  sessionAffinity?: { cookieName: string; maxAge: number };
}

/**
 * Linkerd has no cookie match: a cookie is matched on the Cookie header, whose pairs are
 * separated by `;` and optional spaces. Anchored at both ends, so that Linkerd's rule (the
 * leftmost match must span the whole value) holds whatever the other cookies are.
 */
export function cookiePattern(name: string, value: string): string {
  return `^(?:.*;[ \\t]*)?${escapeRegex(name)}=${escapeRegex(value)}(?:;.*)?$`;
}

/** The header match that holds when the request carries cookie `name` with `value`. */
export function cookieMatch(name: string, value: string): HeaderMatch {
  return { name: 'cookie', type: 'RegularExpression', value: cookiePattern(name, value) };
}

/**
 * The affinity cookie's value for a release: derived from the revision, so every controller
 * replica and every restart names the same cookie, and the next release names another.
 */
export function affinityCookieValue(revision: string): string {
  return createHash('sha256').update(revision).digest('hex').slice(0, 16);
}

/** The strategy's route additions from a validated analysis; none for weights alone. */
export function routeStrategyOf(analysis: AnalysisSpec): RouteStrategy | undefined {
  const matches = (analysis.match ?? []).map((item) => [
    ...Object.entries(item.headers ?? {}).map(
      ([name, condition]): HeaderMatch =>
        condition.regex !== undefined
          ? { name: name.toLowerCase(), type: 'RegularExpression', value: condition.regex }
          : { name: name.toLowerCase(), type: 'Exact', value: condition.exact ?? '' },
    ),
    ...Object.entries(item.cookies ?? {}).map(([name, condition]) =>
      cookieMatch(name, condition.exact),
    ),
  ]);
  const affinity = analysis.sessionAffinity;
  if (matches.length === 0 && !affinity) return undefined;
  return {
    matches,
    ...(affinity
      ? { sessionAffinity: { cookieName: affinity.cookieName, maxAge: affinity.maxAge } }
      : {}),
  };
}
