import http from 'node:http';
import { viaProxy } from './via-proxy.js';

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
 * Steady requests through a playground's mesh proxy, as meshed callers would send them,
 * counted per URL. Bounded: it stops by itself after `maxMs`.
 */
export function startTraffic(
  urls: string[],
  rpsPerUrl: number,
  maxMs: number,
  proxyUrl: string,
): Traffic {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const counts = new Map<string, TrafficCounts>(
    urls.map((url) => [url, { total: 0, failed: 0, byStatus: {} }]),
  );
  const inflight = new Set<Promise<void>>();
  const send = async (url: string) => {
    const tally = counts.get(url) as TrafficCounts;
    try {
      const { status } = await viaProxy(proxyUrl, url, {
        headers: { 'l5d-client': 'e2e/traffic' },
        agent,
        timeoutMs: 5000,
      });
      tally.total++;
      tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
      if (status >= 500) tally.failed++;
    } catch {
      tally.total++;
      tally.failed++;
    }
  };
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
