import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';

/** Flagger's limit on one alert: the service answers within it or the alert is given up. */
export const ALERT_TIMEOUT_MS = 5000;
/** The largest body sent: Microsoft Teams refuses messages over 28 KB. */
export const MAX_BODY_BYTES = 28 * 1024;

export interface AlertRequest {
  url: string;
  body: unknown;
  /** Sent as `Authorization: Bearer` when set. */
  token?: string;
  /** HTTP(S) proxy, reached with CONNECT whatever the target's scheme. */
  proxy?: string;
}

export interface AlertDelivery {
  ok: boolean;
  /** The service's status code, when it answered. */
  status?: number;
  /** What happened, naming the service by its origin only: a webhook URL's path is its secret. */
  message: string;
}

function networkCause(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'refused the connection (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `could not be resolved (${code})`;
  if (code === 'ECONNRESET') return 'closed the connection before answering (ECONNRESET)';
  return `could not be reached (${code ?? message ?? String(error)})`;
}

/**
 * POSTs one alert as JSON, once, within `timeoutMs`. Never throws. Only the status code of
 * the answer is kept: its body is discarded unread, so nothing a service says is echoed into
 * logs, Events or status.
 */
export async function sendAlert(
  request: AlertRequest,
  { timeoutMs = ALERT_TIMEOUT_MS, maxBytes = MAX_BODY_BYTES } = {},
): Promise<AlertDelivery> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, message: 'the address is not a URL; write it like https://host/path' };
  }
  const where = url.origin;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `${where} is not an http(s) address` };
  }
  const body = Buffer.from(JSON.stringify(request.body));
  if (body.length > maxBytes) {
    return {
      ok: false,
      message: `the message for ${where} is ${body.length} bytes, over the ${maxBytes} bytes a chat service takes`,
    };
  }
  let agent: http.Agent | undefined;
  if (request.proxy) {
    try {
      agent = new HttpsProxyAgent(request.proxy);
    } catch {
      return { ok: false, message: 'the proxy is not a URL; write it like http://proxy:3128' };
    }
  }
  const via = request.proxy ? ` through the proxy ${new URL(request.proxy).host}` : '';
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Content-Length': body.length,
    'User-Agent': 'fledge-alerts',
    ...(request.token ? { Authorization: `Bearer ${request.token}` } : {}),
  };
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise<AlertDelivery>((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const sent = client.request(url, { method: 'POST', headers, agent, signal }, (answer) => {
      answer.resume();
      const status = answer.statusCode ?? 0;
      const line = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
      resolve(
        status >= 200 && status < 300
          ? { ok: true, status, message: `${where}${via} answered ${line}` }
          : { ok: false, status, message: `${where}${via} answered ${line}` },
      );
    });
    sent.on('error', (error) => {
      const message = signal.aborted
        ? `${where}${via} did not answer within ${timeoutMs / 1000}s`
        : `${where}${via} ${networkCause(error)}`;
      resolve({ ok: false, message });
    });
    sent.end(body);
  }).finally(() => agent?.destroy());
}
