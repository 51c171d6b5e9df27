/**
 * Which rule of a Service's routes takes a request, as linkerd2-proxy decides it
 * (linkerd/http/route): every rule whose match holds is scored, and the best score wins; on a
 * tie the first one, in route order (older routes first) then rule order. An HTTP match scores
 * by the length of its path match, then a method match, then its number of header matches,
 * then of query parameter matches; a gRPC match by the lengths of its service and method, then
 * its number of header matches. A regular expression holds only when its leftmost match spans
 * the whole value.
 */
import { compileLinkerdRegex, matchesWhole } from '../../api/linkerd-regex.js';

export interface ValueMatcher {
  name: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
  /** Compiled once when the route is read; null when the pattern does not compile. */
  regex?: RegExp | null;
}

export interface HttpMatch {
  kind: 'http';
  path?: {
    type: 'Exact' | 'PathPrefix' | 'RegularExpression';
    value: string;
    regex?: RegExp | null;
  };
  method?: string;
  headers: ValueMatcher[];
  queryParams: ValueMatcher[];
}

export interface GrpcMatch {
  kind: 'grpc';
  service?: string;
  method?: string;
  headers: ValueMatcher[];
}

export type RouteMatch = HttpMatch | GrpcMatch;

export interface RequestFacts {
  /** Path with the query, as the request line has it. */
  path: string;
  method: string;
  /** Every value of each header, names lower-cased (Node's `headersDistinct`). */
  headers: Record<string, string[] | string | undefined>;
}

/** A score to compare matches by; greater is better, compared element by element. */
export type Score = number[];

/** The matcher with its pattern compiled, once, when the route is read. */
export function valueMatcher(name: string, type: string | undefined, value: string): ValueMatcher {
  if (type !== 'RegularExpression') return { name, type: 'Exact', value };
  let regex: RegExp | null;
  try {
    regex = compileLinkerdRegex(value);
  } catch {
    regex = null;
  }
  return { name, type: 'RegularExpression', value, regex };
}

function holds(matcher: ValueMatcher, value: string): boolean {
  if (matcher.type === 'Exact') return value === matcher.value;
  return matcher.regex ? matchesWhole(matcher.regex, value) : false;
}

function headerValues(request: RequestFacts, name: string): string[] {
  const values = request.headers[name.toLowerCase()];
  if (values === undefined) return [];
  return Array.isArray(values) ? values : [values];
}

function headersHold(matchers: ValueMatcher[], request: RequestFacts): boolean {
  return matchers.every((matcher) =>
    headerValues(request, matcher.name).some((value) => holds(matcher, value)),
  );
}

function pathScore(match: HttpMatch, path: string): number | null {
  if (!match.path) return 1;
  const { type, value } = match.path;
  if (type === 'Exact') return path === value ? value.length : null;
  if (type === 'RegularExpression') {
    return match.path.regex && matchesWhole(match.path.regex, path) ? path.length : null;
  }
  if (value === '/') return 1;
  const prefix = value.replace(/\/+$/, '');
  const rest = path.replace(/\/+$/, '');
  if (!rest.startsWith(prefix)) return null;
  const suffix = rest.slice(prefix.length);
  return suffix === '' || suffix.startsWith('/') ? prefix.length : null;
}

function queryHolds(matchers: ValueMatcher[], query: URLSearchParams): boolean {
  return matchers.every((matcher) => query.getAll(matcher.name).some((v) => holds(matcher, v)));
}

function httpScore(match: HttpMatch, request: RequestFacts): Score | null {
  if (match.method && match.method !== request.method) return null;
  const [path = '/', search = ''] = request.path.split('?');
  const length = pathScore(match, path);
  if (length === null || !headersHold(match.headers, request)) return null;
  if (!queryHolds(match.queryParams, new URLSearchParams(search))) return null;
  return [length, match.method ? 1 : 0, match.headers.length, match.queryParams.length];
}

function grpcScore(match: GrpcMatch, request: RequestFacts): Score | null {
  if (request.method !== 'POST') return null;
  const [, service, method] = (request.path.split('?')[0] ?? '').split('/');
  if (service === undefined || method === undefined) return null;
  if (match.service !== undefined && match.service !== service) return null;
  if (match.method !== undefined && match.method !== method) return null;
  if (!headersHold(match.headers, request)) return null;
  return [match.service?.length ?? 0, match.method?.length ?? 0, match.headers.length];
}

/** The score of the best match of a rule (a rule without matches takes every request). */
export function ruleScore(
  matches: RouteMatch[],
  request: RequestFacts,
  grpc: boolean,
): Score | null {
  if (matches.length === 0) return grpc ? [0, 0, 0] : [1, 0, 0, 0];
  let best: Score | null = null;
  for (const match of matches) {
    const score = match.kind === 'http' ? httpScore(match, request) : grpcScore(match, request);
    if (score && (!best || compareScores(score, best) > 0)) best = score;
  }
  return best;
}

export function compareScores(a: Score, b: Score): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
