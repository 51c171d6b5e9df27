/** Read by the playground when no latency is given, so `playground up` can pass it on. */
export const LATENCY_VARIABLE = 'FLEDGE_CROSS_CLUSTER_LATENCY_MS';

/** The cross-cluster latency `LATENCY_VARIABLE` asks for, if set. */
export function latencyFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[LATENCY_VARIABLE];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 60_000) {
    throw new Error(
      `${LATENCY_VARIABLE}="${raw}" is not a number of milliseconds in 0..60000; unset it or use e.g. 20`,
    );
  }
  return value;
}
