import { inject } from 'vitest';
import { startTraffic as startProxiedTraffic, type Traffic } from '../../support/traffic.js';

export type { Traffic, TrafficCounts } from '../../support/traffic.js';

/** Steady requests through the shared e2e playground's mesh proxy (or `proxyUrl`'s). */
export function startTraffic(
  urls: string[],
  rpsPerUrl: number,
  maxMs = 600_000,
  proxyUrl = inject('FLEDGE_MESH_PROXY'),
): Traffic {
  return startProxiedTraffic(urls, rpsPerUrl, maxMs, proxyUrl);
}
