import {
  isJson,
  type Json,
  list,
  normalizeBackendRef,
  normalizeMatches,
  type RouteKind,
  ruleFingerprint,
} from './gateway-normalize.js';
import type { RoutedTarget } from './route-object.js';
import { percentages, type RouteTarget, type Traffic, type Weights } from './router.js';
import { affinityCookieValue, cookieMatch, type HeaderMatch } from './strategy.js';

/**
 * The rules of a Gateway API route (HTTPRoute, GRPCRoute) that the user owns: fledge changes
 * only the backendRefs of the rules that route to the Rollout's Services (its _managed_ rules)
 * and adds rules of its own while the strategy pins requests to the canary. Every other rule,
 * match, filter, timeout and field is the user's and is kept as it is.
 *
 * fledge's own rules are told apart by their fingerprints, recorded on the route at each write.
 */

/** Gateway API's bounds (v1 CRDs): more and the API server refuses the route. */
const MAX_RULES = 16;
const MAX_MATCHES = 64;
const MAX_HEADERS = 16;

/** A route fledge cannot write as asked; the message names the rule and the fix. */
export class RouteRulesError extends Error {
  override name = 'RouteRulesError';
}

export interface MergedRoute {
  spec: Json;
  /** Fingerprints of the rules fledge added, to record on the route. */
  added: string[];
}

interface Shape {
  kind: RouteKind;
  target: RouteTarget;
  /** Fingerprints of the rules fledge added at its last write. */
  added: ReadonlySet<string>;
}

const isCoreService = (ref: Json) =>
  (ref.group === undefined || ref.group === '' || ref.group === 'core') &&
  (ref.kind === undefined || ref.kind === 'Service');

/** The Services a managed rule may route to: the apex (a user's own route) and both backends. */
function ownServices(target: RouteTarget): string[] {
  return [target.apexService, target.stableService, target.canaryService];
}

function refersToOwn(target: RouteTarget, ref: Json): boolean {
  return (
    isCoreService(ref) &&
    (ref.namespace === undefined || ref.namespace === target.namespace) &&
    ownServices(target).includes(String(ref.name))
  );
}

/** The user's rules, in their order: every rule fledge did not add. */
function userRules({ kind, added }: Shape, spec: Json): Json[] {
  return list(spec.rules).filter((rule) => !added.has(ruleFingerprint(kind, rule)));
}

function isManaged(shape: Shape, rule: Json): boolean {
  return list(rule.backendRefs).some((ref) => refersToOwn(shape.target, ref));
}

const SET_COOKIE = 'set-cookie';

/** Response header filters with a Set-Cookie added (merged into one filter: types may not repeat). */
function withSetCookie(filters: unknown, value: string): Json[] {
  const all = list(filters);
  const index = all.findIndex((filter) => filter.type === 'ResponseHeaderModifier');
  const existing = isJson(all[index]?.responseHeaderModifier)
    ? (all[index]?.responseHeaderModifier as Json)
    : {};
  const modifier = { ...existing, add: [...list(existing.add), { name: 'Set-Cookie', value }] };
  const filter = { type: 'ResponseHeaderModifier', responseHeaderModifier: modifier };
  return index < 0 ? [...all, filter] : all.map((f, i) => (i === index ? filter : f));
}

/**
 * The affinity cookie as fledge sets it (see `setCookieValue`): recognised by its shape, so that
 * it is removed even when the spec that named it is gone or changed.
 */
const FLEDGE_SET_COOKIE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+=[0-9a-f]{16}; Max-Age=\d+; Path=\/$/;

function setCookieValue(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Max-Age=${maxAge}; Path=/`;
}

/** The filters without a Set-Cookie fledge added; undefined when none remain. */
function withoutSetCookie(filters: unknown): Json[] | undefined {
  const kept = list(filters).flatMap((filter): Json[] => {
    if (filter.type !== 'ResponseHeaderModifier') return [filter];
    const modifier = isJson(filter.responseHeaderModifier) ? filter.responseHeaderModifier : {};
    const add = list(modifier.add).filter(
      (header) =>
        String(header.name).toLowerCase() !== SET_COOKIE ||
        !FLEDGE_SET_COOKIE.test(String(header.value)),
    );
    const rest = { ...modifier, add: add.length > 0 ? add : undefined };
    const empty = Object.values(rest).every(
      (v) => v === undefined || (Array.isArray(v) && !v.length),
    );
    return empty ? [] : [{ ...filter, responseHeaderModifier: rest }];
  });
  return kept.length > 0 ? kept : undefined;
}

function backendRef(source: Json | undefined, name: string, port: number, weight: number): Json {
  // No `group`: the core group is the default, and kube-apiserver 1.20 rejects an explicit ""
  // there as null.
  const { group: _group, ...rest } = source ?? {};
  const kept = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return { ...kept, kind: 'Service', name, port, weight };
}

/** A managed rule routing `weights`, keeping what the user set on its backendRefs. */
function managedRule(
  shape: Shape,
  rule: Json,
  index: number,
  weights: Weights,
  setCookie?: string,
) {
  const { target } = shape;
  const refs = list(rule.backendRefs);
  const foreign = refs.find((ref) => !refersToOwn(target, ref));
  if (foreign) {
    throw new RouteRulesError(
      `spec.rules[${index}] routes to ${target.apexService} and to ${String(foreign.name)}: fledge cannot split a rule that also sends traffic elsewhere; move ${String(foreign.name)} into a rule of its own`,
    );
  }
  const named = (name: string) => refs.find((ref) => ref.name === name);
  const stableSource = named(target.stableService) ?? named(target.apexService);
  const canarySource = named(target.canaryService);
  const canaryFilters = withoutSetCookie(canarySource?.filters);
  const canary = backendRef(
    { ...canarySource, filters: canaryFilters },
    target.canaryService,
    target.port,
    weights.canary,
  );
  if (setCookie) canary.filters = withSetCookie(canaryFilters, setCookie);
  return {
    ...rule,
    backendRefs: [
      backendRef(stableSource, target.stableService, target.port, weights.stable),
      canary,
    ],
  };
}

/** Each of the rule's matches combined with each header set: a cross product, as Flagger's. */
function combinedMatches(kind: RouteKind, rule: Json, sets: HeaderMatch[][]): Json[] {
  const base = list(rule.matches).length > 0 ? list(rule.matches) : [{}];
  return base.flatMap((match) =>
    sets.map((set) => {
      const names = new Set(set.map((header) => header.name.toLowerCase()));
      const kept = list(match.headers).filter(
        (header) => !names.has(String(header.name).toLowerCase()),
      );
      return {
        ...match,
        ...(kind === 'HTTPRoute' && !isJson(match.path)
          ? { path: { type: 'PathPrefix', value: '/' } }
          : {}),
        headers: [...kept, ...set],
      };
    }),
  );
}

/**
 * A rule of fledge's own: a managed rule with more matches, sending them to the canary with the
 * user's filters of its canary backend (not the affinity cookie: these requests carry it).
 */
function canaryOnly(rule: Json, matches: Json[]): Json {
  const { filters, ...ref } = list(rule.backendRefs)[1] ?? {};
  const userFilters = withoutSetCookie(filters);
  return {
    ...rule,
    matches,
    backendRefs: [{ ...ref, ...(userFilters ? { filters: userFilters } : {}), weight: 1 }],
  };
}

function ensureApexParent(target: RouteTarget, spec: Json): Json[] {
  const parents = list(spec.parentRefs);
  const apex = parents.some(
    (parent) =>
      parent.kind === 'Service' &&
      (parent.group === 'core' || parent.group === '') &&
      parent.name === target.apexService,
  );
  if (apex) return parents;
  return [
    ...parents,
    { group: 'core', kind: 'Service', name: target.apexService, port: target.port },
  ];
}

/**
 * The route spec for `traffic`, built on the spec the server holds (or on nothing, when fledge
 * creates the route): the user's rules with the managed ones' backendRefs set, and fledge's
 * own rules first. Throws RouteRulesError when that cannot be written.
 */
export function mergeRoute(
  kind: RouteKind,
  target: RouteTarget,
  traffic: Traffic,
  current: Json | undefined,
  added: ReadonlySet<string>,
): MergedRoute {
  const shape: Shape = { kind, target, added };
  const spec = current ?? {};
  const rules = userRules(shape, spec);
  const managedAt = rules.map((rule) => isManaged(shape, rule));
  if (!managedAt.includes(true)) {
    // No rule routes to the Rollout's Services yet: fledge adds the one that will.
    rules.push({ backendRefs: [] });
    managedAt.push(true);
  }
  const weights = { stable: 100 - traffic.canaryWeight, canary: traffic.canaryWeight };
  const { strategy } = target;
  const affinity = strategy?.sessionAffinity;
  const cookie =
    affinity && traffic.revision !== undefined
      ? { name: affinity.cookieName, value: affinityCookieValue(traffic.revision) }
      : undefined;
  const setCookie =
    cookie && traffic.pinned && affinity
      ? setCookieValue(cookie.name, cookie.value, affinity.maxAge)
      : undefined;
  const written: Json[] = rules.map((rule, index) =>
    managedAt[index] ? managedRule(shape, rule, index, weights, setCookie) : rule,
  );
  const managed = written.filter((_, index) => managedAt[index]);
  const own: Json[] = [];
  if (traffic.pinned && strategy && strategy.matches.length > 0) {
    for (const rule of managed) {
      own.push(canaryOnly(rule, combinedMatches(kind, rule, strategy.matches)));
    }
  }
  if (cookie) {
    const sets = [[cookieMatch(cookie.name, cookie.value)]];
    for (const rule of managed) {
      const matches = combinedMatches(kind, rule, sets);
      // At rest, a client still holding the cookie gets it expired and is routed like anyone.
      own.push(
        traffic.pinned
          ? canaryOnly(rule, matches)
          : {
              ...rule,
              matches,
              filters: withSetCookie(rule.filters, setCookieValue(cookie.name, cookie.value, 0)),
            },
      );
    }
  }
  const merged = {
    ...spec,
    parentRefs: ensureApexParent(target, spec),
    rules: [...own, ...written],
  };
  checkBounds(kind, merged);
  return { spec: merged, added: own.map((rule) => ruleFingerprint(kind, rule)) };
}

function checkBounds(kind: RouteKind, spec: Json): void {
  const rules = list(spec.rules);
  const fix =
    'fledge adds one rule per rule that routes to the Rollout, combining its matches with analysis.match: merge rules, or match on fewer headers';
  if (rules.length > MAX_RULES) {
    throw new RouteRulesError(
      `the ${kind} would have ${rules.length} rules, more than the ${MAX_RULES} Gateway API allows; ${fix}`,
    );
  }
  for (const [index, rule] of rules.entries()) {
    const matches = list(rule.matches);
    const headers = Math.max(0, ...matches.map((match) => list(match.headers).length));
    if (matches.length > MAX_MATCHES || headers > MAX_HEADERS) {
      throw new RouteRulesError(
        `rule ${index} of the ${kind} would have ${matches.length} matches of up to ${headers} headers, more than Gateway API allows (${MAX_MATCHES} matches, ${MAX_HEADERS} headers); ${fix}`,
      );
    }
  }
}

/**
 * The weights the managed rules route; null when there is none, when one lacks a backend, or
 * when they disagree (someone changed one of them).
 */
export function managedWeights(
  kind: RouteKind,
  target: RouteTarget,
  spec: Json,
  added: ReadonlySet<string>,
): Weights | null {
  const shape: Shape = { kind, target, added };
  const found = userRules(shape, spec)
    .filter((rule) => isManaged(shape, rule))
    .map((rule) => ruleWeights(target, rule));
  const [first] = found;
  if (!first || found.some((w) => !w || w.stable !== first.stable || w.canary !== first.canary)) {
    return null;
  }
  return first;
}

function ruleWeights(target: RouteTarget, rule: Json): Weights | null {
  const refs = list(rule.backendRefs).map(normalizeBackendRef);
  const find = (name: string) =>
    refs.find(
      (ref) => ref.name === name && isCoreService(ref) && (ref.port ?? target.port) === target.port,
    );
  const stable = find(target.stableService);
  const canary = find(target.canaryService);
  const all = refs.map((ref) => Number(ref.weight));
  if (!stable || !canary || all.some((w) => !Number.isInteger(w) || w < 0)) return null;
  return percentages(
    Number(stable.weight),
    Number(canary.weight),
    all.reduce((sum, w) => sum + w, 0),
  );
}

/** What the route routes, read without a spec: the apex parent and fledge's two backends. */
export function routedTarget(
  kind: RouteKind,
  spec: Json,
  added: ReadonlySet<string>,
): RoutedTarget | null {
  const parent = list(spec.parentRefs).find(
    (ref) => ref.kind === 'Service' && ['', 'core', undefined].includes(ref.group as string),
  );
  const rule = list(spec.rules).find(
    (candidate) =>
      !added.has(ruleFingerprint(kind, candidate)) &&
      list(candidate.backendRefs).filter(isCoreService).length >= 2,
  );
  const [stable, canary] = list(rule?.backendRefs);
  if (typeof parent?.name !== 'string' || typeof parent.port !== 'number') return null;
  if (typeof stable?.name !== 'string' || typeof canary?.name !== 'string') return null;
  return {
    apexService: parent.name,
    port: parent.port,
    stableService: stable.name,
    canaryService: canary.name,
  };
}

/**
 * The route as the user wrote it, to leave behind when the Rollout goes in workload mode: no
 * rule of fledge's, the managed rules routing to the apex Service (the primary Service goes
 * with the Rollout). Null when nothing in it is the user's: then the route can go too.
 */
export function releasedSpec(
  kind: RouteKind,
  target: RouteTarget,
  spec: Json,
  added: ReadonlySet<string>,
): Json | null {
  const shape: Shape = { kind, target, added };
  const rules = userRules(shape, spec).map((rule) => {
    if (!isManaged(shape, rule)) return rule;
    const stable = list(rule.backendRefs).find((ref) => ref.name === target.stableService);
    const filters = withoutSetCookie(stable?.filters);
    return {
      ...rule,
      backendRefs: [backendRef({ ...stable, filters }, target.apexService, target.port, 1)],
    };
  });
  const released = { ...spec, rules };
  return holdsUserContent(kind, released) ? released : null;
}

/** More than fledge writes when it creates a route: a parent, one rule, two plain backends. */
function holdsUserContent(kind: RouteKind, spec: Json): boolean {
  if (Object.keys(spec).some((key) => key !== 'parentRefs' && key !== 'rules')) return true;
  const rules = list(spec.rules);
  if (list(spec.parentRefs).length !== 1 || rules.length !== 1) return true;
  const [rule] = rules as [Json];
  if (Object.keys(rule).some((key) => key !== 'backendRefs' && key !== 'matches')) return true;
  const plainRef = (ref: Json) =>
    Object.keys(ref).every((key) =>
      ['group', 'kind', 'name', 'namespace', 'port', 'weight'].includes(key),
    );
  const matches = normalizeMatches(kind, rule);
  const everyRequest =
    matches.length === 0 ||
    (matches.length === 1 &&
      Object.keys(matches[0] ?? {}).every((key) => key === 'path') &&
      isJson(matches[0]?.path) &&
      matches[0].path.type === 'PathPrefix' &&
      matches[0].path.value === '/');
  return !everyRequest || !list(rule.backendRefs).every(plainRef);
}
