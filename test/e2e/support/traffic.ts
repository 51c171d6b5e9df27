import http from 'node:http';
import { inject } from 'vitest';

export interface TrafficCounts {
  total: number;
  failed: number;
  byStatus: Record<number, number>;
}

export interface Traffic {
  counts(url: string): TrafficCounts;
  stop(): Promise<void>;
}

/**
 * Steady requests through the playground's mesh proxy, as meshed callers would send them,
 * counted per URL. Bounded: it stops by itself after `maxMs`.
 */
export function startTraffic(
  urls: string[],
  rpsPerUrl: number,
  maxMs = 170_000,
  proxyUrl = inject('FLEDGE_MESH_PROXY'),
): Traffic {
  const proxy = new URL(proxyUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const counts = new Map<string, TrafficCounts>(
    urls.map((url) => [url, { total: 0, failed: 0, byStatus: {} }]),
  );
  const inflight = new Set<Promise<void>>();
  const send = (url: string) =>
    new Promise<void>((resolve) => {
      const tally = counts.get(url) as TrafficCounts;
      const request = http.request(
        {
          host: proxy.hostname,
          port: proxy.port,
          path: url,
          headers: { host: new URL(url).host, 'l5d-client': 'e2e/traffic' },
          agent,
          timeout: 5000,
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            tally.total++;
            tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
            if (status >= 500) tally.failed++;
            resolve();
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => {
        tally.total++;
        tally.failed++;
        resolve();
      });
      request.end();
    });
  const timer = setInterval(() => {
    for (const url of urls) {
      const p = send(url);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  }, 1000 / rpsPerUrl);
  const limit = setTimeout(() => clearInterval(timer), maxMs);
  return {
    counts: (url) => structuredClone(counts.get(url) as TrafficCounts),
    stop: async () => {
      clearInterval(timer);
      clearTimeout(limit);
      await Promise.all([...inflight]);
      agent.destroy();
    },
  };
}
