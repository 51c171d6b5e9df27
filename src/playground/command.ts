import type { Command } from 'commander';
import { LATENCY_VARIABLE, latencyFromEnv } from './multicluster/latency.js';
import { playgroundStateDir } from './paths.js';
import { formatEnv } from './shell-env.js';

/*
 * The playground's modules load when one of its commands runs: they bring client-node and the
 * simulators, which `fledge controller` (the same CLI) must not carry in its memory.
 */
const lifecycle = () => import('./lifecycle.js');

const defaultName = 'playground';
const fledgeFlag = '--no-fledge';
const fledgeHelp =
  'do not run the fledge controller and loadtester (fledge-loadtester.fledge-system) inside';

const latencyFlag = '--cross-cluster-latency <ms>';
const latencyHelp = `latency the multicluster gateways add to each cross-cluster request, in ms (default 5; sets ${LATENCY_VARIABLE})`;

/** The supervisor `up` starts inherits the environment: the variable carries the latency there. */
function setLatency(ms: string | undefined): void {
  if (ms === undefined) return;
  process.env[LATENCY_VARIABLE] = ms;
  latencyFromEnv();
}

interface UpOptions {
  name: string;
  clusters?: string[];
  fledge: boolean;
  crossClusterLatency?: string;
}

/** `up` starts in the background the supervisor that `run` is, so both take its options. */
function withPlaygroundOptions(command: Command): Command {
  return command
    .option('--name <name>', 'which playground (its state directory)', defaultName)
    .option('--clusters <names>', 'comma-separated cluster (context) names', clusterList)
    .option(fledgeFlag, fledgeHelp)
    .option(latencyFlag, latencyHelp)
    .hook('preAction', (_command, action) =>
      setLatency(action.opts<UpOptions>().crossClusterLatency),
    );
}

function clusterList(value: string): string[] {
  const clusters = value
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (clusters.length === 0) throw new Error('--clusters needs at least one name, e.g. east,west');
  return clusters;
}

/** `fledge playground up|down|env|run`. */
export function registerPlayground(program: Command): void {
  const playground = program
    .command('playground')
    .description('a local Kubernetes API with a simulated Linkerd data plane, on 127.0.0.1');

  withPlaygroundOptions(
    playground
      .command('up')
      .description('start the playground in the background and print its environment'),
  ).action(async (options: UpOptions) => {
    const { playgroundUp } = await lifecycle();
    const env = await playgroundUp({
      name: options.name,
      clusters: options.clusters,
      fledge: options.fledge,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${formatEnv(env)}\n`);
    process.stderr.write(
      `playground "${options.name}" is ready; \`eval "$(fledge playground env${options.name === defaultName ? '' : ` --name ${options.name}`})"\` points kubectl at it\n`,
    );
  });

  playground
    .command('down')
    .description('stop every process of the playground')
    .option('--name <name>', 'which playground', defaultName)
    .option('--purge', 'also remove its state directory (etcd data and logs)')
    .action(async (options: { name: string; purge?: boolean }) => {
      const { playgroundDown } = await lifecycle();
      const stopped = await playgroundDown(options.name, { purge: options.purge });
      const purged = options.purge ? `; removed ${playgroundStateDir(options.name)}` : '';
      process.stderr.write(
        stopped
          ? `playground "${options.name}" stopped${purged}\n`
          : `playground "${options.name}" was not running${purged}\n`,
      );
    });

  playground
    .command('env')
    .description(
      'print shell exports: KUBECONFIG, FLEDGE_PROMETHEUS_URL, FLEDGE_MESH_PROXY (with several clusters also FLEDGE_MESH_PROXY_<CLUSTER>)',
    )
    .option('--name <name>', 'which playground', defaultName)
    .action(async (options: { name: string }) => {
      const { playgroundEnv } = await lifecycle();
      process.stdout.write(`${formatEnv(await playgroundEnv(options.name))}\n`);
    });

  withPlaygroundOptions(
    playground
      .command('run')
      .description('run the playground in the foreground until interrupted (what `up` starts)'),
  ).action(async (options: UpOptions) => {
    const { runSupervisor } = await import('./supervisor.js');
    const fledge = { controller: options.fledge, loadtester: options.fledge };
    // The simulators keep timers and sockets open; the process ends with the playground.
    process.exit(await runSupervisor({ name: options.name, clusters: options.clusters, fledge }));
  });
}
