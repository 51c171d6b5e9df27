import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { formatDuration } from '../api/duration.js';
import type { ApiServer } from '../kube/api-server.js';
import { durationOption } from './duration-option.js';
import { addKubeFlags, type KubeFlags, kubeTarget } from './kube-target.js';
import { type RolloutObject, rolloutKey } from './rollout-object.js';
import { CliError, readRollout } from './rollout-source.js';
import { ProgressLines, rolloutBlock } from './rollout-view.js';
import { expectedRevision } from './target-revision.js';
import { LiveFrame } from './terminal-frame.js';
import {
  describeWaiting,
  type ExpectedRevision,
  initialMemory,
  judgeWait,
  remember,
  WAIT_EXIT,
} from './wait-verdict.js';

interface WaitFlags extends KubeFlags {
  timeout: number;
  pollInterval: number;
}

const duration = (flag: string) => durationOption(flag, '90s, 30m or 1h');

export function registerWait(program: Command): void {
  addKubeFlags(
    program
      .command('wait')
      .argument('<name>', 'the rollout')
      .description(
        "wait until the rollout has finished the target's current revision: exit 0 when it succeeded, 1 when it failed, 2 on timeout, 3 when it cannot be read",
      ),
  )
    .option(
      '--timeout <duration>',
      'give up after this long (exit 2)',
      duration('--timeout'),
      1_800_000,
    )
    .option(
      '--poll-interval <duration>',
      'how often to read the rollout',
      duration('--poll-interval'),
      2_000,
    )
    .action(async (name: string, flags: WaitFlags) => {
      try {
        process.exitCode = await waitFor(name, flags);
      } catch (error) {
        process.stderr.write(`fledge wait: ${(error as Error).message}\n`);
        process.exitCode = WAIT_EXIT.unavailable;
      }
    });
}

/** Output on a terminal is a view redrawn in place; elsewhere (CI logs) timestamped lines. */
class WaitOutput {
  private readonly live = process.stdout.isTTY === true;
  private readonly frame = new LiveFrame(process.stdout);
  private readonly progress = new ProgressLines((text) => process.stdout.write(text));

  say(text: string): void {
    if (this.live) {
      this.frame.release();
      process.stdout.write(`${text}\n`);
    } else {
      process.stdout.write(`${new Date().toISOString()} ${text}\n`);
    }
  }

  show(rollout: RolloutObject): void {
    if (this.live) this.frame.draw(rolloutBlock(rollout));
    else this.progress.print(rollout);
  }
}

async function waitFor(name: string, flags: WaitFlags): Promise<number> {
  const { api, namespace } = kubeTarget(flags);
  const deadline = Date.now() + flags.timeout;
  const output = new WaitOutput();
  let rollout = await readRollout(api, namespace, name);
  let expected = await expectedRevision(api, rollout);
  let memory = initialMemory(rollout);
  output.say(describeStart(rollout, expected, flags.timeout));
  let lastError = '';
  for (;;) {
    memory = remember(memory, rollout);
    output.show(rollout);
    const verdict = judgeWait(rollout, expected, memory);
    if (verdict.done) {
      output.say(verdict.message);
      return verdict.exitCode;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      output.say(
        `timed out after ${formatDuration(flags.timeout)}: ${describeWaiting(rollout, expected)}`,
      );
      return WAIT_EXIT.timeout;
    }
    await sleep(Math.min(flags.pollInterval, left));
    try {
      rollout = await readRollout(api, namespace, name);
      const next = await refreshExpected(api, rollout, expected);
      if (
        'revision' in next &&
        (!('revision' in expected) || next.revision !== expected.revision)
      ) {
        output.say(`the target changed: now waiting for revision ${next.revision}`);
      }
      expected = next;
      lastError = '';
    } catch (error) {
      if (error instanceof CliError) throw error;
      // The API server may blip during a long wait; keep trying until the deadline.
      const message = (error as Error).message;
      if (message !== lastError)
        output.say(`cannot read rollout ${rolloutKey(rollout)} (${message}); retrying`);
      lastError = message;
    }
  }
}

/**
 * The target can change again during the wait (another deploy, a ConfigMap edit): the wait is
 * for the newest revision, as the controller restarts the analysis for it.
 */
async function refreshExpected(
  api: ApiServer,
  rollout: RolloutObject,
  previous: ExpectedRevision,
): Promise<ExpectedRevision> {
  const next = await expectedRevision(api, rollout);
  return 'unknown' in next && 'unknown' in previous ? previous : next;
}

function describeStart(
  rollout: RolloutObject,
  expected: ExpectedRevision,
  timeoutMs: number,
): string {
  const key = rolloutKey(rollout);
  const limit = `(timeout ${formatDuration(timeoutMs)})`;
  const suspended = rollout.spec?.suspend
    ? '; note: spec.suspend is true, so fledge ignores new revisions until it is false'
    : '';
  if ('revision' in expected) {
    return `waiting for rollout ${key} to finish revision ${expected.revision} ${limit}${suspended}`;
  }
  return `waiting for rollout ${key} to finish its next revision ${limit}; the target's revision is unknown: ${expected.unknown}${suspended}`;
}
