import http from 'node:http';
import { viaProxy } from './via-proxy.js';

export interface TrafficCounts {
  total: number;
  failed: number;
  byStatus: Record<number, number>;
  /** Failed requests by cause: the error, or the status and body (a few distinct causes at most). */
  errors: Record<string, number>;
}

const distinctErrors = 10;

/**
 * A request without an answer this long counts as failed: long enough that only a hang does.
 * The mesh simulator shares one Node process that a busy 2-core machine stalls for seconds
 * (requests then take 3-6 s), which is slow, not failed, as a caller's Linkerd proxy sees it.
 */
const answerTimeoutMs = 30_000;
const maxInFlight = 64;

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
    urls.map((url) => [url, { total: 0, failed: 0, byStatus: {}, errors: {} }]),
  );
  const inflight = new Set<Promise<void>>();
  const send = async (url: string) => {
    const tally = counts.get(url) as TrafficCounts;
    const fail = (cause: string) => {
      tally.failed++;
      const key = cause.slice(0, 200);
      if (key in tally.errors || Object.keys(tally.errors).length < distinctErrors) {
        tally.errors[key] = (tally.errors[key] ?? 0) + 1;
      }
    };
    try {
      const { status, body } = await viaProxy(proxyUrl, url, {
        headers: { 'l5d-client': 'e2e/traffic' },
        agent,
        timeoutMs: answerTimeoutMs,
      });
      tally.total++;
      tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
      if (status >= 500) fail(`${status} ${body.trim()}`);
    } catch (error) {
      tally.total++;
      fail((error as Error).message);
    }
  };
  const timer = setInterval(() => {
    // A stalled mesh would otherwise pile up requests for as long as the stall lasts.
    if (inflight.size >= maxInFlight) return;
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
