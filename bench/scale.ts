import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Watch,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import { readAuditFacts } from '../chaos/audit-log.js';
import { ApiServer } from '../src/kube/api-server.js';
import { knownTypes, ResourceClient, resourcePath } from '../src/kube/resources.js';
import { ERROR_RATE_ANNOTATION } from '../src/playground/lite/pods.js';
import { type Playground, startPlayground } from '../src/playground/playground.js';
import { freePort } from '../src/playground/ports.js';
import { benchApp, cachedBytes, usage } from './controller.js';
import { mostAtOnce, rollbackTimings } from './rollback-audit.js';
import type { Benchmark } from './run.js';
import {
  bucketsBetween,
  bucketsByGroup,
  bucketsOf,
  countedBetween,
  formatTable,
  histogramQuantile,
  latenciesBetween,
  medianAndTail,
  quantile,
  requestsBetween,
  type ScaleRow,
  samplesEqualTo,
  serverRequestKind,
  sumOf,
} from './scale-figures.js';

/**
 * FLEDGE_SCALE_PROGRESSING: sizes run with every rollout progressing at once ("100,1000" by
 * default); FLEDGE_SCALE_AT_REST: sizes run at rest, with a controller restart (none by
 * default: "10000" takes long). FLEDGE_SCALE_NODE_ARGS: extra node flags for the controller
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). Each size gets its own lite playground.
 */
const sizes = (variable: string, fallback: string) =>
  (process.env[variable] ?? fallback)
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
const PROGRESSING = sizes('FLEDGE_SCALE_PROGRESSING', '100,1000');
const AT_REST = sizes('FLEDGE_SCALE_AT_REST', '');
const NODE_ARGS = (process.env.FLEDGE_SCALE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** The controller's NODE_OPTIONS as deploy/controller.yaml sets them: the bench runs it so. */
function deployedNodeOptions(): string {
  const manifest = readFileSync(new URL('../../deploy/controller.yaml', import.meta.url), 'utf8');
  const deployment = parseAllDocuments(manifest)
    .map((document) => document.toJS() as { kind?: string; spec?: unknown })
    .find((object) => object.kind === 'Deployment') as {
    spec: {
      template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } };
    };
  };
  const env = deployment.spec.template.spec.containers[0]?.env ?? [];
  return env.find((entry) => entry.name === 'NODE_OPTIONS')?.value ?? '';
}
const NODE_OPTIONS = deployedNodeOptions();
/**
 * FLEDGE_SCALE_PER_NAMESPACE: Rollouts in one namespace (250). A platform's Rollouts live in its
 * teams' namespaces, and Kubernetes' scalability thresholds (kubernetes/community,
 * sig-scalability/configs-and-limits/thresholds.md) hold a namespace to 2,000 Deployments, 5,000
 * Services and 3,000 pods: kube-controller-manager's controllers read a namespace's pods,
 * ReplicaSets and Services from their caches at every sync. All 10,000 in one namespace (20,000
 * Deployments, 30,000 Services) kept it at 150% of a core a quarter of an hour after the last
 * change, on the cores that the API server and the controller share.
 */
const PER_NAMESPACE = Math.max(1, Number(process.env.FLEDGE_SCALE_PER_NAMESPACE) || 250);
const namespaceAt = (index: number) => `bench-${Math.floor(index / PER_NAMESPACE)}`;
const namespaceOf = (name: string) => namespaceAt(Number(name.slice('app-'.length)));
const namespacesFor = (rollouts: number) =>
  Array.from({ length: Math.ceil(rollouts / PER_NAMESPACE) }, (_, i) =>
    namespaceAt(i * PER_NAMESPACE),
  );
const INTERVAL_S = 10;
const THRESHOLD = 2;
/** One rollout in twenty gets a faulty canary (at least two). */
const faultyOf = (n: number) => Math.max(2, Math.floor(n / 20));
const CREATE_CONCURRENCY = 32;
/** FLEDGE_SCALE_BATCH: how many Rollouts (with their Deployments) are created before they all show Initialized (1,000). */
const CREATE_BATCH = Math.max(1, Number(process.env.FLEDGE_SCALE_BATCH) || 1000);
/** The canary weight at which a faulty canary starts failing. */
const FAULT_AT_WEIGHT = 20;
/**
 * How long initializing (and a restart's restore) may take: 360 s up to 1,000 Rollouts, then in
 * proportion (the playground's pod churn grows with them), bounded at 45 minutes.
 */
const initLimitMs = (rollouts: number) => Math.min(45 * 60_000, Math.max(360_000, rollouts * 360));
/** FLEDGE_SCALE_PROGRESS_LIMIT_S: how long the progressing run may take (300 s; bounded at an hour). */
const PROGRESS_LIMIT_MS =
  Math.min(3600, Math.max(1, Number(process.env.FLEDGE_SCALE_PROGRESS_LIMIT_S) || 300)) * 1000;
const REST_MS = 60_000;
const cli = fileURLToPath(new URL('../../bin/fledge', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items`, at most `limit` at once. */
async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

function objectsOf(index: number): KubernetesObject[] {
  return benchApp(`app-${index}`, namespaceAt(index), {
    interval: `${INTERVAL_S}s`,
    threshold: THRESHOLD,
    metricInterval: '30s',
  });
}

interface RolloutSeen {
  phase: string;
  failedChecks: number;
  canaryWeight: number;
  message: string;
}

/** What the API server says of the bench's Rollouts, through a watch: each one's phase. */
class ApiView {
  readonly rollouts = new Map<string, RolloutSeen>();
  /** Watches that ended and were opened again (events in between are seen late, as ADDED). */
  reopened = 0;
  private readonly aborts: AbortController[] = [];
  private stopped = false;

  constructor(private readonly kc: KubeConfig) {}

  async start(): Promise<void> {
    await this.watch('/apis/fledge.dev/v1alpha1/rollouts', (type, o) => {
      const name = o.metadata?.name as string;
      if (type === 'DELETED') {
        this.rollouts.delete(name);
        return;
      }
      const status = (o.status ?? {}) as {
        phase?: string;
        failedChecks?: number;
        canaryWeight?: number;
        message?: string;
      };
      this.rollouts.set(name, {
        phase: status.phase ?? '',
        failedChecks: status.failedChecks ?? 0,
        canaryWeight: status.canaryWeight ?? 0,
        message: status.message ?? '',
      });
    });
  }

  private async watch(
    path: string,
    onEvent: (
      type: string,
      object: { metadata?: Record<string, unknown>; status?: unknown; spec?: unknown },
    ) => void,
  ): Promise<void> {
    // A watch the server ended resumes from the last event seen, so that nothing in between
    // arrives late as ADDED (which would date a decision by the reopening); after an error
    // (a 410 among them) it starts over.
    let resourceVersion: string | undefined;
    const seen = (type: string, object: Parameters<typeof onEvent>[1]) => {
      if (type === 'ERROR') {
        resourceVersion = undefined;
        return;
      }
      const version = object.metadata?.resourceVersion;
      if (typeof version === 'string') resourceVersion = version;
      if (type !== 'BOOKMARK') onEvent(type, object);
    };
    const open = async (): Promise<void> => {
      if (this.stopped) return;
      const query = resourceVersion ? { resourceVersion, allowWatchBookmarks: true } : {};
      const abort = await new Watch(this.kc).watch(path, query, seen, (error: unknown) => {
        if (this.stopped) return;
        this.reopened++;
        if (error) resourceVersion = undefined;
        setTimeout(() => void open().catch(() => {}), error ? 500 : 0);
      });
      this.aborts.push(abort);
    };
    await open();
  }

  /** The phase and message of one Rollout that has not finished, for a run that timed out. */
  unfinishedMessage(): string {
    for (const [name, seen] of this.rollouts) {
      if (seen.phase !== 'Succeeded' && seen.phase !== 'Failed') {
        return `${name} ${seen.phase} at weight ${seen.canaryWeight}, ${seen.failedChecks} failed checks: ${seen.message.slice(0, 300)}`;
      }
    }
    return 'none';
  }

  count(done: (seen: RolloutSeen) => boolean): number {
    let n = 0;
    for (const seen of this.rollouts.values()) if (done(seen)) n++;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const abort of this.aborts) abort.abort();
  }
}

/** Milliseconds, rounded, slowest first: what a reader pools across runs. */
const slowestFirst = (ms: readonly number[]): string =>
  [...ms]
    .sort((a, b) => b - a)
    .map(Math.round)
    .join(' ');

/**
 * Makes the canary pods of a Rollout answer half their requests with 500 from now on (the
 * lite exporter reads the annotation), as a release that fails under real traffic would.
 */
async function breakCanary(api: ApiServer, name: string) {
  // resourceVersion 0: from the API server's watch cache. Without it each list reads every
  // pod of the namespace from etcd, and 32 at once while 1,000 rollouts progress once took
  // over the API server's 60 s.
  const pods = new ResourceClient(api, knownTypes.pods);
  const namespace = namespaceOf(name);
  const { items } = await pods.list(namespace, {
    labelSelector: `app=${name}`,
    resourceVersion: '0',
  });
  for (const pod of items) {
    await pods.mergePatch(namespace, pod.metadata?.name ?? '', {
      metadata: { annotations: { [ERROR_RATE_ANNOTATION]: '0.5' } },
    });
  }
}

/** Waits until `done` holds; throws after `limitMs` saying what it waited for and how far it got. */
async function until(what: string, limitMs: number, done: () => boolean, progress: () => string) {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`scale bench: ${what} not reached in ${limitMs / 1000} s (${progress()})`);
    }
    await sleep(500);
  }
}

interface RunningController {
  process: ChildProcess;
  pid: number;
  port: number;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function startController(
  playground: Playground,
  logFile: string,
): Promise<RunningController> {
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...NODE_ARGS,
      cli,
      'controller',
      '--no-leader-elect',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, ...playground.env(), NODE_OPTIONS },
      stdio: ['ignore', log, log],
    },
  );
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    pid: child.pid ?? 0,
    port,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** CPU time so far of each process, by pid, with its label or else its command name. */
function cpuOfProcesses(
  pids: number[],
  labels = new Map<number, string>(),
): Map<number, { name: string; cpuMs: number }> {
  const times = new Map<number, { name: string; cpuMs: number }>();
  for (const pid of pids) {
    try {
      const name = labels.get(pid) ?? readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      times.set(pid, { name, cpuMs: usage(pid).cpuMs });
    } catch {
      // Gone: it counts nothing.
    }
  }
  return times;
}

/** Who had the cores between two readings, in % of one core, busiest first. */
function cpuShares(
  before: Map<number, { name: string; cpuMs: number }>,
  after: Map<number, { name: string; cpuMs: number }>,
  seconds: number,
): string {
  const byName = new Map<string, number>();
  for (const [pid, { name, cpuMs }] of after) {
    const spent = cpuMs - (before.get(pid)?.cpuMs ?? cpuMs);
    byName.set(name, (byName.get(name) ?? 0) + spent);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${(ms / 10 / seconds).toFixed(1)}`)
    .join(', ');
}

/** CPU time of the playground's processes (a process that is gone counts nothing). */
function playgroundCpuMs(pids: number[]): number {
  let sum = 0;
  for (const { cpuMs } of cpuOfProcesses(pids).values()) sum += cpuMs;
  return sum;
}

/** How busy the playground may be, in % of a core, for the cluster to count as at rest. */
const SETTLED_CPU_PERCENT = 25;
const SETTLE_LIMIT_MS = 15 * 60_000;

/**
 * Waits (bounded) until the playground's own processes use under SETTLED_CPU_PERCENT of a
 * core over 10 s. At 10,000 the kube-controller-manager was still working through the last
 * batch's ReplicaSets and pods at 94% of a core on the cores the controller shares: in a
 * cluster that work runs elsewhere. Says how busy it was, and how long the wait took.
 */
async function playgroundSettled(pids: number[]): Promise<string> {
  const started = Date.now();
  let percent = Number.POSITIVE_INFINITY;
  while (Date.now() - started < SETTLE_LIMIT_MS) {
    const before = playgroundCpuMs(pids);
    await sleep(10_000);
    percent = (playgroundCpuMs(pids) - before) / 100;
    if (percent < SETTLED_CPU_PERCENT) {
      return `the playground settled at ${percent.toFixed(1)}% of a core after ${((Date.now() - started) / 1000).toFixed(0)} s`;
    }
  }
  return `the playground still used ${percent.toFixed(1)}% of a core after ${SETTLE_LIMIT_MS / 60_000} min; measured anyway`;
}

/** Resolves with ms from `since` until the controller's /readyz answers 200. */
async function readyAfter(port: number, since: number, limitMs: number): Promise<number> {
  const deadline = since + limitMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return Date.now() - since;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`scale bench: the restarted controller was not ready in ${limitMs / 1000} s`);
}

const requests = (text: string) => sumOf(text, 'fledge_kube_requests_total');

/** The API server's own /metrics, read with the playground's admin kubeconfig. */
const serverMetrics = (kubectl: (args: string[]) => Promise<string>) =>
  kubectl(['get', '--raw', '/metrics']);

const ms = (seconds: number | undefined) =>
  seconds === undefined ? '-' : (seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0);

/**
 * Where a request's time goes over the measured run: the controller's view of each verb and
 * resource (socket wait included, and that wait alone), the API server's own view of the same
 * (apiserver_request_duration_seconds: every client's requests, not only fledge's), the
 * controller's event-loop delay, and how long its effects waited to start.
 */
function latencyNotes(
  label: string,
  before: string,
  after: string,
  serverBefore: string,
  serverAfter: string,
): string[] {
  const clientKind = (l: Record<string, string>) =>
    `${l.verb} ${l.resource}${l.lane === 'urgent' ? ' (urgent lane)' : ''}`;
  const client = latenciesBetween(
    bucketsByGroup(before, 'fledge_kube_request_duration_seconds', clientKind),
    bucketsByGroup(after, 'fledge_kube_request_duration_seconds', clientKind),
  );
  const wait = new Map(
    latenciesBetween(
      bucketsByGroup(before, 'fledge_kube_request_socket_wait_seconds', clientKind),
      bucketsByGroup(after, 'fledge_kube_request_socket_wait_seconds', clientKind),
    ).map((line) => [line.kind, line]),
  );
  const server = new Map(
    latenciesBetween(
      bucketsByGroup(serverBefore, 'apiserver_request_duration_seconds', serverRequestKind),
      bucketsByGroup(serverAfter, 'apiserver_request_duration_seconds', serverRequestKind),
    ).map((line) => [line.kind, line]),
  );
  const requestLines = client.map((line) => {
    const socket = wait.get(line.kind);
    const seen = server.get(line.kind.replace(' (urgent lane)', ''));
    return `${line.kind}: ${line.count} requests, client p50/p99 ${ms(line.p50)}/${ms(line.p99)} ms (socket wait p99 ${ms(socket?.p99)} ms); API server p50/p99 ${ms(seen?.p50)}/${ms(seen?.p99)} ms over ${seen?.count ?? 0} requests of all clients`;
  });
  const effect = (l: Record<string, string>) => l.effect;
  const effects = latenciesBetween(
    bucketsByGroup(before, 'fledge_effect_start_delay_seconds', effect),
    bucketsByGroup(after, 'fledge_effect_start_delay_seconds', effect),
  ).map((line) => `${line.kind} ${ms(line.p50)}/${ms(line.p99)} ms (${line.count})`);
  const loopP99 = sumOf(after, 'nodejs_eventloop_lag_p99_seconds');
  const loopMax = sumOf(after, 'nodejs_eventloop_lag_max_seconds');
  return [
    `${label}: API requests by verb and resource, p50/p99 over the measured run:`,
    ...requestLines.map((line) => `  ${line}`),
    `${label}: controller event-loop delay over the measured run (nodejs_eventloop_lag, since the scrape before it): p99 ${ms(loopP99)} ms, max ${ms(loopMax)} ms`,
    `${label}: effects, from invoked to started (after the effects before them and the deciding status), p50/p99: ${effects.join(', ') || 'none'}`,
  ];
}
const queries = (text: string) => sumOf(text, 'fledge_metric_query_duration_seconds_count');

/** One size on its own lite playground: create, initialize, then progress or rest. */
async function runSize(
  rollouts: number,
  mode: ScaleRow['mode'],
  notes: string[],
): Promise<ScaleRow> {
  const faultyNames =
    mode === 'progressing' ? Array.from({ length: faultyOf(rollouts) }, (_, i) => `app-${i}`) : [];
  const playground = await startPlayground({
    name: `scale-${process.pid}-${rollouts}`,
    logger: pino({ level: 'warn' }),
    lite: { rps: 10, latency: mode === 'progressing' },
    etcdInMemory: true,
    // The faulty rollouts' writes only: their rollbacks are timed from the API server's record.
    ...(mode === 'progressing' ? { auditLog: { names: [...faultyNames] } } : {}),
  });
  const kc = new KubeConfig();
  kc.loadFromFile(playground.kubeconfigPath);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const api = new ApiServer(kc, 'fledge-bench');
  const faulty = new Set(faultyNames);
  const view = new ApiView(kc);
  // The API server's /metrics is some MiB at this size: a generous buffer.
  const kubectl = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        'kubectl',
        args,
        { env: { ...process.env, ...playground.env() }, maxBuffer: 256 * 1024 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
  let controller: RunningController | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    for (const name of namespacesFor(rollouts)) {
      await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    await view.start();
    const logFile = path.join(tmpdir(), `fledge-scale-${process.pid}-${rollouts}.log`);
    notes.push(`${rollouts} ${mode}: the controller's log (level warn) is ${logFile}`);
    controller = await startController(playground, logFile);
    const initialized = () => view.count((r) => r.phase === 'Initialized');
    // A user adopts Rollouts some at a time: all 10,000 new at once keeps the playground's
    // kube-controller-manager and kubelet simulator (on the same two cores) busy for an hour.
    const initStarted = Date.now();
    for (let first = 0; first < rollouts; first += CREATE_BATCH) {
      const batch = Array.from(
        { length: Math.min(CREATE_BATCH, rollouts - first) },
        (_, i) => objectsOf(first + i) as [KubernetesObject, KubernetesObject],
      );
      // Each batch's Deployments before its Rollouts: a Rollout then finds its target.
      await inPool(batch, CREATE_CONCURRENCY, ([deployment]) => objects.create(deployment));
      await inPool(batch, CREATE_CONCURRENCY, ([, rollout]) => objects.create(rollout));
      const upTo = first + batch.length;
      // Each batch takes longer than the one before: the playground's controllers work on
      // every object made so far (Endpoints, ReplicaSets, the targets scaled to 0).
      await until(
        `the first ${upTo} rollouts Initialized`,
        initLimitMs(upTo),
        () => initialized() === upTo,
        () => `${initialized()} of ${upTo}`,
      );
    }
    const createSeconds = (Date.now() - initStarted) / 1000;
    notes.push(
      `${rollouts} ${mode}: ${rollouts * 2} objects created (${CREATE_CONCURRENCY} creates at once, ${CREATE_BATCH} Rollouts a batch, each batch Initialized before the next) and every rollout Initialized in ${createSeconds.toFixed(1)} s, the controller running throughout`,
    );
    // Let the initial burst settle (garbage, the first resync) before the idle figure.
    await sleep(20_000);
    if (mode === 'at rest') {
      notes.push(`${rollouts} at rest: ${await playgroundSettled(playground.pids())}`);
    }
    const pid = controller.pid;
    const idle = usage(pid);
    let peakKiB = idle.rssKiB;
    let peakAt = Date.now();
    sampler = setInterval(() => {
      const { rssKiB } = usage(pid);
      if (rssKiB > peakKiB) [peakKiB, peakAt] = [rssKiB, Date.now()];
    }, 500);
    const before = await controller.metrics();
    const serverBefore = await serverMetrics(kubectl);
    const started = usage(pid);
    const startedAt = Date.now();
    const processLabels = new Map([
      [pid, 'controller'],
      [process.pid, 'bench'],
    ]);
    const processesBefore = cpuOfProcesses([...playground.pids(), pid, process.pid], processLabels);

    if (mode === 'at rest') {
      await sleep(REST_MS);
    } else {
      // On fledge's API client, which keeps its connections: client-node's opens one (a TLS
      // handshake on the API server) per call, and these 1,000 go out as the run starts.
      await inPool(
        Array.from({ length: rollouts }, (_, i) => `app-${i}`),
        CREATE_CONCURRENCY,
        (name) =>
          api.request('PATCH', resourcePath(knownTypes.deployments, namespaceOf(name), name), {
            body: {
              spec: {
                template: { spec: { containers: [{ name: 'app', image: 'fledge/demo:2.0.0' }] } },
              },
            },
            contentType: 'application/strategic-merge-patch+json',
          }),
      );
      const finished = () => view.count((r) => r.phase === 'Succeeded' || r.phase === 'Failed');
      const broken = new Set<string>();
      const deadline = Date.now() + PROGRESS_LIMIT_MS;
      while (finished() < rollouts) {
        if (Date.now() > deadline) {
          // The figures so far still count; the note says the run did not finish.
          notes.push(
            `${rollouts} progressing: only ${finished()} of ${rollouts} finished in ${PROGRESS_LIMIT_MS / 1000} s; one unfinished says: ${view.unfinishedMessage()}`,
          );
          break;
        }
        // A faulty canary fails once it takes traffic, so its rollback takes a weight back.
        const due = [...faulty].filter(
          (name) =>
            !broken.has(name) && (view.rollouts.get(name)?.canaryWeight ?? 0) >= FAULT_AT_WEIGHT,
        );
        for (const name of due) broken.add(name);
        await inPool(due, CREATE_CONCURRENCY, (name) => breakCanary(api, name));
        await sleep(250);
      }
    }
    const after = await controller.metrics();
    const serverAfter = await serverMetrics(kubectl);
    const ended = usage(pid);
    clearInterval(sampler);
    const seconds = (Date.now() - startedAt) / 1000;
    notes.push(
      `${rollouts} ${mode}: CPU by process over the measured run, % of one core: ${cpuShares(processesBefore, cpuOfProcesses([...processesBefore.keys()], processLabels), seconds)}`,
    );
    notes.push(
      `${rollouts} ${mode}: controller RSS peaked at ${(peakKiB / 1024).toFixed(0)} MiB, ${((peakAt - startedAt) / 1000).toFixed(0)} s into the measured ${seconds.toFixed(0)} s`,
    );
    const intervals = seconds / INTERVAL_S;
    const lateness = bucketsBetween(
      bucketsOf(before, 'fledge_analysis_lateness_seconds'),
      bucketsOf(after, 'fledge_analysis_lateness_seconds'),
    );
    const auditLog = playground.clusters[0]?.auditLogPath;
    const rollbacks = rollbackTimings(
      auditLog ? await readAuditFacts(auditLog) : [],
      faulty,
      THRESHOLD,
    );
    const timed = [...rollbacks.timings.values()];
    const rollbackMs = timed.map((timing) => timing.failToZeroMs);
    const outcome: Record<string, number> = {};
    for (const seen of view.rollouts.values()) outcome[seen.phase] = (outcome[seen.phase] ?? 0) + 1;
    notes.push(
      `${rollouts} ${mode}: measured over ${seconds.toFixed(0)} s: ${JSON.stringify(outcome)}; ${lateness.at(-1)?.[1] ?? 0} analyses; rollbacks observed ${rollbackMs.length} of ${faulty.size}`,
    );
    if (faulty.size > 0) {
      notes.push(
        `${rollouts} ${mode}: fail->w0 from the API server's audit log: from the first of the rollback's two writes received (its deciding status, its weight write) to weight 0 stored p50/p99 ${medianAndTail(rollbackMs)} ms; the API server on the weight write ${medianAndTail(timed.map((t) => t.routeWriteMs))} ms, on the deciding status ${medianAndTail(timed.map((t) => t.statusWriteMs))} ms; the weight write received after the deciding status by ${medianAndTail(timed.map((t) => t.apartMs))} ms; at most ${mostAtOnce(timed)} rollbacks in flight at the API server at once; each, slowest first (for pooling runs: under 100 rollbacks a run's p99 is its slowest): ${slowestFirst(rollbackMs)} ms; without a figure: ${rollbacks.unobserved.join('; ') || 'none'}; the bench's Rollout watch was reopened ${view.reopened} times`,
      );
    }
    notes.push(...latencyNotes(`${rollouts} ${mode}`, before, after, serverBefore, serverAfter));
    if (mode === 'progressing') {
      notes.push(
        `bytes per cached object (serialized JSON size): ${await cachedBytes(kubectl, namespaceOf('app-0'))}`,
      );
    }
    notes.push(
      `${rollouts} ${mode}: controller heap in use (nodejs_heap_size_used_bytes) ${mib(sumOf(before, 'nodejs_heap_size_used_bytes'))} MiB before the measured run, ${mib(sumOf(after, 'nodejs_heap_size_used_bytes'))} MiB after (V8 held ${mib(sumOf(after, 'nodejs_heap_size_total_bytes'))} MiB for it)`,
      `${rollouts} ${mode}: API requests over the measured ${Math.round(seconds)} s: ${requestsBetween(before, after)}`,
      `${rollouts} ${mode}: watches opened again (fledge_watch_restarts_total) since the controller started: ${countedBetween('', after, 'fledge_watch_restarts_total')}; over the measured run: ${countedBetween(before, after, 'fledge_watch_restarts_total')}`,
    );
    const row: ScaleRow = {
      rollouts,
      mode,
      createSeconds,
      rssIdleMiB: idle.rssKiB / 1024,
      rssPeakMiB: peakKiB / 1024,
      cpuPercent: (ended.cpuMs - started.cpuMs) / 10 / seconds,
      latenessP50s: histogramQuantile(0.5, lateness),
      latenessP99s: histogramQuantile(0.99, lateness),
      rollbackP50ms: quantile(0.5, rollbackMs),
      rollbackP99ms: quantile(0.99, rollbackMs),
      ...(faulty.size > 0 ? { rollbacks: `${rollbackMs.length}/${faulty.size}` } : {}),
      apiPerRolloutInterval: (requests(after) - requests(before)) / (rollouts * intervals),
      queriesPerInterval: (queries(after) - queries(before)) / intervals,
    };
    if (mode === 'at rest') {
      await controller.stop();
      const serverAtRestart = await serverMetrics(kubectl);
      const playgroundAtRestart = playgroundCpuMs(playground.pids());
      const restartedAt = Date.now();
      controller = await startController(playground, logFile);
      row.restartReadySeconds =
        (await readyAfter(controller.port, restartedAt, initLimitMs(rollouts))) / 1000;
      const restarted = controller;
      // A rollout is restored once its machine reported its phase (fledge_rollout_phase).
      const deadline = restartedAt + initLimitMs(rollouts);
      // A controller busy restoring may drop a scrape: count that as no progress.
      let loopMaxMs = 0;
      let heapMaxBytes = 0;
      const restoredCount = async () => {
        const text = await restarted.metrics().catch(() => '');
        // Each scrape resets the maximum: the restore's is the largest of all its scrapes'.
        loopMaxMs = Math.max(loopMaxMs, sumOf(text, 'nodejs_eventloop_lag_max_seconds') * 1000);
        heapMaxBytes = Math.max(heapMaxBytes, sumOf(text, 'nodejs_heap_size_used_bytes'));
        return samplesEqualTo(text, 'fledge_rollout_phase', 1);
      };
      let restored = await restoredCount();
      while (restored < rollouts && Date.now() < deadline) {
        await sleep(250);
        restored = await restoredCount();
      }
      if (restored < rollouts) {
        notes.push(
          `${rollouts} at rest: only ${restored} restored ${initLimitMs(rollouts) / 1000} s after the restart`,
        );
      }
      if (restored >= rollouts) row.restoredSeconds = (Date.now() - restartedAt) / 1000;
      const playgroundPercent =
        (playgroundCpuMs(playground.pids()) - playgroundAtRestart) /
        10 /
        ((Date.now() - restartedAt) / 1000);
      notes.push(
        `${rollouts} at rest: the playground used ${playgroundPercent.toFixed(0)}% of a core from the restart until ${restored} were restored`,
      );
      notes.push(
        `${rollouts} at rest: the restarted controller's event loop was held at most ${loopMaxMs.toFixed(0)} ms at once until ${restored} were restored (nodejs_eventloop_lag_max, scraped every 250 ms)`,
        `${rollouts} at rest: the restarted controller's heap in use reached ${mib(heapMaxBytes)} MiB until ${restored} were restored (nodejs_heap_size_used_bytes, scraped every 250 ms)`,
      );
      // The restarted process counts from zero: all it asked for to list and restore.
      const atRestored = await restarted.metrics().catch(() => '');
      notes.push(
        `${rollouts} at rest: API requests from the restart to ${restored} restored: ${requestsBetween('', atRestored)}`,
        ...latencyNotes(
          `${rollouts} at rest, restart`,
          '',
          atRestored,
          serverAtRestart,
          await serverMetrics(kubectl),
        ),
      );
      await sleep(20_000);
      notes.push(
        `${rollouts} at rest, after the restart: RSS ${(usage(restarted.pid).rssKiB / 1024).toFixed(0)} MiB 20 s after every rollout was reconciled; API requests in those 20 s: ${requestsBetween(atRestored, await restarted.metrics().catch(() => atRestored))}`,
      );
    }
    return row;
  } catch (error) {
    // The playground's logs say what held it up (kube-controller-manager, the kubelet).
    const logs = path.join(tmpdir(), `fledge-scale-${process.pid}-${rollouts}-playground-logs`);
    await cp(playground.stateDir, logs, {
      recursive: true,
      filter: (source) => !/[/\\](etcd|prometheus)$/.test(source),
    }).catch(() => {});
    notes.push(`${rollouts} ${mode}: failed; the playground's logs are in ${logs}`);
    throw error;
  } finally {
    clearInterval(sampler);
    view.stop();
    api.close();
    await controller?.stop();
    await playground.stop();
    await rm(playground.stateDir, { recursive: true, force: true });
  }
}

/**
 * The controller at 100, 1,000 (and 10,000) Rollouts on a lite playground, where pods run no
 * process and their Linkerd series are synthesised (docs/scale.md says what is simulated).
 */
export const scaleBenchmark: Benchmark = {
  name: 'scale',
  description: `fledge controller with ${PROGRESSING.join(', ') || 'no'} rollouts progressing (interval ${INTERVAL_S}s) and ${AT_REST.join(', ') || 'no'} at rest, on a lite playground`,
  async run() {
    const notes = [
      `machine: ${availableParallelism()} CPUs, load average ${(loadavg()[0] ?? 0).toFixed(1)} before the run; the playground runs on the same cores`,
      `controller: NODE_OPTIONS="${NODE_OPTIONS}" as deploy/controller.yaml sets it${NODE_ARGS.length > 0 ? `, node flags ${NODE_ARGS.join(' ')}` : ''}`,
      `rollouts: ${PER_NAMESPACE} a namespace (FLEDGE_SCALE_PER_NAMESPACE), the controller watching every namespace`,
    ];
    const rows: ScaleRow[] = [];
    for (const n of PROGRESSING) rows.push(await runSize(n, 'progressing', notes));
    for (const n of AT_REST) rows.push(await runSize(n, 'at rest', notes));
    return [...formatTable(rows), '', ...notes];
  },
};
