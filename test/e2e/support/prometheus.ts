import { inject } from 'vitest';

export interface PromSample {
  labels: Record<string, string>;
  /** As Prometheus wrote it, through Number(): "NaN" (e.g. 0/0 without traffic) stays NaN. */
  value: number;
}

/** Every series of an instant PromQL query, at the playground's Prometheus unless told. */
export async function promVector(
  query: string,
  prometheusUrl = inject('FLEDGE_PROMETHEUS_URL'),
): Promise<PromSample[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const text = await response.text();
  const body = JSON.parse(text) as {
    data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  // A failing query must say why in the test's output, not as a TypeError on `data`.
  if (!body.data?.result) {
    throw new Error(`Prometheus answered ${response.status} to ${query}: ${text}`);
  }
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** The first series' value; undefined when the result is empty, which callers tell from 0. */
export async function promQuery(
  query: string,
  prometheusUrl = inject('FLEDGE_PROMETHEUS_URL'),
): Promise<number | undefined> {
  return (await promVector(query, prometheusUrl))[0]?.value;
}
