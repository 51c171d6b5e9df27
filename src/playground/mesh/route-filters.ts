/**
 * The route filters and timeouts Linkerd's proxy applies (Gateway API HTTPRoute and GRPCRoute):
 * RequestHeaderModifier, ResponseHeaderModifier and RequestRedirect, on a rule or on one of its
 * backends; a rule's `timeouts` (and Linkerd's `timeout.linkerd.io/request` annotation), past
 * which the proxy answers 504 (gRPC: DEADLINE_EXCEEDED). Linkerd has no RequestMirror and no
 * URLRewrite for mesh routes: they are reported and ignored.
 */

export type Headers = Record<string, string | number | string[] | undefined>;

export interface HeaderModifier {
  set: Array<[string, string]>;
  add: Array<[string, string]>;
  remove: string[];
}

export interface Redirect {
  scheme?: string;
  hostname?: string;
  port?: number;
  path?: { type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; value: string };
  statusCode: number;
}

export interface RouteFilters {
  request: HeaderModifier[];
  response: HeaderModifier[];
  redirect?: Redirect;
}

export const noFilters = (): RouteFilters => ({ request: [], response: [] });

// biome-ignore lint/suspicious/noExplicitAny: filters arrive as untyped JSON
type Untyped = any;

function pairs(list: unknown): Array<[string, string]> {
  return (Array.isArray(list) ? list : [])
    .filter((header: Untyped) => typeof header?.name === 'string')
    .map((header: Untyped) => [String(header.name).toLowerCase(), String(header.value ?? '')]);
}

function modifier(spec: Untyped): HeaderModifier {
  return {
    set: pairs(spec?.set),
    add: pairs(spec?.add),
    remove: (Array.isArray(spec?.remove) ? spec.remove : []).map((name: unknown) =>
      String(name).toLowerCase(),
    ),
  };
}

/** The filters of a rule or backend; what Linkerd does not support goes to `problems`. */
export function parseFilters(list: unknown, where: string, problems: string[]): RouteFilters {
  const filters = noFilters();
  for (const [i, filter] of (Array.isArray(list) ? list : []).entries()) {
    const type = (filter as Untyped)?.type;
    if (type === 'RequestHeaderModifier') {
      filters.request.push(modifier((filter as Untyped).requestHeaderModifier));
    } else if (type === 'ResponseHeaderModifier') {
      filters.response.push(modifier((filter as Untyped).responseHeaderModifier));
    } else if (type === 'RequestRedirect') {
      const spec = (filter as Untyped).requestRedirect ?? {};
      filters.redirect = {
        scheme: spec.scheme,
        hostname: spec.hostname,
        port: typeof spec.port === 'number' ? spec.port : undefined,
        path: spec.path?.type
          ? {
              type: spec.path.type,
              value: spec.path.replaceFullPath ?? spec.path.replacePrefixMatch ?? '/',
            }
          : undefined,
        statusCode: spec.statusCode === 301 ? 301 : 302,
      };
    } else {
      problems.push(
        `${where}.filters[${i}]: Linkerd does not support filter type ${JSON.stringify(type)} on mesh routes; it is ignored`,
      );
    }
  }
  return filters;
}

/** Applies modifiers in order to a copy of `headers` (names lower-cased, as Node gives them). */
export function modifyHeaders(headers: Headers, modifiers: HeaderModifier[]): Headers {
  const out: Headers = { ...headers };
  for (const { set, add, remove } of modifiers) {
    for (const [name, value] of set) out[name] = value;
    for (const [name, value] of add) {
      const current = out[name];
      if (current === undefined) out[name] = value;
      else if (Array.isArray(current)) out[name] = [...current, value];
      // Set-Cookie is never folded into one line; other headers are, with commas.
      else out[name] = name === 'set-cookie' ? [String(current), value] : `${current},${value}`;
    }
    for (const name of remove) delete out[name];
  }
  return out;
}

/** Where a RequestRedirect sends a request for `host` and `path`. */
export function redirectLocation(
  redirect: Redirect,
  host: string,
  path: string,
  prefix?: string,
): string {
  const [hostname = host, hostPort] = host.split(':');
  const port = redirect.port ?? (redirect.hostname ? undefined : hostPort);
  let target = path;
  if (redirect.path?.type === 'ReplaceFullPath') target = redirect.path.value;
  if (redirect.path?.type === 'ReplacePrefixMatch' && prefix && path.startsWith(prefix)) {
    target = `${redirect.path.value.replace(/\/$/, '')}${path.slice(prefix.length)}` || '/';
  }
  return `${redirect.scheme ?? 'http'}://${redirect.hostname ?? hostname}${port ? `:${port}` : ''}${target}`;
}

const DURATION = /^(?:(\d{1,5})h)?(?:(\d{1,5})m)?(?:(\d{1,5})s)?(?:(\d{1,5})ms)?$/;

/** A Gateway API duration (`10s`, `1m30s`, `500ms`) in ms; undefined when not one, or zero. */
export function durationMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const parts = DURATION.exec(text);
  if (!parts) return undefined;
  const [, h = '0', m = '0', s = '0', ms = '0'] = parts;
  const total = ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms);
  return total > 0 ? total : undefined;
}
