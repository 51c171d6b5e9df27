import type { Phase, RestorePoint, RolloutEvent } from './context.js';
import type { RolloutSnapshot } from './phase.js';
import { restoreEntries } from './restore.js';
import { rolloutMachine } from './rollout.js';

/**
 * The one-shot and pause annotations of contract §3, as the CLI names them, with the event
 * each sends the machine. The CLI lists them in this order.
 */
export const manualActionEvents = {
  promote: { type: 'PROMOTE' },
  abort: { type: 'ABORT' },
  retry: { type: 'RETRY' },
  pause: { type: 'PAUSE' },
  resume: { type: 'RESUME' },
} satisfies Record<string, Exclude<RolloutEvent, { type: 'NEW_REVISION' | 'TARGET_LOST' }>>;

export type ManualAction = keyof typeof manualActionEvents;

const manualActions = Object.keys(manualActionEvents) as ManualAction[];

type ChartNode = (typeof rolloutMachine.root.states)[string];

/** The state each restore point re-enters, as its path of state names from the phase. */
const entryPaths = new Map(
  restoreEntries(rolloutMachine.config.states as Parameters<typeof restoreEntries>[0]).map(
    ({ point, path }) => [point, path] as const,
  ),
);

/**
 * The manual actions the machine acts on, as a reader of the status can know them: read from
 * the chart, without its guards (they read the machine's context, which status holds in part).
 * With the stored restore point (`status.machine.state`), those of the state it re-enters: an
 * action counts where the nearest state that handles its event, from there up to the phase,
 * moves or acts; one that takes it without acting holds it (a rollback that has not routed
 * holds a retry). Without, every action some state of the phase acts on.
 */
export function allowedActions(phase: Phase, point?: RestorePoint): ManualAction[] {
  const phaseNode = rolloutMachine.root.states[phase];
  if (!phaseNode) return [];
  const path = point === undefined ? undefined : entryPaths.get(point);
  if (path?.[0] !== phase) {
    const handled = new Set<string>(phaseNode.events);
    return manualActions.filter((action) => handled.has(manualActionEvents[action].type));
  }
  const nodes: ChartNode[] = [phaseNode];
  for (const name of path.slice(1)) {
    const child = nodes.at(-1)?.states[name];
    if (child) nodes.push(child);
  }
  // A restore enters the named state's initial states too (RollingBack: Failed.rollingBack).
  for (let initial = nodes.at(-1)?.initial?.target[0]; initial; ) {
    nodes.push(initial);
    initial = initial.initial?.target[0];
  }
  nodes.reverse();
  return manualActions.filter((action) => {
    const type = manualActionEvents[action].type;
    const handling = nodes.find((node) => node.transitions.has(type));
    const transitions = handling?.transitions.get(type) ?? [];
    return transitions.some((t) => t.target !== undefined || t.actions.length > 0);
  });
}

/**
 * The manual actions the machine acts on in this very state: its phase's, less those a state
 * within the phase holds (a rollback waiting for its primary takes a retry without acting).
 * What the controller accepts (guards included); `allowedActions` is what a reader of the
 * status can know.
 */
export function acceptedActions(snapshot: RolloutSnapshot): ManualAction[] {
  return manualActions.filter((action) => snapshot.can(manualActionEvents[action]));
}
