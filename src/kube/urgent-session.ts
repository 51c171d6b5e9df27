import http2 from 'node:http2';
import type https from 'node:https';
import { identityOf, sameIdentity, type TlsIdentity } from './tls-identity.js';

/** HTTP/2 forbids these per-connection headers on a stream; Node throws on them. */
const connectionHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'http2-settings',
]);

/**
 * Node's default receive window is 64 KiB for the whole connection: a burst of status
 * answers (each a whole Rollout) then waits for window updates, round trip after round trip.
 * client-go opens its connection's window much wider.
 */
const WINDOW_BYTES = 16 * 1024 * 1024;

/** An answer read to its end: its status and its body. */
export interface Answer {
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
  /**
   * Called once the stream is opened on a session, a live one or one being dialled: the
   * call's deadline counts from here, a dial and any wait for one of the server's streams
   * (kube-apiserver allows 250 at once) included.
   */
  opened(): void;
}

/**
 * The call was never sent: its session never connected (refused HTTP/2, a dial that failed,
 * a middlebox that resets HTTP/2). It may go over HTTP/1.1 without reaching the server twice.
 */
export class UrgentNotSent extends Error {
  override readonly name = 'UrgentNotSent';
}

export interface LivenessOptions {
  /** How often a session is pinged. */
  pingEveryMs: number;
  /** A ping unanswered this long means the connection is dead: the session is dropped. */
  pingTimeoutMs: number;
}

/** Sessions in a row that answer nothing before the lane turns to HTTP/1.1. */
const MUTE_SESSIONS = 3;

/** As client-go checks its HTTP/2 connections: a ping after 30 s, 15 s for the answer. */
const defaultLiveness: LivenessOptions = { pingEveryMs: 30_000, pingTimeoutMs: 15_000 };

/**
 * The urgent lane on one HTTP/2 connection to the API server, dialled at the first urgent
 * request and kept while it answers pings. Over HTTP/1.1 each of a rollback's two writes (its
 * status, its route) needed a connection of its own, and the urgent lane's were cold: at
 * 1,000 progressing Rollouts the route write reached a busy API server up to 406 ms after its
 * status (p99), most of it a TLS handshake. On one live connection both go at once as
 * streams. client-go also speaks HTTP/2 to the API server.
 *
 * A connection that dies silently (a NAT's idle timeout, a node gone) would hold every
 * rollback until its timeout, so the session is pinged and dropped when a ping goes
 * unanswered; the next call dials anew.
 *
 * `sends` says whether a call can go this way: HTTPS without basic auth (the caller keeps
 * proxied calls to their proxy's agent), to a server that has not refused HTTP/2. Once one
 * has, the lane stays on HTTP/1.1 for this process.
 */
export class UrgentSession {
  private session: http2.ClientHttp2Session | undefined;
  private dialledFor: { origin: string; identity: TlsIdentity } | undefined;
  private refused = false;
  /** Streams in flight per session: a new session may take over while the old one's finish. */
  private readonly streams = new WeakMap<http2.ClientHttp2Session, number>();
  private readonly answered = new WeakSet<http2.ClientHttp2Session>();
  /** Sessions in a row that connected and closed without answering a single call. */
  private mute = 0;

  constructor(private readonly liveness: LivenessOptions = defaultLiveness) {}

  sends(url: URL, options: https.RequestOptions): boolean {
    return !this.refused && url.protocol === 'https:' && !options.auth;
  }

  /** Closes the session once its calls are answered; the next urgent request dials again. */
  close(): void {
    if (this.session) closeWhenConnected(this.session);
    this.session = undefined;
  }

  /**
   * Sends one request as a stream of the session. Rejects with UrgentNotSent when the session
   * never connected (if the server refused HTTP/2, `sends` is false from now on), with the
   * caller's abort, or when the stream or its session fails before the answer ended.
   */
  async request(call: UrgentCall): Promise<Answer> {
    const session = this.sessionFor(call.url, call.options);
    try {
      const stream = session.request(headersOf(call), { signal: call.signal });
      this.holdOpen(session, stream);
      call.opened();
      const answer = await answerOf(stream, call.payload);
      this.answered.add(session);
      return answer;
    } catch (error) {
      if (refusesAlpn(error)) this.refuse(session);
      if (!connected(session) && !call.signal.aborted) {
        throw new UrgentNotSent('the urgent lane could not reach the API server over HTTP/2', {
          cause: error,
        });
      }
      throw error;
    }
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
      const left = Math.max(0, (this.streams.get(session) ?? 0) - 1);
      this.streams.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
  }

  private sessionFor(url: URL, options: https.RequestOptions): http2.ClientHttp2Session {
    const identity = identityOf(options);
    const current = this.session;
    const same =
      this.dialledFor?.origin === url.origin && sameIdentity(this.dialledFor.identity, identity);
    if (current && !current.closed && !current.destroyed && same) return current;
    // Another server, or a renewed client certificate: the old session's calls finish first.
    if (current) closeWhenConnected(current);
    const session = http2.connect(url.origin, {
      ...identity,
      settings: { initialWindowSize: WINDOW_BYTES },
    });
    session.once('connect', () => {
      // A server that chose no protocol would read the streams as HTTP/1.1 and fail them.
      if (session.alpnProtocol !== 'h2') this.refuse(session);
      else session.setLocalWindowSize(WINDOW_BYTES);
    });
    // A session's failure reaches its streams; listening keeps it from being an unhandled error.
    session.on('error', (error) => {
      if (refusesAlpn(error)) this.refuse(session);
    });
    const pinger = setInterval(() => this.ping(session), this.liveness.pingEveryMs);
    pinger.unref();
    session.once('close', () => {
      clearInterval(pinger);
      if (this.session === session) this.session = undefined;
      // Something between us and the API server (a proxy) that takes HTTP/2 and then resets
      // it would fail every rollback: after three such sessions the lane keeps to HTTP/1.1.
      // Their calls may have been read, so they are not sent again.
      if (!connected(session)) return;
      this.mute = this.answered.has(session) ? 0 : this.mute + 1;
      if (this.mute >= MUTE_SESSIONS) this.refused = true;
    });
    session.unref();
    this.session = session;
    this.dialledFor = { origin: url.origin, identity };
    return session;
  }

  /** Drops the session unless the server answers a ping in time. */
  private ping(session: http2.ClientHttp2Session): void {
    if (session.connecting || session.destroyed) return;
    const dead = setTimeout(() => session.destroy(), this.liveness.pingTimeoutMs);
    dead.unref();
    const sent = session.ping((error) => {
      clearTimeout(dead);
      if (error) session.destroy();
    });
    if (!sent) clearTimeout(dead);
  }

  private refuse(session: http2.ClientHttp2Session): void {
    this.refused = true;
    session.destroy();
  }
}

/** The TLS alert of a server that offers no protocol the client asked for (ALPN). */
const refusesAlpn = (error: unknown): boolean =>
  (error as NodeJS.ErrnoException | undefined)?.code ===
  'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL';

/** The session got as far as HTTP/2 (Node keeps the protocol once chosen, after close too). */
const connected = (session: http2.ClientHttp2Session): boolean => session.alpnProtocol === 'h2';

/** A session still dialling would fail the streams waiting on it if closed now. */
function closeWhenConnected(session: http2.ClientHttp2Session): void {
  if (session.connecting) session.once('connect', () => session.close());
  else session.close();
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

/**
 * The answer, once the stream closed cleanly after its end: a session that dies mid-answer
 * still ends its streams, with what had arrived, and resets them.
 */
function answerOf(stream: http2.ClientHttp2Stream, payload: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    let ended = false;
    let failure: unknown;
    const chunks: Buffer[] = [];
    stream.once('response', (headers) => {
      status = Number(headers[':status']) || 0;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => {
      ended = true;
    });
    stream.once('error', (error: NodeJS.ErrnoException) => {
      // A dial that failed cancels the streams waiting on it; its own error says why.
      failure = error.code === 'ERR_HTTP2_STREAM_CANCEL' && error.cause ? error.cause : error;
    });
    stream.once('close', () => {
      if (failure !== undefined) reject(failure);
      else if (
        status !== undefined &&
        ended &&
        stream.rstCode === http2.constants.NGHTTP2_NO_ERROR
      ) {
        resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
      } else reject(new Error('the connection closed before the answer ended'));
    });
    stream.end(payload);
  });
}
