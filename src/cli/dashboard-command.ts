import type { Command } from 'commander';
import { pino } from 'pino';
import { LocalGatekeeper } from '../dashboard/auth.js';
import { startDashboard } from '../dashboard/server.js';
import { addKubeFlags, type KubeFlags, kubeTarget } from './kube-target.js';
import { portOption } from './port-option.js';
import { CliError } from './rollout-source.js';

interface DashboardFlags extends KubeFlags {
  port: number;
  allNamespaces?: boolean;
}

/**
 * `fledge dashboard`: the live page on 127.0.0.1 with the user's kubeconfig, as kubectl
 * plugins do. The URL it prints carries a token for this run, so another user of the
 * machine, or another site in the browser, cannot act with the kubeconfig through the port.
 */
export function registerDashboard(program: Command): void {
  addKubeFlags(
    program
      .command('dashboard')
      .description('a live web page of rollouts and their timelines, on 127.0.0.1'),
  )
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', portOption, 3100)
    .option('-A, --all-namespaces', 'rollouts of every namespace')
    .action(async (flags: DashboardFlags) => {
      if (flags.allNamespaces && flags.namespace) {
        throw new CliError('dashboard: give -n NAMESPACE or -A, not both');
      }
      const target = kubeTarget(flags);
      const gatekeeper = new LocalGatekeeper();
      const dashboard = await startDashboard({
        api: target.api,
        gatekeeper,
        host: '127.0.0.1',
        port: flags.port,
        namespaces: flags.allNamespaces ? [] : [target.namespace],
        log: pino({ name: 'fledge-dashboard', level: 'warn' }, pino.destination(2)),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') {
          throw new CliError(
            `dashboard: port ${flags.port} on 127.0.0.1 is taken; pick another with --port`,
          );
        }
        throw error;
      });
      const scope = flags.allNamespaces ? 'every namespace' : `namespace ${target.namespace}`;
      process.stdout.write(
        `fledge dashboard: rollouts of ${scope} in context ${target.context}\nopen ${dashboard.url}#token=${gatekeeper.token}\n(Ctrl-C to stop)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
    });
}
