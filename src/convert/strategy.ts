/**
 * How a Flagger Canary gets traffic to its canary, as fledge's strategy fields
 * (docs/strategies.md). Flagger decides by its analysis fields, in this order: `iterations` with
 * `match` is A/B testing, `iterations` alone is blue/green, and only then do `stepWeight` or
 * `stepWeights` make a weighted canary, which `sessionAffinity` can make sticky. fledge's fields
 * are Flagger's, so most of a Canary converts as it is; what fledge cannot express is a note
 * (when leaving it out keeps the release as safe) or a problem (when it would send other users
 * to the canary).
 */
import type {
  ConversionReport,
  FlaggerAnalysis,
  FlaggerRequestMatch,
  FlaggerStringMatch,
} from './flagger-types.js';

type Fields = Record<string, unknown>;

/** Parts of Istio's HTTPMatchRequest that Linkerd's HTTPRoute matches too, in a rule of its own. */
const ROUTE_MATCHES = new Set(['uri', 'method', 'queryParams', 'scheme', 'authority', 'port']);

/** Flagger's documented cookie match: `^(.*?;)?(name=value)(;.*)?$` on the Cookie header. */
const FLAGGER_COOKIE_REGEX =
  /^\^\(\.\*\?;\)\?\(([A-Za-z0-9_.-]+)=([A-Za-z0-9_.-]+)\)\(;\.\*\)\?\$$/;

/** The field of the Canary's strategy that only a route (not a TrafficSplit) can carry. */
export function routeOnlyField(flagger: FlaggerAnalysis): 'match' | 'sessionAffinity' | undefined {
  if ((flagger.iterations ?? 0) > 0) return (flagger.match?.length ?? 0) > 0 ? 'match' : undefined;
  return flagger.sessionAffinity !== undefined ? 'sessionAffinity' : undefined;
}

/**
 * The strategy fields of the Rollout's analysis (`stepWeight` and `maxWeight`, `stepWeights`, or
 * `iterations` and `match`; `sessionAffinity`), or undefined after adding the problems that stop
 * it to the report.
 */
export function convertStrategy(
  flagger: FlaggerAnalysis,
  path: string,
  report: ConversionReport,
): Fields | undefined {
  const iterations = flagger.iterations ?? 0;
  const hasSteps = flagger.stepWeight !== undefined || (flagger.stepWeights?.length ?? 0) > 0;
  const hasMatch = (flagger.match?.length ?? 0) > 0;
  if (iterations > 0) return iterationStrategy(flagger, iterations, hasMatch, path, report);
  if (!hasSteps) {
    report.problems.push({
      path,
      message:
        'sets no stepWeight, stepWeights or iterations: nothing says how traffic reaches the canary; add stepWeight and maxWeight for a weighted canary, or iterations for blue/green (with match: A/B testing)',
    });
    return undefined;
  }
  if (hasMatch) {
    report.problems.push({
      path: `${path}.match`,
      message:
        "limits Flagger's weighted canary to the requests that match; fledge's match is A/B testing, which needs iterations, and a weighted canary splits every request: remove match to shift all traffic step by step, or replace stepWeight and maxWeight with iterations for A/B testing",
    });
    return undefined;
  }
  mirrorNotes(flagger, path, report, 'a weighted canary starts at its first step');
  const affinity = convertAffinity(flagger.sessionAffinity, `${path}.sessionAffinity`, report);
  return {
    ...weights(flagger, path, report),
    ...affinity,
    ...promotionStep(flagger, path, report),
  };
}

function iterationStrategy(
  flagger: FlaggerAnalysis,
  iterations: number,
  hasMatch: boolean,
  path: string,
  report: ConversionReport,
): Fields | undefined {
  const strategy = hasMatch ? 'A/B testing (match)' : 'blue/green';
  for (const field of ['stepWeight', 'stepWeights', 'maxWeight'] as const) {
    if (flagger[field] === undefined) continue;
    report.notes.push({
      path: `${path}.${field}`,
      kind: 'dropped',
      message: `Flagger ignores it with iterations: this Canary is ${strategy}`,
    });
  }
  if (flagger.sessionAffinity !== undefined) {
    report.notes.push({
      path: `${path}.sessionAffinity`,
      kind: 'dropped',
      message: hasMatch
        ? 'A/B testing keeps the users who match on the canary for the whole release already'
        : 'blue/green sends no user to the canary by weight before the switch, so there is nobody to keep there',
    });
  }
  mirrorNotes(
    flagger,
    path,
    report,
    'blue/green runs the same, the canary judged on the load tests until the switch',
  );
  if (!hasMatch) return { iterations, ...promotionStep(flagger, path, report) };
  if (flagger.stepWeightPromotion) {
    report.notes.push({
      path: `${path}.stepWeightPromotion`,
      kind: 'dropped',
      message:
        "A/B testing keeps the canary's weight at 0, so promotion has no traffic to move back step by step",
    });
  }
  const match = (flagger.match ?? []).map((item, i) =>
    convertRequestMatch(item, `${path}.match[${i}]`, report),
  );
  return report.problems.length > 0 ? undefined : { iterations, match };
}

/** Linkerd's proxy has no RequestMirror filter: mirroring is left out, and the note says what remains. */
function mirrorNotes(
  flagger: FlaggerAnalysis,
  path: string,
  report: ConversionReport,
  without: string,
): void {
  for (const field of ['mirror', 'mirrorWeight'] as const) {
    if (!flagger[field]) continue;
    report.notes.push({
      path: `${path}.${field}`,
      kind: 'dropped',
      message: `Linkerd has no RequestMirror filter, so fledge does not mirror traffic; ${without}`,
    });
  }
}

/**
 * Flagger's stepWeightPromotion, which fledge reads the same way: after promotion, traffic moves
 * back to the primary by this much per interval. Flagger's 0 is unset (all at once).
 */
function promotionStep(flagger: FlaggerAnalysis, path: string, report: ConversionReport): Fields {
  const step = flagger.stepWeightPromotion;
  if (step === undefined || step === 0) return {};
  if (step >= 1 && step <= 100) return { stepWeightPromotion: step };
  report.notes.push({
    path: `${path}.stepWeightPromotion`,
    kind: 'dropped',
    message: `${step} is no step from 1 to 100: fledge routes all traffic to the primary at once after promotion${step > 100 ? ', as Flagger does with a step past 100' : ''}`,
  });
  return {};
}

function weights(flagger: FlaggerAnalysis, path: string, report: ConversionReport): Fields {
  if (!flagger.stepWeights?.length) {
    return {
      stepWeight: flagger.stepWeight,
      ...(flagger.maxWeight !== undefined ? { maxWeight: flagger.maxWeight } : {}),
    };
  }
  const last = flagger.stepWeights.at(-1);
  if (flagger.maxWeight !== undefined && flagger.maxWeight !== last) {
    report.notes.push({
      path: `${path}.maxWeight`,
      kind: 'dropped',
      message: `Flagger ignores maxWeight ${flagger.maxWeight} with stepWeights; the last step (${last}) is the maximum`,
    });
  }
  return { stepWeights: flagger.stepWeights };
}

function convertAffinity(
  affinity: FlaggerAnalysis['sessionAffinity'],
  path: string,
  report: ConversionReport,
): Fields {
  if (affinity === undefined) return {};
  for (const field of Object.keys(affinity)) {
    if (field === 'cookieName' || field === 'maxAge') continue;
    report.notes.push({
      path: `${path}.${field}`,
      kind: 'dropped',
      message:
        field === 'primaryCookieName'
          ? 'fledge keeps only the users who reached the canary where they are; a user on the primary may reach the canary as its weight grows'
          : 'no counterpart in fledge',
    });
  }
  return {
    sessionAffinity: {
      cookieName: affinity.cookieName,
      ...(affinity.maxAge !== undefined ? { maxAge: affinity.maxAge } : {}),
    },
  };
}

/** One of Flagger's match conditions as fledge's: its headers, and a cookie where Flagger's regex is one. */
function convertRequestMatch(
  item: FlaggerRequestMatch,
  path: string,
  report: ConversionReport,
): Fields {
  for (const field of Object.keys(item)) {
    if (field === 'headers') continue;
    report.problems.push({
      path: `${path}.${field}`,
      message: ROUTE_MATCHES.has(field)
        ? `is not in fledge's match, which takes headers and cookies: Linkerd's HTTPRoute matches ${field} in a rule of your own route (fledge keeps your rules and adds its header matches to the ones that route to the Rollout's Services); move it there and remove it here`
        : `is Istio's and Linkerd's routes have no counterpart; remove it (the match would send other requests to the canary without it, so fledge does not leave it out for you)`,
    });
  }
  const headers: Record<string, Fields> = {};
  const cookies: Record<string, Fields> = {};
  for (const [name, condition] of Object.entries(item.headers ?? {})) {
    const at = `${path}.headers.${name}`;
    const cookie =
      name.toLowerCase() === 'cookie' ? FLAGGER_COOKIE_REGEX.exec(condition.regex ?? '') : null;
    if (cookie) {
      const [, cookieName, value] = cookie as unknown as [string, string, string];
      cookies[cookieName] = { exact: value };
      report.notes.push({
        path: `${at}.regex`,
        kind: 'changed',
        message: `became cookies: {${cookieName}: {exact: ${value}}}, the same match`,
      });
      continue;
    }
    const converted = convertStringMatch(condition, at, report);
    if (converted) headers[name] = converted;
  }
  return {
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(Object.keys(cookies).length > 0 ? { cookies } : {}),
  };
}

function convertStringMatch(
  condition: FlaggerStringMatch,
  path: string,
  report: ConversionReport,
): Fields | undefined {
  const set = (['exact', 'prefix', 'suffix', 'regex'] as const).filter(
    (kind) => condition[kind] !== undefined && condition[kind] !== '',
  );
  if (set.length !== 1) {
    report.problems.push({
      path,
      message: `${set.length === 0 ? 'sets none' : `sets ${set.join(' and ')}`}: a header condition is one of exact, prefix, suffix or regex`,
    });
    return undefined;
  }
  const kind = set[0] as (typeof set)[number];
  const value = condition[kind] as string;
  if (kind === 'exact' || kind === 'regex') return { [kind]: value };
  // Gateway API has Exact and RegularExpression only; Linkerd's must match the whole value.
  const regex = kind === 'prefix' ? `${escapeRegex(value)}.*` : `.*${escapeRegex(value)}`;
  report.notes.push({
    path: `${path}.${kind}`,
    kind: 'changed',
    message: `became regex ${JSON.stringify(regex)}: Gateway API has no ${kind} match`,
  });
  return { regex };
}

/** What the Rust regex crate's `escape` escapes, so the text matches itself. */
function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$#&\-~]/g, '\\$&');
}
