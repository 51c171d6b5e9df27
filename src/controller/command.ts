import { type Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { durationOption } from '../cli/duration-option.js';
import { portOption } from '../cli/port-option.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { loadtesterAuth } from '../webhooks/auth.js';
import { Controller } from './controller.js';
import { maxShards } from './shards.js';

interface ControllerFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string[];
  prometheusUrl: string;
  clusterPrometheus: Record<string, string>;
  host: string;
  port: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDuration: number;
  shards: number;
  resync: number;
  poll: number;
  meshProxy?: string;
  concurrency: number;
  maxReleases?: number;
  maxReleasesPerNamespace?: number;
  dashboardPort?: number;
  dashboardHost: string;
  loadtesterUrl: string;
  logLevel: string;
}

const duration = (flag: string) => durationOption(flag, '500ms, 15s or 1m');

/** `--cluster-prometheus west=http://...`, repeatable: one Prometheus per linked cluster. */
function clusterPrometheus(value: string, all: Record<string, string>): Record<string, string> {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(https?:\/\/.+)$/.exec(value);
  if (!match?.[1] || !match[3]) {
    throw new InvalidArgumentError(
      'takes CLUSTER=URL, the Link name of a cluster and its Prometheus, e.g. west=http://prometheus.west.example:9090',
    );
  }
  return { ...all, [match[1]]: match[3] };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function atLeastOne(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function shardCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxShards) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${maxShards}`);
  }
  return n;
}

export function registerController(program: Command): void {
  program
    .command('controller')
    .description('Run the fledge controller: watch Rollouts and drive each canary to its end')
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)',
    )
    .option('--context <name>', 'kubeconfig context')
    .option(
      '-n, --namespace <ns>',
      'watch this namespace only; repeatable (default: all namespaces)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .addOption(
      new Option('--prometheus-url <url>', 'Prometheus with the Linkerd metrics')
        .env('FLEDGE_PROMETHEUS_URL')
        .default('http://prometheus.linkerd-viz:9090'),
    )
    .option(
      '--cluster-prometheus <cluster=url>',
      "a linked cluster's Prometheus: its canaries are measured inbound there; repeatable",
      clusterPrometheus,
      {} as Record<string, string>,
    )
    .option('--host <address>', 'address for /healthz, /readyz and /metrics', '0.0.0.0')
    .option('--port <port>', 'port for /healthz, /readyz and /metrics', portOption, 8080)
    .option(
      '--dashboard-port <port>',
      'serve the dashboard in the cluster on this port, every request checked with TokenReview and SubjectAccessReview (default: off)',
      portOption,
    )
    .option('--dashboard-host <address>', 'address the dashboard listens on', '0.0.0.0')
    .option(
      '--loadtester-url <url>',
      "the loadtester's address: the only webhook origin that gets the token in FLEDGE_LOADTESTER_TOKEN",
      'http://fledge-loadtester.fledge-system/',
    )
    .option('--no-leader-elect', 'run without a Lease (only with a single replica)')
    .addOption(
      new Option('--lease-namespace <ns>', 'namespace of the leader Lease')
        .env('POD_NAMESPACE')
        .default('fledge-system'),
    )
    .option('--lease-name <name>', 'name of the leader Lease', 'fledge-controller')
    .option(
      '--lease-duration <duration>',
      'leader Lease duration',
      duration('--lease-duration'),
      15_000,
    )
    .addOption(
      new Option(
        '--shards <n>',
        'spread Rollouts over this many shards, one Lease each (<lease-name>-shard-<i>); every replica drives the shards it holds (default: one shard, the leader drives all)',
      )
        .env('FLEDGE_SHARDS')
        .argParser(shardCount)
        .default(1),
    )
    .option(
      '--resync <duration>',
      'reconcile every Rollout this often',
      duration('--resync'),
      30_000,
    )
    .option('--poll <duration>', 'how often readiness waits poll', duration('--poll'), 1000)
    .addOption(
      new Option('--mesh-proxy <url>', 'HTTP proxy for webhook calls (the playground mesh)').env(
        'FLEDGE_MESH_PROXY',
      ),
    )
    .option('--concurrency <n>', 'Rollouts reconciled at once', positiveInt, 8)
    .option(
      '--max-releases <n>',
      'releases in analysis at once over all Rollouts; the others wait in order (default: no limit)',
      atLeastOne,
    )
    .option(
      '--max-releases-per-namespace <n>',
      'releases in analysis at once in each namespace; the others wait in order (default: no limit)',
      atLeastOne,
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['trace', 'debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (flags: ControllerFlags) => {
      if (flags.shards > 1 && !flags.leaderElect) {
        throw new InvalidArgumentError(
          `--shards ${flags.shards} needs the shard Leases: drop --no-leader-elect, or run one shard`,
        );
      }
      const log = pino({ name: 'fledge-controller', level: flags.logLevel });
      const kc = loadKubeConfig({
        ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      });
      const controller = new Controller({
        kc,
        log,
        namespaces: flags.namespace,
        prometheusUrl: flags.prometheusUrl,
        clusterPrometheus: flags.clusterPrometheus,
        httpHost: flags.host,
        httpPort: flags.port,
        leaderElection: {
          enabled: flags.leaderElect,
          namespace: flags.leaseNamespace,
          name: flags.leaseName,
          leaseDurationMs: flags.leaseDuration,
        },
        shards: flags.shards,
        resyncMs: flags.resync,
        pollMs: flags.poll,
        proxy: flags.meshProxy || undefined,
        webhookAuth: loadtesterAuth(process.env, flags.loadtesterUrl),
        ...(flags.dashboardPort === undefined
          ? {}
          : { dashboard: { host: flags.dashboardHost, port: flags.dashboardPort } }),
        concurrency: Math.max(1, flags.concurrency),
        releaseLimits: {
          ...(flags.maxReleases === undefined ? {} : { cluster: flags.maxReleases }),
          ...(flags.maxReleasesPerNamespace === undefined
            ? {}
            : { namespace: flags.maxReleasesPerNamespace }),
        },
      });
      await controller.start();
      log.info({ url: controller.url }, 'fledge controller started');
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: releasing the lease and the rollouts');
        controller.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'controller did not stop cleanly');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
