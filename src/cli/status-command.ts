import { type Command, InvalidArgumentError } from 'commander';
import { knownTypes } from '../kube/resources.js';
import { Watcher } from '../kube/watcher.js';
import { addKubeFlags, type KubeFlags, kubeTarget } from './kube-target.js';
import { formatObjects, OUTPUT_FORMATS, type OutputFormat } from './output.js';
import type { RolloutObject } from './rollout-object.js';
import { CliError, listRollouts, readRollout } from './rollout-source.js';
import { byNamespaceAndName, renderStatusTable } from './rollout-table.js';
import { ProgressLines, rolloutBlock } from './rollout-view.js';
import { LiveFrame } from './terminal-frame.js';

interface StatusFlags extends KubeFlags {
  allNamespaces?: boolean;
  watch?: boolean;
  output?: OutputFormat;
}

function outputFormat(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`use one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return value as OutputFormat;
}

export function registerStatus(program: Command): void {
  addKubeFlags(
    program
      .command('status')
      .argument('[name]', 'one rollout (default: every rollout in the namespace)')
      .description('show rollouts: phase, canary weight, failed checks, revision, age, message'),
  )
    .option('-A, --all-namespaces', 'rollouts of every namespace')
    .option('-w, --watch', 'keep showing changes (a live view on a terminal) until Ctrl-C')
    .option('-o, --output <format>', 'json or yaml instead of a table', outputFormat)
    .action(async (name: string | undefined, flags: StatusFlags) => {
      if (name && flags.allNamespaces) {
        throw new CliError(
          'status: give a NAME or -A, not both (a name is looked up in one namespace)',
        );
      }
      const target = kubeTarget(flags);
      const namespace = flags.allNamespaces ? undefined : target.namespace;
      if (flags.watch) {
        await watchStatus(target.api, namespace, name, flags);
        return;
      }
      const rollouts = name
        ? [await readRollout(target.api, target.namespace, name)]
        : await listRollouts(target.api, namespace);
      if (flags.output) {
        process.stdout.write(formatObjects(rollouts, flags.output, Boolean(name)));
        return;
      }
      if (rollouts.length === 0) {
        process.stderr.write(
          namespace ? `No rollouts found in namespace ${namespace}.\n` : 'No rollouts found.\n',
        );
        return;
      }
      const table = renderStatusTable(rollouts, {
        allNamespaces: Boolean(flags.allNamespaces),
        now: new Date(),
      });
      process.stdout.write(`${table}\n`);
    });
}

/**
 * Follows rollouts with a list+watch. On a terminal the view is redrawn in place (and every
 * second, so ages and the clock move); elsewhere each change is one timestamped line, or one
 * document with -o.
 */
async function watchStatus(
  api: ReturnType<typeof kubeTarget>['api'],
  namespace: string | undefined,
  name: string | undefined,
  flags: StatusFlags,
): Promise<void> {
  if (name) await readRollout(api, namespace ?? 'default', name);
  const watcher = new Watcher<RolloutObject>(api, {
    resource: knownTypes.rollouts,
    namespace,
    fieldSelector: name ? `metadata.name=${name}` : undefined,
    watchTimeoutSeconds: 60,
    watchdogMs: 90_000,
  });
  const live = process.stdout.isTTY === true && !flags.output;
  const frame = new LiveFrame(process.stdout);
  const progress = new ProgressLines((text) => process.stdout.write(text));

  const draw = () => {
    if (!watcher.hasSynced) return;
    const rollouts = watcher.list().sort(byNamespaceAndName);
    const lines = [`fledge status --watch   ${new Date().toISOString()}   (Ctrl-C to stop)`, ''];
    if (rollouts.length === 0) lines.push('no rollouts yet');
    for (const rollout of rollouts) lines.push(...rolloutBlock(rollout), '');
    frame.draw(lines);
  };
  const report = (rollout: RolloutObject) => {
    if (live) return draw();
    if (flags.output) {
      process.stdout.write(
        `${flags.output === 'yaml' ? '---\n' : ''}${formatObjects([rollout], flags.output, true)}`,
      );
      return;
    }
    progress.print(rollout);
  };

  watcher
    .on('add', report)
    .on('update', report)
    .on('delete', (rollout) => {
      progress.forget(rollout);
      if (live) draw();
      else
        process.stdout.write(
          `${new Date().toISOString()} ${rollout.metadata?.namespace}/${rollout.metadata?.name} deleted\n`,
        );
    })
    .on('reconnect', (_attempt, delayMs, cause) => {
      if (!live)
        process.stderr.write(
          `watch interrupted (${cause?.message ?? 'closed'}); reconnecting in ${delayMs} ms\n`,
        );
    });

  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    watcher.on('missing', (cause) => {
      process.stderr.write(
        `rollouts.fledge.dev is not served: ${cause.message}; install crds/rollout.yaml\n`,
      );
      process.exitCode = 1;
      resolve();
    });
  });
  const clock = live ? setInterval(draw, 1000) : undefined;
  if (live) watcher.on('list', draw);
  watcher.start();
  await stopped;
  clearInterval(clock);
  await watcher.stop();
}
