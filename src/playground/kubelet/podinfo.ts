import { createHmac } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { EnvVar } from './app-behaviour.js';

/**
 * podinfo's HTTP API (stefanprodan/podinfo, pkg/api/http), as far as Flagger's tutorials and
 * tests call it: `/`, `/version`, `/healthz`, `/readyz`, `/status/{code}`, `/delay/{seconds}`
 * and `POST /token`. Pure: the pod app does the waiting and the writing.
 */

/** Who answers: the pod, its container and image; podinfo's UI settings from its environment. */
export interface PodinfoIdentity {
  pod: string;
  namespace: string;
  container: string;
  image: string;
  version: string;
  env?: EnvVar[];
}

export interface PodinfoRequest {
  method: string;
  /** The path without the query. */
  path: string;
  body: string;
  headers?: Record<string, string | string[] | undefined>;
}

export interface PodinfoAnswer {
  status: number;
  /** JSON, or a string sent as text/plain. */
  body: unknown;
  /** How long podinfo waits before answering (`/delay`). */
  delayMs: number;
  /** The kubelet's probes: ERROR_RATE and LATENCY_MS leave them alone, as podinfo's fault injection does. */
  probe: boolean;
}

/** podinfo's REVISION is its git commit; a playground pod has none. */
const COMMIT = 'playground';
/** Signs tokens; podinfo's default --jwt-secret is as public as this. */
const JWT_SECRET = 'fledge-playground-podinfo';
/** The longest `/delay` honoured, as LATENCY_MS's bound. */
const MAX_DELAY_SECONDS = 600;

/** At most this many `x-` request headers are echoed, each cut at this length. */
const ECHOED_HEADERS = 16;
const ECHOED_LENGTH = 256;

/**
 * The request's `x-` headers, so that a client can see what the mesh's route filters sent on:
 * the first few, cut short. podinfo has no such field; the playground adds it to `/`.
 */
function echoedHeaders(headers: PodinfoRequest['headers'] = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith('x-'))
      .slice(0, ECHOED_HEADERS)
      .map(([name, value]) => [name, String(value).slice(0, ECHOED_LENGTH)]),
  );
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386' };

function envOf(identity: PodinfoIdentity, name: string): string | undefined {
  return identity.env?.find((variable) => variable.name === name)?.value || undefined;
}

/** podinfo's RuntimeResponse, with the playground's own fields (pod, container, image) after it. */
export function runtimeInfo(identity: PodinfoIdentity, status: number): Record<string, unknown> {
  return {
    hostname: identity.pod,
    version: identity.version,
    revision: COMMIT,
    color: envOf(identity, 'PODINFO_UI_COLOR') ?? '#34577c',
    logo:
      envOf(identity, 'PODINFO_UI_LOGO') ??
      'https://raw.githubusercontent.com/stefanprodan/podinfo/gh-pages/cuddle_clap.gif',
    message: envOf(identity, 'PODINFO_UI_MESSAGE') ?? `greetings from podinfo v${identity.version}`,
    goos: 'linux',
    goarch: GOARCH[process.arch] ?? process.arch,
    runtime: `node${process.versions.node}`,
    num_goroutine: '1',
    num_cpu: String(availableParallelism()),
    pod: identity.pod,
    namespace: identity.namespace,
    container: identity.container,
    image: identity.image,
    status,
  };
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** A JWT as podinfo issues it: HS256, `name` the posted body (or anonymous), issuer podinfo, one minute. */
export function podinfoToken(user: string, now: Date): { token: string; expires_at: string } {
  const expires = new Date(Math.floor(now.getTime() / 1000) * 1000 + 60_000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({ name: user, iss: 'podinfo', exp: expires.getTime() / 1000 }),
  );
  const signature = createHmac('sha256', JWT_SECRET).update(`${header}.${claims}`).digest();
  return {
    token: `${header}.${claims}.${base64url(signature)}`,
    expires_at: expires.toISOString().replace('.000Z', 'Z'),
  };
}

const answer = (status: number, body: unknown, delayMs = 0, probe = false): PodinfoAnswer => ({
  status,
  body,
  delayMs,
  probe,
});

/**
 * podinfo's answer to a request. Any path podinfo does not serve answers as `/` does, so that
 * routes and load tests with paths of their own reach the app (podinfo itself answers 404).
 */
export function podinfoAnswer(
  request: PodinfoRequest,
  identity: PodinfoIdentity,
  now: Date,
): PodinfoAnswer {
  const { method, path } = request;
  const status = /^\/status\/(\d+)$/.exec(path);
  if (status && ['GET', 'POST', 'PUT'].includes(method)) {
    const code = Number(status[1]);
    if (code < 200 || code > 599) {
      return answer(400, { code: 400, message: `status ${status[1]} is not from 200 to 599` });
    }
    return answer(code, { status: code });
  }
  const delay = /^\/delay\/(\d+)$/.exec(path);
  if (delay && method === 'GET') {
    const seconds = Math.min(Number(delay[1]), MAX_DELAY_SECONDS);
    return answer(200, { delay: seconds }, seconds * 1000);
  }
  if (path === '/token') {
    if (method !== 'POST') return answer(405, '');
    return answer(200, podinfoToken(request.body === '' ? 'anonymous' : request.body, now));
  }
  if ((path === '/healthz' || path === '/readyz') && method === 'GET') {
    return answer(200, { status: 'OK' }, 0, true);
  }
  if (path === '/version' && method === 'GET') {
    return answer(200, { commit: COMMIT, version: identity.version });
  }
  return answer(200, { ...runtimeInfo(identity, 200), headers: echoedHeaders(request.headers) });
}

/**
 * The port podinfo listens on when its command line names one (`--port=9898` or
 * `--port 9898`), as Flagger's podinfo Deployment does.
 */
export function portArgument(commandLine: readonly string[]): number | undefined {
  for (const [index, word] of commandLine.entries()) {
    const value = word.startsWith('--port=')
      ? word.slice('--port='.length)
      : word === '--port'
        ? commandLine[index + 1]
        : undefined;
    if (value === undefined) continue;
    const port = Number(value);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  }
  return undefined;
}
