import { TOKEN_ENV, tokenProblem } from '../loadtester/auth.js';

/**
 * The loadtester's shared token and where it may go. It is sent only to the loadtester's own
 * origins, never to the other webhooks of a Rollout: anyone who can write a Rollout chooses
 * those URLs, and would otherwise receive the token.
 */
export interface WebhookAuth {
  token: string;
  /** Origins (`http://fledge-loadtester.fledge-system`) that get `Authorization: Bearer <token>`. */
  origins: ReadonlySet<string>;
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The `Authorization` header for a webhook URL, if it is one of the loadtester's origins. */
export function authorizationFor(url: URL, auth: WebhookAuth | undefined): string | undefined {
  if (auth === undefined || !auth.origins.has(url.origin)) return undefined;
  return `Bearer ${auth.token}`;
}

/**
 * The token from the environment (FLEDGE_LOADTESTER_TOKEN, from the same Secret the
 * loadtester reads) for the loadtester at `loadtesterUrl`, under each spelling of its cluster
 * name a Rollout may use: `<svc>.<ns>`, `<svc>.<ns>.svc` and `<svc>.<ns>.svc.<domain>`.
 * Undefined when the variable is unset or empty; throws when the token is unusable.
 */
export function loadtesterAuth(
  env: Readonly<Record<string, string | undefined>>,
  loadtesterUrl: string,
  clusterDomain = 'cluster.local',
): WebhookAuth | undefined {
  const token = (env[TOKEN_ENV] ?? '').replace(/[\r\n]+$/, '');
  if (token === '') return undefined;
  const problem = tokenProblem(token);
  if (problem) throw new Error(`the token in ${TOKEN_ENV} ${problem}`);
  return { token, origins: new Set(originsOf(new URL(loadtesterUrl), clusterDomain)) };
}

function originsOf(url: URL, clusterDomain: string): string[] {
  const labels = url.hostname.replace(/\.$/, '').split('.');
  const [service, namespace, svc] = labels;
  const rest = labels.slice(3).join('.');
  const isService =
    service !== undefined &&
    namespace !== undefined &&
    labels.every((label) => LABEL.test(label)) &&
    (labels.length === 2 || (svc === 'svc' && (labels.length === 3 || rest === clusterDomain)));
  if (!isService) return [url.origin];
  const port = url.port === '' ? '' : `:${url.port}`;
  return [
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ].map((host) => `${url.protocol}//${host}${port}`);
}
