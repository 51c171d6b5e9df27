import http from 'node:http';

export interface ProxyRequest {
  method?: string;
  /** Added to a Host header naming `url`'s host, which these may override. */
  headers?: Record<string, string>;
  body?: string;
  /** Default: Node's global agent. */
  agent?: http.Agent;
  /** Fails the request when its socket idles this long; default: never. */
  timeoutMs?: number;
}

export interface ProxyAnswer {
  status: number;
  body: string;
  /** From sending the request to the end of the answer. */
  ms: number;
}

/**
 * One request to `url` through an HTTP forward proxy such as the playground's mesh proxy, in
 * absolute form as a meshed caller sends it. Rejects on a connection error or timeout;
 * an answer of any status resolves.
 */
export function viaProxy(
  proxyUrl: string | URL,
  url: string,
  { method = 'GET', headers = {}, body, agent, timeoutMs }: ProxyRequest = {},
): Promise<ProxyAnswer> {
  const proxy = new URL(proxyUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method,
        path: url,
        headers: { host: new URL(url).host, ...headers },
        agent,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text,
            ms: performance.now() - started,
          }),
        );
      },
    );
    if (timeoutMs !== undefined) {
      request.setTimeout(timeoutMs, () =>
        request.destroy(new Error(`no answer from ${url} within ${timeoutMs / 1000} s`)),
      );
    }
    request.on('error', reject);
    request.end(body);
  });
}
