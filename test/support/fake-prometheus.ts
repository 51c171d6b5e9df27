/**
 * A stand-in for Prometheus's query API on 127.0.0.1, for tests of what a MetricTemplate's own
 * provider is asked: it answers every query with one vector sample of `value` and records what
 * it was asked. Over https when given a key and certificate.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { close } from './receiver.js';

export interface AskedQuery {
  headers: IncomingMessage['headers'];
  /** The form's `query`, as fledge rendered it. */
  query: string;
}

export interface FakePrometheus {
  address: string;
  /** Every query asked, in order; a test may empty it between cases. */
  asked: AskedQuery[];
  close(): Promise<void>;
}

export async function startFakePrometheus(options: {
  value: string;
  tls?: { key: string; cert: string };
}): Promise<FakePrometheus> {
  const asked: AskedQuery[] = [];
  const answer = JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [1, options.value] }] },
  });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const query = new URLSearchParams(Buffer.concat(chunks).toString()).get('query') ?? '';
      asked.push({ headers: req.headers, query });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
    });
  };
  const server = options.tls
    ? createHttpsServer(options.tls, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheme = options.tls ? 'https' : 'http';
  return {
    address: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    close: () => close(server),
  };
}
