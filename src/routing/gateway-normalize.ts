import { createHash } from 'node:crypto';
import type { RouteKind } from '../api/strategy-rules.js';

export type { RouteKind };

/**
 * Gateway API routes as the API server returns them: the CRDs default some fields, so what
 * fledge wrote and what it reads back are compared with those defaults filled in. Without
 * that, every read would look changed and every write would trigger another.
 */

export type Json = Record<string, unknown>;

export const isJson = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isJson) : []);

/** An HTTPRoute match without a path matches every path: Gateway API's default. */
const DEFAULT_PATH = { type: 'PathPrefix', value: '/' };

function normalizeMatch(kind: RouteKind, match: Json): Json {
  const out: Json = { ...match };
  if (kind === 'HTTPRoute') {
    const path = isJson(match.path) ? match.path : {};
    out.path = { type: path.type ?? DEFAULT_PATH.type, value: path.value ?? DEFAULT_PATH.value };
  }
  if (kind === 'GRPCRoute' && isJson(match.method)) {
    out.method = { ...match.method, type: match.method.type ?? 'Exact' };
  }
  if (Array.isArray(match.headers)) {
    out.headers = list(match.headers).map((header) => ({
      ...header,
      type: header.type ?? 'Exact',
    }));
  }
  if (Array.isArray(match.queryParams)) {
    out.queryParams = list(match.queryParams).map((param) => ({
      ...param,
      type: param.type ?? 'Exact',
    }));
  }
  return out;
}

/** A backendRef with the defaults: the core group (written "" or "core"), Service, weight 1. */
export function normalizeBackendRef(ref: Json): Json {
  const group = ref.group === undefined || ref.group === 'core' ? '' : ref.group;
  return { ...ref, group, kind: ref.kind ?? 'Service', weight: ref.weight ?? 1 };
}

export function normalizeMatches(kind: RouteKind, rule: Json): Json[] {
  const matches = list(rule.matches);
  // An HTTPRoute rule without matches has one match that takes every request.
  if (matches.length === 0) return kind === 'HTTPRoute' ? [normalizeMatch(kind, {})] : [];
  return matches.map((match) => normalizeMatch(kind, match));
}

function normalizeRule(kind: RouteKind, rule: Json): Json {
  return {
    ...rule,
    matches: normalizeMatches(kind, rule),
    backendRefs: list(rule.backendRefs).map(normalizeBackendRef),
  };
}

function normalizeParentRef(ref: Json): Json {
  return {
    ...ref,
    group: ref.group ?? 'gateway.networking.k8s.io',
    kind: ref.kind ?? 'Gateway',
  };
}

/** A route spec with every default the Gateway API CRDs apply. */
export function normalizeSpec(kind: RouteKind, spec: Json): Json {
  return {
    ...spec,
    parentRefs: list(spec.parentRefs).map(normalizeParentRef),
    rules: list(spec.rules).map((rule) => normalizeRule(kind, rule)),
  };
}

/** Equal once both sides have the CRDs' defaults, keys in any order. */
export function sameSpec(kind: RouteKind, a: Json, b: Json): boolean {
  return canonical(normalizeSpec(kind, a)) === canonical(normalizeSpec(kind, b));
}

/** JSON with object keys sorted, so equal values print equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isJson(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What identifies a rule fledge added: its matches and the names of its backends. Filters,
 * timeouts and weights are left out: they follow the user's rule the added one derives from,
 * and a change of theirs must not make fledge lose track of its own rule.
 */
export function ruleFingerprint(kind: RouteKind, rule: Json): string {
  const matches = normalizeMatches(kind, rule).map((match) => ({
    path: match.path,
    method: match.method,
    headers: list(match.headers)
      .map((header) => [String(header.name).toLowerCase(), header.type, header.value])
      .sort(),
    queryParams: list(match.queryParams)
      .map((param) => [param.name, param.type, param.value])
      .sort(),
  }));
  const backends = list(rule.backendRefs)
    .map((ref) => String(ref.name))
    .sort();
  return createHash('sha256').update(canonical({ matches, backends })).digest('hex').slice(0, 16);
}
