import type { Logger } from 'pino';
import type { ApiServer, ObjectWithMeta } from '../kube/api-server.js';
import { describeType, type ResourceType } from '../kube/resources.js';
import { Watcher } from '../kube/watcher.js';

export interface WatchHandlers<T> {
  onChange?(object: T): void;
  onDelete?(object: T): void;
}

export interface SimulatorWatch<T extends ObjectWithMeta> {
  watcher: Watcher<T>;
  /** Resolves after the first list, or once the server said the type is not served. */
  synced: Promise<void>;
}

/**
 * A Watcher over every namespace, started. The simulators stand in for parts of a cluster
 * that react within seconds, so their watches are renewed every minute and a silent one is
 * dropped after 75 s; a type not served (a routing CRD not installed) counts as synced, so
 * a simulator starts with the kinds that exist and is looked for again every 5 s.
 */
export function startSimulatorWatch<T extends ObjectWithMeta>(
  api: ApiServer,
  resource: ResourceType,
  handlers: WatchHandlers<T>,
  logger: Logger,
): SimulatorWatch<T> {
  const log = logger.child({ resource: describeType(resource) });
  const watcher = new Watcher<T>(api, {
    resource,
    watchTimeoutSeconds: 60,
    watchdogMs: 75_000,
    backoffInitialMs: 1000,
    missingRetryMs: 5000,
  });
  let reportedMissing = false;
  const synced = new Promise<void>((resolve) => {
    watcher
      .on('add', (object) => handlers.onChange?.(object))
      .on('update', (object) => handlers.onChange?.(object))
      .on('delete', (object) => handlers.onDelete?.(object))
      .on('idle', (silentMs) => log.warn({ silentMs }, 'watch idle too long, opened again'))
      .on('list', (reason) => {
        if (reason === 'gone') log.info('watch expired, listed again');
        reportedMissing = false;
        resolve();
      })
      .on('missing', () => {
        if (!reportedMissing) {
          log.info('resource type not served (CRD not installed?); will look again');
        }
        reportedMissing = true;
        resolve();
      })
      .on('reconnect', (_attempt, delayMs, cause) => {
        log.warn({ err: cause, retryInMs: delayMs }, 'list/watch failed, retrying');
      });
  });
  watcher.start();
  return { watcher, synced };
}
