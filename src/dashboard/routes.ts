import type { ManualAction } from '../../machines/allowedActions.js';
import { MANUAL_ACTIONS } from '../cli/manual-action.js';

/** What a request to the dashboard asks for, once its method and path are understood. */
export type Route =
  | { kind: 'asset'; path: string }
  | { kind: 'list'; namespace: string }
  | { kind: 'timeline'; namespace: string; name: string }
  | { kind: 'action'; namespace: string; name: string; action: ManualAction }
  | { kind: 'invalid'; status: 400 | 404 | 405; message: string };

/** Kubernetes object names: DNS-1123 subdomains. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Parses a request line into a route; pure, so every path has a table test. */
export function routeOf(method: string, url: string): Route {
  const parsed = new URL(url, 'http://dashboard');
  const parts = parsed.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'api') {
    if (method !== 'GET' && method !== 'HEAD') return invalid(405, 'the page is read with GET');
    return { kind: 'asset', path: parsed.pathname };
  }
  let segments: string[];
  try {
    segments = parts.slice(1).map(decodeURIComponent);
  } catch {
    return invalid(400, 'the path is not valid URL encoding');
  }
  const [collection, namespace, name, what, action] = segments;
  if (collection !== 'rollouts') return invalid(404, 'the API has /api/rollouts only');
  if (namespace === undefined) {
    if (method !== 'GET') return invalid(405, '/api/rollouts is read with GET');
    const only = parsed.searchParams.get('namespace') ?? '';
    if (only && !NAME.test(only)) return invalid(400, `namespace "${only}" is not a valid name`);
    return { kind: 'list', namespace: only };
  }
  if (!name || !NAME.test(namespace) || !NAME.test(name)) {
    return invalid(400, 'a rollout is /api/rollouts/NAMESPACE/NAME with valid Kubernetes names');
  }
  if (what === 'timeline' && action === undefined) {
    if (method !== 'GET') return invalid(405, 'a timeline is read with GET');
    return { kind: 'timeline', namespace, name };
  }
  if (what === 'actions' && action !== undefined && segments.length === 5) {
    if (!(MANUAL_ACTIONS as readonly string[]).includes(action)) {
      return invalid(404, `no action "${action}"; the actions are ${MANUAL_ACTIONS.join(', ')}`);
    }
    if (method !== 'POST') return invalid(405, 'an action is taken with POST');
    return { kind: 'action', namespace, name, action: action as ManualAction };
  }
  return invalid(404, 'a rollout has /timeline and /actions/ACTION');
}

function invalid(status: 400 | 404 | 405, message: string): Route {
  return { kind: 'invalid', status, message };
}
