import type { Command } from 'commander';
import type { ManualAction } from '../../machines/allowedActions.js';
import type { ApiServer } from '../kube/api-server.js';
import { retryOnConflict } from '../kube/patch.js';
import { addKubeFlags, type KubeFlags, kubeTarget } from './kube-target.js';
import { type ActionPlan, MANUAL_ACTIONS, planAction } from './manual-action.js';
import { CliError, readRollout, rolloutClient } from './rollout-source.js';

const DESCRIPTIONS: Record<ManualAction, string> = {
  promote: 'promote the canary now, skipping the remaining analysis steps',
  abort: 'roll back now: all traffic to the primary, phase Failed (reason Aborted)',
  retry: 'analyse the current revision of a Failed rollout again',
  pause: 'hold the canary weight until resume',
  resume: 'continue a rollout held by pause',
};

/** `fledge promote|abort|retry|pause|resume NAME`: the annotations of contract §3. */
export function registerActions(program: Command): void {
  for (const action of MANUAL_ACTIONS) {
    addKubeFlags(
      program.command(action).argument('<name>', 'the rollout').description(DESCRIPTIONS[action]),
    ).action(async (name: string, flags: KubeFlags) => {
      const { api, namespace } = kubeTarget(flags);
      report(await applyAction(api, namespace, name, action));
    });
  }
}

/** Decides an action on the rollout as it is now and, unless refused, sets its annotation. */
export function applyAction(
  api: ApiServer,
  namespace: string,
  name: string,
  action: ManualAction,
): Promise<ActionPlan> {
  return retryOnConflict(async () => {
    const rollout = await readRollout(api, namespace, name);
    const decided = planAction(action, rollout);
    if (decided.kind === 'refuse') return decided;
    // The resourceVersion makes the write conditional: had the phase changed since it was
    // read, the server answers 409 and the decision is made again on the new state.
    await rolloutClient(api).mergePatch(namespace, name, {
      metadata: {
        resourceVersion: rollout.metadata?.resourceVersion,
        annotations: decided.annotations,
      },
    });
    return decided;
  });
}

function report(plan: ActionPlan): void {
  if (plan.kind === 'refuse') throw new CliError(plan.message);
  process.stdout.write(`${plan.message}\n`);
  for (const note of plan.notes) process.stderr.write(`note: ${note}\n`);
}
