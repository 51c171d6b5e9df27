import type { Command } from 'commander';
import { ApiServer } from '../kube/api-server.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { playgroundStateDir } from '../playground/paths.js';
import { runDemoStory } from './story.js';
import { renderSummary } from './summary.js';
import { createView } from './view.js';

interface DemoFlags {
  name: string;
  namespace: string;
  keep: boolean;
}

/** `fledge demo`: a canary promoted and another rolled back, on a playground of its own. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'start a playground with fledge in it, promote a healthy release and roll back a faulty one, explain, tear down',
    )
    .option('--name <name>', 'the playground to use (started if needed)', 'demo')
    .option('--namespace <ns>', "the demo app's namespace (recreated)", 'demo')
    .option('--keep', 'leave the playground running afterwards, to look around')
    .action(async (flags: DemoFlags) => {
      // Loaded here, not with the CLI: they bring client-node and the simulators.
      const { playgroundDown, playgroundUp } = await import('../playground/lifecycle.js');
      const { LOADTESTER_URL } = await import('../playground/fledge-services.js');
      const progress = (line: string) => process.stderr.write(`${line}\n`);
      // The playground runs detached: an interrupted demo must still take it down.
      const interrupted = (signal: NodeJS.Signals) => {
        progress(`${signal}: ${flags.keep ? 'leaving' : 'stopping'} playground "${flags.name}"`);
        const done = () => process.exit(130);
        if (flags.keep) done();
        else playgroundDown(flags.name).then(done, done);
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      const env = await playgroundUp({ name: flags.name, fledge: true, progress });
      let exitCode = 1;
      try {
        const api = new ApiServer(loadKubeConfig({ kubeconfigPath: env.KUBECONFIG }));
        const report = await runDemoStory({
          api,
          namespace: flags.namespace,
          loadtesterUrl: LOADTESTER_URL,
          view: createView(process.stdout),
        });
        api.close();
        process.stdout.write(`\n${renderSummary(report.acts).join('\n')}\n`);
        exitCode = report.verdict.ok ? 0 : 1;
      } finally {
        if (flags.keep) {
          progress(
            `playground "${flags.name}" keeps running: \`eval "$(fledge playground env --name ${flags.name})"\`, then \`fledge status -n ${flags.namespace}\`; \`fledge playground down --name ${flags.name}\` stops it`,
          );
        } else if (exitCode === 0) {
          progress(`stopping and removing playground "${flags.name}"`);
          await playgroundDown(flags.name, { purge: true });
        } else {
          progress(
            `stopping playground "${flags.name}"; its logs stay in ${playgroundStateDir(flags.name)} (\`fledge playground down --name ${flags.name} --purge\` removes them)`,
          );
          await playgroundDown(flags.name);
        }
      }
      // The kube client's agents keep sockets open; the demo is over.
      process.exit(exitCode);
    });
}
