import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  /** At most the first kilobyte, for the log; never for a status message. */
  body: string;
}

const BODY_LIMIT = 1024;

/** A refusal to send before anything went on the wire; its message says what to change. */
export class UnsendableError extends Error {
  override name = 'UnsendableError';
}

function requestOptions(
  url: URL,
  body: Buffer,
  proxy: URL | undefined,
  authorization: string | undefined,
): http.RequestOptions {
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': body.length,
    ...(authorization === undefined ? {} : { Authorization: authorization }),
  };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsendableError(`${url.href} is not an http(s) url; webhooks are HTTP POSTs`);
  }
  if (!proxy) return { method: 'POST', headers };
  if (url.protocol !== 'http:') {
    throw new UnsendableError(
      `the mesh proxy ${proxy.origin} forwards plain http only, and ${url.href} is ${url.protocol.slice(0, -1)}; use an http:// url for in-cluster webhooks`,
    );
  }
  if (proxy.username) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  // Absolute-form request line: the proxy resolves the name, as a meshed client's proxy would.
  return {
    method: 'POST',
    host: proxy.hostname,
    port: proxy.port || 80,
    path: url.href,
    headers: { ...headers, Host: url.host },
  };
}

/** POSTs a JSON body, directly or through an HTTP forward proxy, and reads the answer. */
export function postJson(
  url: URL,
  json: string,
  options: { signal: AbortSignal; proxy?: URL; authorization?: string },
): Promise<HttpAnswer> {
  const body = Buffer.from(json);
  const settings = {
    ...requestOptions(url, body, options.proxy, options.authorization),
    signal: options.signal,
  };
  return new Promise((resolve, reject) => {
    const onAnswer = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8'),
        }),
      );
      res.on('error', reject);
    };
    const request = options.proxy
      ? http.request(settings, onAnswer)
      : (url.protocol === 'https:' ? https : http).request(url, settings, onAnswer);
    request.on('error', reject);
    request.end(body);
  });
}
