import http from 'node:http';
import { inject } from 'vitest';
import { grpcClient } from '../../support/grpc-call.js';

/** What a playground pod said, through the mesh proxy. */
export interface PodAnswer {
  status: number;
  /** The pod that answered; undefined when the proxy answered itself. */
  pod?: string;
  /** The request's `x-` headers as the pod received them. */
  headers: Record<string, string>;
  /** The first Set-Cookie of the response. */
  setCookie?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** A canary pod belongs to the target Deployment, not to `<name>-primary`. */
export const isPrimaryPod = (pod: string | undefined) => pod?.includes('-primary-') ?? false;

/** One request to `url` through the mesh proxy, as a meshed caller sends it. */
export function throughMesh(url: string, headers: Record<string, string> = {}): Promise<PodAnswer> {
  const proxy = new URL(inject('FLEDGE_MESH_PROXY'));
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        path: url,
        headers: { host: new URL(url).host, 'l5d-client': 'e2e/strategies', ...headers },
        agent,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          let body: { pod?: string; headers?: Record<string, string> } = {};
          try {
            body = JSON.parse(text);
          } catch {
            // The proxy's own answer (an error) is text.
          }
          resolve({
            status: response.statusCode ?? 0,
            pod: body.pod,
            headers: body.headers ?? {},
            setCookie: response.headers['set-cookie']?.[0],
          });
        });
      },
    );
    request.setTimeout(5000, () => request.destroy(new Error(`no answer from ${url} in 5 s`)));
    request.on('error', reject);
    request.end();
  });
}

/** `count` requests to `url` through the mesh proxy, one after the other, and who answered each. */
export async function whoAnswers(
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<PodAnswer[]> {
  const answers: PodAnswer[] = [];
  for (let i = 0; i < count; i++) answers.push(await throughMesh(url, headers));
  return answers;
}

export interface Load {
  /** Answers by status, and by whether a canary pod gave them. */
  counts(): { total: number; failed: number; canary: number };
  stop(): Promise<void>;
}

/**
 * Steady requests to `url` with `headers` through the mesh proxy, bounded in time, counting
 * failures and the canary's share.
 */
export function steadyLoad(
  url: string,
  {
    rps = 5,
    headers = {},
    maxMs = 170_000,
  }: { rps?: number; headers?: Record<string, string>; maxMs?: number } = {},
): Load {
  const tally = { total: 0, failed: 0, canary: 0 };
  const inflight = new Set<Promise<void>>();
  const send = async () => {
    try {
      const answer = await throughMesh(url, headers);
      tally.total++;
      if (answer.status >= 500) tally.failed++;
      if (answer.pod && !isPrimaryPod(answer.pod)) tally.canary++;
    } catch {
      tally.total++;
      tally.failed++;
    }
  };
  const timer = setInterval(() => {
    const sent = send();
    inflight.add(sent);
    void sent.finally(() => inflight.delete(sent));
  }, 1000 / rps);
  const limit = setTimeout(() => clearInterval(timer), maxMs);
  return {
    counts: () => ({ ...tally }),
    stop: async () => {
      clearInterval(timer);
      clearTimeout(limit);
      await Promise.all([...inflight]);
    },
  };
}

/** Steady gRPC calls to `authority` through the mesh proxy, counting each grpc-status. */
export function steadyGrpcLoad(authority: string, { rps = 5, maxMs = 170_000 } = {}) {
  const client = grpcClient(inject('FLEDGE_MESH_PROXY'));
  const byStatus = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const sent = client
      .call(authority, { metadata: { 'l5d-client': 'e2e/grpc' } })
      .then(
        (answer) => String(answer.grpcStatus),
        () => 'error',
      )
      .then((status) => {
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      });
    inflight.add(sent);
    void sent.finally(() => inflight.delete(sent));
  }, 1000 / rps);
  const limit = setTimeout(() => clearInterval(timer), maxMs);
  return {
    counts: () => Object.fromEntries(byStatus),
    stop: async () => {
      clearInterval(timer);
      clearTimeout(limit);
      await Promise.all([...inflight]);
      client.close();
    },
  };
}
