/**
 * The scale harness's arithmetic, apart from its I/O: the controller's counters and
 * histograms read from its /metrics text, quantiles of durations, and the printed table.
 */

/** Sums of the samples named `name` (any labels) in a Prometheus text exposition. */
export function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** A counter's samples by their label values joined with spaces ("get deployments"), from a /metrics text. */
export function countsByLabels(text: string, name: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const end = line.lastIndexOf('} ');
    if (end < 0) continue;
    const labels = [...line.slice(name.length + 1, end).matchAll(/[a-z_]+="([^"]*)"/g)];
    const key = labels.map((label) => label[1]).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(end + 2)));
  }
  return counts;
}

/** `fledge_kube_requests_total` by "verb resource", from a /metrics text. */
export const requestsByKind = (text: string) => countsByLabels(text, 'fledge_kube_requests_total');

/** What counter `name` counted between two /metrics texts, most first ("get deployments 12, ..."). */
export function countedBetween(before: string, after: string, name: string, most = 8): string {
  const earlier = countsByLabels(before, name);
  const made = [...countsByLabels(after, name)]
    .map(([kind, count]) => [kind, count - (earlier.get(kind) ?? 0)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  return made.length === 0
    ? 'none'
    : made
        .slice(0, most)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ');
}

/** The requests made between two /metrics texts, most first ("get deployments 12, ..."). */
export const requestsBetween = (before: string, after: string, most = 8) =>
  countedBetween(before, after, 'fledge_kube_requests_total', most);

/** How many samples named `name` (one per label set) have exactly `value`. */
export function samplesEqualTo(text: string, name: string, value: number): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Number(line.slice(line.lastIndexOf(' ') + 1)) === value) n++;
  }
  return n;
}

/** A histogram's cumulative buckets (`<name>_bucket`), summed over label sets, by `le`. */
export function bucketsOf(text: string, name: string): Array<[number, number]> {
  const byLe = new Map<number, number>();
  const pattern = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`);
  for (const line of text.split('\n')) {
    const match = pattern.exec(line);
    if (!match) continue;
    const le = match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]);
    byLe.set(le, (byLe.get(le) ?? 0) + Number(match[2]));
  }
  return [...byLe].sort((a, b) => a[0] - b[0]);
}

/** The labels of one sample line (`name{a="x",b="y"} 1`), without `le`. */
function labelsOf(inside: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of inside.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    if (match[1] !== undefined && match[1] !== 'le') labels[match[1]] = match[2] ?? '';
  }
  return labels;
}

/**
 * A histogram's cumulative buckets per group of label sets: `groupOf` names the group of a
 * sample's labels (undefined leaves it out); samples of one group are summed, by `le`.
 */
export function bucketsByGroup(
  text: string,
  name: string,
  groupOf: (labels: Record<string, string>) => string | undefined,
): Map<string, Array<[number, number]>> {
  const groups = new Map<string, Map<number, number>>();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const inside = line.slice(prefix.length, close);
    const le = /(?:^|,)le="([^"]+)"/.exec(inside)?.[1];
    const group = groupOf(labelsOf(inside));
    if (le === undefined || group === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    const byLe = groups.get(group) ?? new Map<number, number>();
    groups.set(group, byLe);
    byLe.set(bound, (byLe.get(bound) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return new Map(
    [...groups].map(([group, byLe]) => [group, [...byLe].sort((a, b) => a[0] - b[0])]),
  );
}

/** The client's verb and resource names for the API server's own labels (PATCH → patch). */
export function serverRequestKind(labels: Record<string, string>): string | undefined {
  const verbs: Record<string, string> = {
    GET: 'get',
    LIST: 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: 'delete',
  };
  const verb = verbs[labels.verb ?? ''];
  if (!verb || !labels.resource) return undefined;
  return `${verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
}

export interface LatencyLine {
  kind: string;
  count: number;
  p50: number | undefined;
  p99: number | undefined;
}

/**
 * Per group, what happened between two scrapes: the count and the interpolated p50/p99 (in
 * the histogram's unit), most requests first, groups with nothing in between left out.
 */
export function latenciesBetween(
  before: Map<string, Array<[number, number]>>,
  after: Map<string, Array<[number, number]>>,
): LatencyLine[] {
  return [...after]
    .map(([kind, buckets]) => {
      const between = bucketsBetween(before.get(kind) ?? [], buckets);
      const count = between.at(-1)?.[1] ?? 0;
      return {
        kind,
        count,
        p50: histogramQuantile(0.5, between),
        p99: histogramQuantile(0.99, between),
      };
    })
    .filter((line) => line.count > 0)
    .sort((a, b) => b.count - a.count);
}

/** What `after` counted that `before` had not, bucket by bucket. */
export function bucketsBetween(
  before: Array<[number, number]>,
  after: Array<[number, number]>,
): Array<[number, number]> {
  const earlier = new Map(before);
  return after.map(([le, n]) => [le, n - (earlier.get(le) ?? 0)]);
}

/**
 * The q-quantile of a cumulative histogram, interpolated within its bucket as Prometheus's
 * histogram_quantile does; the highest finite bound when it falls in +Inf; undefined when
 * the histogram is empty.
 */
export function histogramQuantile(q: number, buckets: Array<[number, number]>): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      if (count === below) return le;
      return lower + ((le - lower) * (rank - below)) / (count - below);
    }
    lower = Number.isFinite(le) ? le : lower;
    below = count;
  }
  return lower;
}

/** The q-quantile of samples (nearest rank); undefined without samples. */
export function quantile(q: number, samples: number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** "p50/p99" of samples in whole units, as the notes print them. */
export function medianAndTail(samples: number[]): string {
  const shown = (q: number) => quantile(q, samples)?.toFixed(0) ?? '-';
  return `${shown(0.5)}/${shown(0.99)}`;
}

export interface ScaleRow {
  rollouts: number;
  mode: 'progressing' | 'at rest';
  createSeconds: number;
  rssIdleMiB: number;
  rssPeakMiB: number;
  cpuPercent: number;
  latenessP50s?: number | undefined;
  latenessP99s?: number | undefined;
  rollbackP50ms?: number | undefined;
  rollbackP99ms?: number | undefined;
  rollbacks?: string;
  apiPerRolloutInterval: number;
  queriesPerInterval: number;
  restartReadySeconds?: number | undefined;
  restoredSeconds?: number | undefined;
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined ? '-' : value.toFixed(digits);

/** One table, one row per run, every figure in its own column. */
export function formatTable(rows: ScaleRow[]): string[] {
  const header = [
    'rollouts',
    'mode',
    'created + Initialized s',
    'RSS idle MiB',
    'RSS peak MiB',
    'CPU % core',
    'lateness p50/p99 s',
    'fail->w0 p50/p99 ms',
    'API req/rollout/interval',
    'Prom queries/interval',
    'restart: readyz / all restored s',
  ];
  const cells = rows.map((row) => [
    String(row.rollouts),
    row.mode,
    fixed(row.createSeconds, 0),
    fixed(row.rssIdleMiB, 0),
    fixed(row.rssPeakMiB, 0),
    fixed(row.cpuPercent, 1),
    `${fixed(row.latenessP50s, 3)} / ${fixed(row.latenessP99s, 3)}`,
    `${fixed(row.rollbackP50ms, 0)} / ${fixed(row.rollbackP99ms, 0)}${row.rollbacks ? ` (${row.rollbacks})` : ''}`,
    fixed(row.apiPerRolloutInterval, 2),
    fixed(row.queriesPerInterval, 1),
    `${fixed(row.restartReadySeconds, 1)} / ${fixed(row.restoredSeconds, 1)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}
