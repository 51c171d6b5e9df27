import { phases } from '../../machines/context.js';
import { byNamespaceAndName } from '../cli/rollout-table.js';
import type { EventFeeds } from './event-feed.js';
import type { EventStream } from './event-stream.js';
import type { RolloutChange, RolloutFeed } from './rollout-feed.js';
import { rolloutRow } from './rollout-row.js';
import { timelineOf } from './timeline.js';

/** The list sends at most this many rows; the page says how many were left out. */
export const MAX_ROWS = 5000;
/** Changes of one timeline within this are sent once. */
const TIMELINE_COALESCE_MS = 150;

/**
 * The list on one stream: a snapshot once the watches have listed, then each change as it
 * comes. `namespace` narrows it (in the cluster, to what the user may list).
 */
export function streamList(stream: EventStream, feed: RolloutFeed, namespace: string): void {
  const inScope = (ns: string | undefined) => !namespace || ns === namespace;
  let snapshotSent = false;
  const unsubscribe = feed.subscribe((change: RolloutChange) => {
    if (change.type === 'problem') {
      stream.send('problem', { message: change.message });
      return;
    }
    if (!snapshotSent) return;
    if (change.type === 'delete') {
      if (inScope(change.key.split('/')[0])) stream.send('delete', { key: change.key });
    } else if (inScope(change.rollout.metadata?.namespace)) {
      stream.send('upsert', { row: rolloutRow(change.rollout) });
    }
  });
  stream.onClose(unsubscribe);
  if (feed.currentProblem) stream.send('problem', { message: feed.currentProblem });
  void feed.whenSynced().then(() => {
    if (stream.isClosed) return;
    const rollouts = feed
      .rollouts()
      .filter((r) => inScope(r.metadata?.namespace))
      .sort(byNamespaceAndName);
    stream.send('snapshot', {
      rows: rollouts.slice(0, MAX_ROWS).map(rolloutRow),
      total: rollouts.length,
      phases,
      namespace,
    });
    snapshotSent = true;
  });
}

/**
 * One rollout's timeline on one stream: sent whole on every change of the Rollout or of
 * its Events (coalesced), and `gone` when it is deleted. The caller has checked it exists.
 * The Events are subscribed before the stream opens, so a refusal (too many timelines open)
 * throws while an HTTP error can still be answered.
 */
export function streamTimeline(
  open: () => EventStream,
  feed: RolloutFeed,
  events: EventFeeds,
  namespace: string,
  name: string,
): void {
  let timer: NodeJS.Timeout | undefined;
  let stream: EventStream | undefined;
  const send = () => {
    timer = undefined;
    if (!stream) return;
    const rollout = feed.get(namespace, name);
    if (!rollout) {
      stream.send('gone', { message: `rollout ${namespace}/${name} was deleted` });
      stream.close();
      return;
    }
    const records = events.records(namespace, name, rollout.metadata?.uid);
    stream.send('timeline', timelineOf(rollout, records, Date.now()));
  };
  const changed = () => {
    timer ??= setTimeout(send, TIMELINE_COALESCE_MS);
  };
  const unwatchEvents = events.subscribe(namespace, name, changed);
  const unsubscribe = feed.subscribe((change) => {
    if (change.type === 'problem') stream?.send('problem', { message: change.message });
    else if (change.type === 'delete' && change.key === `${namespace}/${name}`) changed();
    else if (
      change.type === 'upsert' &&
      change.rollout.metadata?.namespace === namespace &&
      change.rollout.metadata?.name === name
    ) {
      changed();
    }
  });
  stream = open();
  stream.onClose(() => {
    clearTimeout(timer);
    unwatchEvents();
    unsubscribe();
  });
  send();
}
