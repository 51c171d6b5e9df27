/**
 * How a simulated app tells the mesh how long it took to answer. In a cluster, a pod's
 * inbound Linkerd proxy sits next to its app and times it over localhost, so its latency is
 * the app's alone. In the playground every app and proxy share one Node process, and the
 * turns of the event loop between them (on a busy machine, waits for a CPU) would count as
 * app latency. So each simulated app reports its own time to first byte in a standard
 * Server-Timing entry, and the proxy records that as the inbound latency.
 */

export const SERVER_TIMING_HEADER = 'server-timing';
const METRIC = 'app';

/** A Server-Timing value giving the app's time to first byte. */
export function formatAppTiming(durationMs: number): string {
  return `${METRIC};dur=${durationMs.toFixed(3)}`;
}

/**
 * The app's time from a Server-Timing value (RFC-like: `name;dur=ms;desc=..., name2;...`),
 * or undefined when it has no well-formed `app` entry: an endpoint that is not a simulated
 * app, whose latency the proxy then measures itself.
 */
export function appTimingMs(header: string | string[] | undefined): number | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const entry of values.join(',').split(',')) {
    const [name, ...params] = entry.split(';').map((part) => part.trim());
    if (name !== METRIC) continue;
    const duration = params.find((param) => param.startsWith('dur='))?.slice('dur='.length);
    const ms = duration === undefined || duration === '' ? Number.NaN : Number(duration);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  return undefined;
}
