import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { watchedDeployment } from '../src/controller/world.js';
import type { KubeObject } from '../src/kube/api-server.js';
import { startPlayground } from '../src/playground/playground.js';
import { freePort } from '../src/playground/ports.js';
import type { Benchmark } from './run.js';
import { requestsByKind } from './scale-figures.js';

/** FLEDGE_BENCH_ROLLOUTS sets how many (20 by default; the scale figures use 100 and more). */
const ROLLOUTS = Number(process.env.FLEDGE_BENCH_ROLLOUTS ?? 20);
const FAULTY = 2;
const NAMESPACE = 'bench';
const LIMIT_MS = Math.max(240_000, ROLLOUTS * 6_000);
const INTERVAL_S = 2;
const QUIET_MS = 20_000;
const cli = fileURLToPath(new URL('../../bin/fledge', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory (KiB) and CPU time (ms) of a process, from /proc. */
export function usage(pid: number): { rssKiB: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return { rssKiB, cpuMs: (ticks * 1000) / 100 };
}

/**
 * One bench app: a Deployment of the playground's demo image that answers every request, and
 * its Rollout with the built-in success rate over `metricInterval`.
 */
export function benchApp(
  name: string,
  namespace: string,
  analysis: { interval: string; threshold: number; metricInterval: string },
) {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'fledge/demo:1.0.0',
              ports: [{ containerPort: 8080 }],
              env: [{ name: 'ERROR_RATE', value: '0' }],
            },
          ],
        },
      },
    },
  };
  const rollout = {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 8080 },
      analysis: {
        interval: analysis.interval,
        threshold: analysis.threshold,
        stepWeight: 10,
        maxWeight: 50,
        metrics: [
          {
            name: 'request-success-rate',
            thresholdRange: { min: 99 },
            interval: analysis.metricInterval,
          },
        ],
      },
    },
  };
  return [deployment, rollout];
}

function manifests(index: number): string {
  return benchApp(`app-${index}`, NAMESPACE, {
    interval: `${INTERVAL_S}s`,
    threshold: 3,
    metricInterval: '10s',
  })
    .map((object) => stringify(object))
    .join('---\n');
}

/** Sums of the controller's own counters, from its /metrics: API requests by verb, Prometheus queries. */
async function counters(
  port: number,
): Promise<{ requests: Map<string, number>; queries: number; grouped: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const requests = requestsByKind(text);
  let queries = 0;
  let grouped = 0;
  for (const line of text.split('\n')) {
    const query = /^fledge_metric_query_duration_seconds_count\{[^}]*\} (\S+)/.exec(line);
    if (query) queries += Number(query[1]);
    const group = /^fledge_prometheus_queries_total\{kind="grouped"\} (\S+)/.exec(line);
    if (group) grouped += Number(group[1]);
  }
  return { requests, queries, grouped };
}

/**
 * What the controller's caches hold of one object of each kind, beside the object as the API
 * server serves it (with managedFields): the same functions the watches apply.
 */
export async function cachedBytes(
  kubectl: (args: string[]) => Promise<string>,
  namespace = NAMESPACE,
): Promise<string> {
  const read = async (kind: string) =>
    JSON.parse(
      await kubectl(['-n', namespace, 'get', kind, 'app-0', '-o', 'json', '--show-managed-fields']),
    ) as KubeObject;
  const bytes = (object: unknown) => Buffer.byteLength(JSON.stringify(object));
  const withoutManagedFields = (object: KubeObject) => ({
    ...object,
    metadata: { ...object.metadata, managedFields: undefined },
  });
  const deployment = await read('deployment');
  const rollout = await read('rollout');
  return [
    `Deployment ${bytes(watchedDeployment(deployment))} (served: ${bytes(deployment)})`,
    `Rollout ${bytes(withoutManagedFields(rollout))} (served: ${bytes(rollout)})`,
    'ConfigMap and Secret: a 32-character digest per referenced one, nothing for the others (metadata-only watch, not cached)',
  ].join('; ');
}

/** What `after` counted that `before` had not, as `verb resource: n`, largest first. */
function delta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after]
    .map(([key, n]): [string, number] => [key, n - (before.get(key) ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}

const total = (entries: Array<[string, number]>) => entries.reduce((sum, [, n]) => sum + n, 0);

/**
 * The controller's footprint while 20 rollouts progress at once (18 healthy, 2 faulty) on the
 * playground, and how long the rollback of a faulty one takes from its deciding failed check
 * to weight 0 in its TrafficSplit.
 */
export const controllerBenchmark: Benchmark = {
  name: 'controller',
  description: `fledge controller with ${ROLLOUTS} rollouts progressing at once on the playground (interval ${INTERVAL_S}s)`,
  async run() {
    const loadBefore = loadavg()[0] ?? 0;
    const playground = await startPlayground({
      name: `bench-${process.pid}`,
      logger: pino({ level: 'warn' }),
    });
    const env = { ...process.env, ...playground.env() };
    const kubectl = (args: string[], input?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile('kubectl', args, { env }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
        child.stdin?.end(input ?? '');
      });
    const proxy = new URL(playground.meshProxy);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    let controller: ChildProcess | undefined;
    let traffic: NodeJS.Timeout | undefined;
    const port = await freePort();
    try {
      await kubectl(['create', 'namespace', NAMESPACE]);
      await kubectl(
        ['apply', '-f', '-'],
        Array.from({ length: ROLLOUTS }, (_, i) => manifests(i)).join('---\n'),
      );
      controller = spawn(
        process.execPath,
        [
          cli,
          'controller',
          '--namespace',
          NAMESPACE,
          '--no-leader-elect',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--poll',
          '250ms',
          '--log-level',
          'warn',
        ],
        {
          env: { ...env, FLEDGE_PROMETHEUS_URL: playground.prometheusUrl },
          stdio: 'ignore',
        },
      );
      const pid = controller.pid ?? 0;
      const phases = async () =>
        (
          await kubectl([
            '-n',
            NAMESPACE,
            'get',
            'rollouts',
            '-o',
            'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}',
          ])
        )
          .trim()
          .split('\n')
          .map((line) => line.split('='));
      const until = async (what: string, done: (p: string[][]) => boolean) => {
        const deadline = Date.now() + LIMIT_MS;
        while (Date.now() < deadline) {
          if (done(await phases())) return;
          await sleep(500);
        }
        throw new Error(`bench: timed out waiting for ${what}`);
      };
      await until(
        'every rollout to initialize',
        (p) => p.length === ROLLOUTS && p.every(([, phase]) => phase === 'Initialized'),
      );
      const idle = usage(pid);
      // At rest: nothing is due, so every request here is overhead (re-lists, polls).
      const restBefore = await counters(port);
      await sleep(QUIET_MS);
      const rest = delta(restBefore.requests, (await counters(port)).requests);
      const cached = await cachedBytes(kubectl);
      traffic = setInterval(() => {
        for (let i = 0; i < ROLLOUTS; i++) {
          http
            .get(
              {
                host: proxy.hostname,
                port: proxy.port,
                path: `http://app-${i}-canary.${NAMESPACE}:8080/`,
                headers: { host: `app-${i}-canary.${NAMESPACE}:8080` },
                agent,
              },
              (res) => res.resume(),
            )
            .on('error', () => {});
        }
      }, 100);
      const started = usage(pid);
      const startedAt = Date.now();
      const progressBefore = await counters(port);
      for (let i = 0; i < ROLLOUTS; i++) {
        const change =
          i < FAULTY
            ? ['set', 'env', `deployment/app-${i}`, 'ERROR_RATE=0.5']
            : ['set', 'image', `deployment/app-${i}`, 'app=fledge/demo:2.0.0'];
        await kubectl(['-n', NAMESPACE, ...change]);
      }
      let peakRss = 0;
      const rollbackMs: number[] = [];
      const watchRollback = async (name: string) => {
        const deadline = Date.now() + LIMIT_MS;
        let decidedAt = 0;
        while (Date.now() < deadline) {
          const failed = Number(
            await kubectl([
              '-n',
              NAMESPACE,
              'get',
              `rollout/${name}`,
              '-o',
              'jsonpath={.status.failedChecks}',
            ]),
          );
          if (!decidedAt && failed >= 3) decidedAt = Date.now();
          if (decidedAt) {
            const weight = await kubectl([
              '-n',
              NAMESPACE,
              'get',
              `trafficsplit/${name}`,
              '-o',
              'jsonpath={.spec.backends[1].weight}',
            ]);
            if (Number(weight) === 0) {
              rollbackMs.push(Date.now() - decidedAt);
              return;
            }
          }
          await sleep(decidedAt ? 10 : 100);
        }
      };
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, usage(pid).rssKiB);
      }, 500);
      const rollbacks = Promise.all(
        Array.from({ length: FAULTY }, (_, i) => watchRollback(`app-${i}`)),
      );
      await until('every rollout to finish', (p) =>
        p.every(([, phase]) => phase === 'Succeeded' || phase === 'Failed'),
      );
      await rollbacks;
      clearInterval(sampler);
      const ended = usage(pid);
      const seconds = (Date.now() - startedAt) / 1000;
      const progressAfter = await counters(port);
      const progress = delta(progressBefore.requests, progressAfter.requests);
      const queries = progressAfter.queries - progressBefore.queries;
      const grouped = progressAfter.grouped - progressBefore.grouped;
      const rolloutIntervals = (ROLLOUTS * seconds) / INTERVAL_S;
      const list = (entries: Array<[string, number]>) =>
        entries.map(([key, n]) => `${key} ${n}`).join(', ') || 'none';
      const outcome = (await phases()).reduce<Record<string, number>>((counts, [, phase]) => {
        counts[phase ?? '?'] = (counts[phase ?? '?'] ?? 0) + 1;
        return counts;
      }, {});
      return [
        `machine: ${availableParallelism()} CPUs, load average ${loadBefore.toFixed(1)} before the run; the playground runs on the same cores`,
        `rollouts: ${ROLLOUTS} (${FAULTY} faulty), finished in ${seconds.toFixed(1)} s: ${JSON.stringify(outcome)}`,
        `controller RSS: ${(idle.rssKiB / 1024).toFixed(0)} MiB idle with ${ROLLOUTS} rollouts initialized, peak ${(peakRss / 1024).toFixed(0)} MiB while they progressed`,
        `controller CPU while they progressed: ${(ended.cpuMs - started.cpuMs).toFixed(0)} ms over ${seconds.toFixed(1)} s (${((ended.cpuMs - started.cpuMs) / 10 / seconds).toFixed(1)}% of one core)`,
        `bytes per cached object (JSON): ${cached}`,
        `API requests at rest (${QUIET_MS / 1000} s after every rollout initialized): ${total(rest)} (${list(rest)})`,
        `API requests while they progressed: ${total(progress)}, ${(total(progress) / rolloutIntervals).toFixed(2)} per rollout per interval (${list(progress.slice(0, 8))})`,
        `Prometheus queries while they progressed: ${queries}, ${(queries / (seconds / INTERVAL_S)).toFixed(1)} per interval (${(queries / rolloutIntervals).toFixed(2)} per rollout per interval; ${grouped} of them grouped, each answering several rollouts)`,
        `deciding failed check to weight 0 in the TrafficSplit (kubectl polling, ~100 ms resolution): ${rollbackMs.map((ms) => `${ms} ms`).join(', ') || 'not observed'}`,
      ];
    } finally {
      clearInterval(traffic);
      agent.destroy();
      controller?.kill('SIGTERM');
      await playground.stop();
      await rm(playground.stateDir, { recursive: true, force: true });
    }
  },
};
