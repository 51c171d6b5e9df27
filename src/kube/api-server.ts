import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { checkTimeout, LinkedAbort } from './abort.js';
import { identityOf, sameIdentity, type TlsIdentity } from './tls-identity.js';
import { Turns } from './turns.js';
import { UrgentFirst } from './urgent-first.js';
import { type Answer, UrgentNotSent, UrgentSession } from './urgent-session.js';

/**
 * Where the API server is and what a request to it carries: fledge's Kubeconfig, or
 * client-node's KubeConfig (the playground and tests, which also use its typed clients).
 */
export interface ClusterAccess {
  getCurrentCluster(): { server: string; proxyUrl?: string } | null;
  /** Sets TLS options, credentials and, if needed, the agent on one request. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
  /** Told when the API server refused the credentials (401), so that they are renewed. */
  credentialsRejected?(): void;
}

/** Raw JSON as the API server sends it: timestamps stay strings, unknown fields survive. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/**
 * The least the kube modules need of an object, so callers may use their own types (for
 * example client-node's, whose timestamps are typed as Dates).
 */
export interface ObjectWithMeta {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A failed API call, carrying what a person needs: the request, the status code and the server's reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly reason: string,
    readonly serverMessage: string,
  ) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${serverMessage}`);
  }
}

/** The HTTP status of an error from this module or from client-node's typed clients (ApiException.code). */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof KubeApiError) return error.statusCode;
  if (typeof error === 'object' && error !== null) {
    const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode === 'number') return statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;
export const isAlreadyExists = isConflict;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** The Accept header; JSON by default. A metadata-only list or watch names its `as=` here. */
  accept?: string;
  /**
   * The call, from the moment it has a connection (a pooled one or a new one to dial) to the
   * last byte of the answer (for a stream: to its headers), must fit in this; default 30 s.
   * The wait for one of the pool's sockets is not counted: when the queue is longer than the
   * timeout, every request in it would time out and its retry join the queue again, and the
   * controller would send ever more and get nothing done (10,000 Rollouts initializing).
   */
  timeoutMs?: number;
  /** Aborts the call, wherever it is; the error then carries the signal's reason as cause. */
  signal?: AbortSignal;
  /**
   * Sent on the urgent lane: a connection of its own (one HTTP/2 connection kept open, where
   * the API server speaks HTTP/2), so the call never waits for a socket behind routine
   * requests, nor for a TLS handshake. For what takes traffic away from a failing canary (and
   * the status that decides it), whose delay is a user's failed requests.
   */
  urgent?: boolean;
}

/** What callers of the typed wrappers (ResourceClient) may pass on to one call. */
export type CallOptions = Pick<RequestOptions, 'signal' | 'timeoutMs' | 'accept' | 'urgent'>;

/**
 * Told of every request as it is sent (method, path, whether a watch, whether on the urgent
 * lane), so a caller can count them. If it returns a RequestTrace, that is told when the
 * request gets its connection and when it ends; anything else it returns is ignored.
 */
export type RequestObserver = (
  method: string,
  path: string,
  watch: boolean,
  urgent: boolean,
) => unknown;

/** One request's milestones, for a caller that times them. */
export interface RequestTrace {
  /**
   * The request has a connection (a pooled one or a new one): until then it waited for one
   * of the pool's sockets.
   */
  connected(): void;
  /** The answer was read to its end, or the call failed (a stream: its headers arrived). */
  ended(): void;
}

/** A call that was given up: its timeout passed, or its caller's signal aborted it. */
export class KubeRequestAborted extends Error {
  override readonly name = 'KubeRequestAborted';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(
      `${method} ${path}: ${timedOut ? '' : 'aborted: '}${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

const defaultTimeoutMs = 30_000;

/** A request ready to go: where, with which options and credentials, and on which lane. */
interface Outgoing {
  url: URL;
  requestOptions: https.RequestOptions;
  payload: string | undefined;
  lane: Lane;
  /** The kubeconfig names a proxy: its own agent dials it. */
  proxied: boolean;
}

type Lane = 'routine' | 'urgent';
/**
 * Sockets per lane over HTTP/1.1. The urgent lane carries a rollback's status and route
 * writes, which go out together; it uses them only where the API server speaks no HTTP/2
 * (urgent-session.ts). Canaries fail together (one bad image in many services): with 8 the
 * 50 rollbacks of one interval at 1,000 progressing waited up to 0.9 s for a socket of their
 * own lane, and with 32 up to 238 ms once each rollback sent its two writes at once.
 */
const laneSockets: Record<Lane, number> = { routine: 32, urgent: 64 };

/**
 * JSON over HTTP to the API server named by a kubeconfig, with its credentials. The typed
 * clients of client-node turn timestamps into Dates and need one class per kind; the watcher
 * and the routers work on any group/version/plural, so they speak raw JSON through this.
 */
export class ApiServer {
  /** Keep-alive connections for short requests: the routine lane and the urgent lane. */
  private readonly pools = new Map<Lane, { agent: http.Agent; identity: TlsIdentity }>();
  /**
   * The routine lane's requests, one turn per socket: they wait here rather than in the
   * pool's own queue, so that they can give way to urgent ones.
   */
  private readonly routine = new Turns(laneSockets.routine);
  private readonly urgentFirst = new UrgentFirst(this.routine);
  private readonly urgentSession = new UrgentSession();

  /**
   * `userAgent` names the caller in the API server's audit log, so that writes of two
   * controller replicas (or of one replica before and after a restart) can be told apart.
   */
  constructor(
    readonly kc: ClusterAccess,
    private readonly userAgent = 'fledge',
    private readonly observer?: RequestObserver,
  ) {}

  /**
   * Closes the pooled connections (their requests in flight fail) and the urgent session
   * once its calls are answered; requests after it open new ones.
   */
  close(): void {
    for (const pool of this.pools.values()) pool.agent.destroy();
    this.pools.clear();
    this.urgentSession.close();
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = timeoutOf(options);
    const watch = String(options.query?.watch) === 'true';
    const urgent = options.urgent === true;
    const trace = traceOf(this.observer?.(method, path, watch, urgent));
    let turn = false;
    // Made once the request may go: at 1,000 progressing Rollouts about 1,900 requests wait
    // for a routine socket at once, and a linked signal each held about 1 KiB while waiting.
    let call: LinkedAbort | undefined;
    try {
      if (urgent) this.urgentFirst.started();
      else turn = await this.routine.take(options.signal);
      call = new LinkedAbort([options.signal]);
      const answer = await this.exchange(method, path, options, { call, timeoutMs }, trace);
      const { status, body } = answer;
      if (status < 200 || status >= 300) throw this.failed(method, path, status, body);
      return (body ? JSON.parse(body) : undefined) as T;
    } catch (error) {
      if (call) throw abortedOr(error, call, method, path);
      // Given up while it waited for a socket.
      if (options.signal?.aborted) throw new KubeRequestAborted(method, path, false, error);
      throw error;
    } finally {
      if (urgent) this.urgentFirst.ended();
      if (turn) this.routine.release();
      trace?.ended();
      call?.dispose();
    }
  }

  /**
   * Opens a long-lived GET (a watch) and hands back the response stream once the status is
   * 200; `timeoutMs` bounds the wait for the headers only, `signal` the whole stream.
   */
  async stream(path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const deadline = deadlineOf(options);
    const { call } = deadline;
    let response: IncomingMessage | undefined;
    const watch = String(options.query?.watch) === 'true';
    const trace = traceOf(this.observer?.('GET', path, watch, false));
    try {
      const outgoing = await this.prepare('GET', path, options, deadline.call.signal);
      response = await this.send(outgoing, deadline, false, trace);
      trace?.ended();
      call.clearDeadline();
      const status = response.statusCode ?? 0;
      if (status !== 200) throw this.failed('GET', path, status, await readBody(response));
      // The caller's signal stays linked for as long as the stream lives.
      response.once('close', () => call.dispose());
      return response;
    } catch (error) {
      if (!response) trace?.ended();
      call.dispose();
      response?.destroy();
      throw abortedOr(error, call, 'GET', path);
    }
  }

  private failed(method: string, path: string, status: number, body: string): KubeApiError {
    if (status === 401) this.kc.credentialsRejected?.();
    return apiError(method, path, status, body);
  }

  /** A short request's answer: over the urgent lane's HTTP/2 session when it can, else HTTP/1.1. */
  private async exchange(
    method: string,
    path: string,
    options: RequestOptions,
    deadline: { call: LinkedAbort; timeoutMs: number },
    trace: RequestTrace | undefined,
  ): Promise<Answer> {
    const outgoing = await this.prepare(method, path, options, deadline.call.signal);
    const { url, requestOptions, payload } = outgoing;
    if (options.urgent && !outgoing.proxied && this.urgentSession.sends(url, requestOptions)) {
      try {
        return await this.urgentSession.request({
          url,
          method,
          options: requestOptions,
          payload,
          signal: deadline.call.signal,
          opened: () => {
            deadline.call.startDeadline(deadline.timeoutMs);
            trace?.connected();
          },
        });
      } catch (error) {
        // Never sent (no HTTP/2 session connected): the call goes over HTTP/1.1 instead, on
        // the deadline it already started, and fails there as HTTP/1.1 would.
        if (!(error instanceof UrgentNotSent) || deadline.call.signal.aborted) throw error;
      }
    }
    const response = await this.send(outgoing, deadline, true, trace);
    const body = await readBody(response);
    return { status: response.statusCode ?? 0, body };
  }

  /** The URL, headers, credentials and body of a request. */
  private async prepare(
    method: string,
    path: string,
    options: RequestOptions,
    signal: AbortSignal,
  ): Promise<Outgoing> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster; set KUBECONFIG or --context');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const requestOptions: https.RequestOptions = {
      method,
      headers: { Accept: options.accept ?? 'application/json', 'User-Agent': this.userAgent },
    };
    await this.kc.applyToHTTPSOptions(requestOptions);
    signal.throwIfAborted();
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      requestOptions.headers = {
        ...requestOptions.headers,
        'Content-Type': options.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      };
    }
    const lane: Lane = options.urgent ? 'urgent' : 'routine';
    return { url, requestOptions, payload, lane, proxied: Boolean(cluster.proxyUrl) };
  }

  /** Sends over HTTP/1.1; resolves with the answer's headers, its body still to read. */
  private send(
    outgoing: Outgoing,
    deadline: { call: LinkedAbort; timeoutMs: number },
    pooled: boolean,
    trace: RequestTrace | undefined,
  ): Promise<IncomingMessage> {
    const { url, payload } = outgoing;
    const requestOptions = { ...outgoing.requestOptions };
    // A fresh TLS handshake per request costs more than the request itself (~8 ms on
    // loopback), so short requests share keep-alive connections. Watches keep the
    // kubeconfig's own agent: each holds its connection, which closes when the watch ends.
    if (pooled && !outgoing.proxied) {
      requestOptions.agent = this.pooledAgent(requestOptions, url.protocol, outgoing.lane);
    }
    // Node destroys the request, and the answer being read, when the signal aborts.
    requestOptions.signal = deadline.call.signal;
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = transport.request(url, requestOptions, resolve);
      request.once('socket', () => {
        deadline.call.startDeadline(deadline.timeoutMs);
        trace?.connected();
      });
      request.on('error', reject);
      request.end(payload);
    });
  }

  private pooledAgent(tls: https.RequestOptions, protocol: string, lane: Lane): http.Agent {
    const identity = identityOf(tls);
    const pool = this.pools.get(lane);
    // A pool dials with the TLS options it was made with: when the credentials change (an
    // exec plugin's renewed client certificate) a new pool takes over. The old one's requests
    // finish, and its idle sockets close after `timeout`.
    if (pool && sameIdentity(pool.identity, identity)) return pool.agent;
    // Idle sockets are unref'd by Node and closed after `timeout`: they never hold a process open.
    const common = { keepAlive: true, maxSockets: laneSockets[lane], timeout: 60_000 };
    const agent =
      protocol === 'http:' ? new http.Agent(common) : new https.Agent({ ...common, ...identity });
    this.pools.set(lane, { agent, identity });
    return agent;
  }
}

function traceOf(value: unknown): RequestTrace | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { connected, ended } = value as Partial<RequestTrace>;
  return typeof connected === 'function' && typeof ended === 'function'
    ? (value as RequestTrace)
    : undefined;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    // An answer cut off (an abort, a reset) may close without 'error' or 'end'.
    response.on('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the answer ended'));
    });
  });
}

/** A call's timeout, checked now; `send` starts it once the call has a connection. */
function timeoutOf(options: RequestOptions): number {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  checkTimeout(timeoutMs);
  return timeoutMs;
}

/** A call's abort, linked to the caller's signal, and its timeout. */
function deadlineOf(options: RequestOptions): { call: LinkedAbort; timeoutMs: number } {
  const timeoutMs = timeoutOf(options);
  return { call: new LinkedAbort([options.signal]), timeoutMs };
}

/** The error to report: a KubeRequestAborted when the call was given up, whatever Node threw then. */
function abortedOr(error: unknown, call: LinkedAbort, method: string, path: string): unknown {
  if (!call.signal.aborted || error instanceof KubeApiError) return error;
  return new KubeRequestAborted(method, path, call.timedOut, call.signal.reason);
}

function apiError(method: string, path: string, status: number, body: string): KubeApiError {
  try {
    const parsed = JSON.parse(body) as { reason?: string; message?: string };
    return new KubeApiError(
      method,
      path,
      status,
      parsed.reason ?? 'Unknown',
      parsed.message ?? body,
    );
  } catch {
    return new KubeApiError(method, path, status, 'Unknown', body.trim() || 'empty response');
  }
}
