import http2 from 'node:http2';
import type https from 'node:https';
import { identityOf, sameIdentity, type TlsIdentity } from './tls-identity.js';

/** HTTP/2 forbids these per-connection headers on a stream. */
const connectionHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** An answer on the urgent lane: its status and its body, read to the end. */
export interface UrgentAnswer {
  status: number;
  body: string;
}

export interface UrgentCall {
  url: URL;
  method: string;
  /** The request's options as the kubeconfig filled them: headers and TLS identity. */
  options: https.RequestOptions;
  payload: string | undefined;
  signal: AbortSignal;
  /** Called once the stream is opened on a session (a warm one or one being dialled). */
  opened(): void;
}

/**
 * The urgent lane on one HTTP/2 connection to the API server, dialled at the first urgent
 * request and kept open. Over HTTP/1.1 each of a rollback's two writes (its status, its
 * route) needed a connection of its own, and the urgent lane's were cold: at 1,000
 * progressing Rollouts the route write reached a busy API server up to 406 ms after its
 * status (p99), most of it a TLS handshake. On one warm connection both go at once as
 * streams. client-go also speaks HTTP/2 to the API server.
 *
 * `sends` says whether a call can go this way: HTTPS without basic auth (the caller keeps
 * proxied calls to their proxy's agent), to a server that has not refused HTTP/2 (ALPN).
 * Once it has, the lane stays on HTTP/1.1.
 */
export class UrgentSession {
  private session: http2.ClientHttp2Session | undefined;
  private identity: TlsIdentity = {};
  /** The server offered no HTTP/2 when dialled: this lane keeps to HTTP/1.1. */
  private refused = false;
  /** Streams in flight per session: a new session may take over while the old one's finish. */
  private readonly streams = new WeakMap<http2.ClientHttp2Session, number>();

  sends(url: URL, options: https.RequestOptions): boolean {
    return !this.refused && url.protocol === 'https:' && !options.auth;
  }

  /** Closes the session; the next urgent request dials again. */
  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  /**
   * Sends one request as a stream of the session. Rejects when the server offered no HTTP/2
   * (then `sends` is false from now on and the caller may send it over HTTP/1.1), when the
   * call is aborted, or when the stream or its session fails.
   */
  async request(call: UrgentCall): Promise<UrgentAnswer> {
    const session = this.sessionFor(call.url, call.options);
    const stream = session.request(headersOf(call), { signal: call.signal });
    this.holdOpen(session, stream);
    call.opened();
    return answerOf(stream, call.payload);
  }

  /**
   * An idle session must not keep a process (the CLI, a test) alive, but one with a call in
   * flight must: the caller awaits its answer.
   */
  private holdOpen(session: http2.ClientHttp2Session, stream: http2.ClientHttp2Stream): void {
    const open = (this.streams.get(session) ?? 0) + 1;
    this.streams.set(session, open);
    if (open === 1) session.ref();
    stream.once('close', () => {
      const left = (this.streams.get(session) ?? 1) - 1;
      this.streams.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
  }

  private sessionFor(url: URL, options: https.RequestOptions): http2.ClientHttp2Session {
    const identity = identityOf(options);
    const current = this.session;
    if (current && !current.closed && !current.destroyed && sameIdentity(this.identity, identity)) {
      return current;
    }
    // A renewed client certificate dials anew; the old session's streams finish first.
    current?.close();
    const session = http2.connect(url.origin, identity);
    session.once('connect', () => {
      // A server without ALPN: it would take the streams for HTTP/1.1 and fail them.
      if (session.alpnProtocol !== 'h2') this.refuse(session);
    });
    // A session's failure reaches its streams; listening keeps it from being an unhandled error.
    session.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') this.refuse(session);
    });
    session.once('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    this.identity = identity;
    return session;
  }

  private refuse(session: http2.ClientHttp2Session): void {
    this.refused = true;
    session.destroy();
  }
}

function headersOf(call: UrgentCall): http2.OutgoingHttpHeaders {
  const headers: http2.OutgoingHttpHeaders = {
    ':method': call.method,
    ':path': `${call.url.pathname}${call.url.search}`,
  };
  for (const [name, value] of Object.entries(call.options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (value !== undefined && !connectionHeaders.has(lower)) headers[lower] = value;
  }
  return headers;
}

function answerOf(
  stream: http2.ClientHttp2Stream,
  payload: string | undefined,
): Promise<UrgentAnswer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    stream.once('response', (headers) => {
      status = Number(headers[':status']) || 0;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
    stream.once('error', reject);
    // A stream reset, or its session gone, may close it without 'error' or 'end'.
    stream.once('close', () => reject(new Error('the stream closed before the answer ended')));
    stream.end(payload);
  });
}
