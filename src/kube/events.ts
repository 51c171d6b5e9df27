import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type ApiServer, isNotFound, type KubeObject } from './api-server.js';
import { knownTypes, ResourceClient } from './resources.js';

export type EventType = 'Normal' | 'Warning';

/** The object an Event is about (the Rollout). */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion?: string;
}

export interface EventRecorderOptions {
  component?: string;
  /** Who wrote it, e.g. the pod name; shown as reportingInstance. */
  instance?: string;
  logger?: Logger;
}

interface Recorded {
  namespace: string;
  name: string;
  count: number;
}

const maxMessageLength = 1024;
/** How many distinct recent events to remember for aggregation. */
const RECENT_EVENTS = 4096;
/**
 * Events sent at once. The rest wait their turn here, so that reports never take more than a
 * few of the API client's sockets from the status and route writes that steps need (at 1,000
 * progressing Rollouts Events were a fifth of all requests).
 */
const MAX_IN_FLIGHT = 4;
/** Events waiting their turn; past this many a new one is dropped (and the drop logged). */
const MAX_WAITING = 10_000;

/** An Event waiting to be sent: what it says, and whom to tell whether it was. */
interface Waiting {
  involved: InvolvedObject;
  type: EventType;
  reason: string;
  text: string;
  timestamp: string;
  settle: (recorded: boolean) => void;
}

/**
 * Writes core/v1 Events about an object, a few at once and the rest in order. A repeat of the
 * same (object, type, reason, message) increments the count of the earlier Event instead of
 * adding one, as kubectl's recorder does. Recording never throws: an Event is a report, its
 * loss must not stop a rollout.
 *
 * Waiting Events are plain records in a queue, not suspended calls: at 1,000 progressing
 * Rollouts about 4,000 wait at once, and each suspended call held about 1.7 KiB (its frames,
 * their promises and a turn's closure), 6.5 MiB of the controller's heap in all.
 */
export class EventRecorder {
  private readonly events: ResourceClient;
  private readonly recent = new Map<string, Recorded>();
  private readonly component: string;
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  /** Dropping now: the drop is logged once until the queue has room again. */
  private dropping = false;

  constructor(
    api: ApiServer,
    private readonly options: EventRecorderOptions = {},
  ) {
    this.events = new ResourceClient(api, knownTypes.events);
    this.component = options.component ?? 'fledge';
  }

  /**
   * Records the event; resolves false when it was dropped (too many waiting) or the API server
   * refused it (logged).
   */
  record(
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<boolean> {
    try {
      return this.enqueue(involved, type, reason, message);
    } catch (error) {
      this.options.logger?.warn({ err: error, reason }, 'could not record a Kubernetes Event');
      return Promise.resolve(false);
    }
  }

  private enqueue(
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<boolean> {
    if (this.waiting.length >= MAX_WAITING) {
      if (!this.dropping) {
        this.options.logger?.warn(
          { reason, involved: `${involved.namespace}/${involved.name}`, waiting: MAX_WAITING },
          'dropping Kubernetes Events: the API server takes them slower than they come; the status still says what happened',
        );
      }
      this.dropping = true;
      return Promise.resolve(false);
    }
    const text =
      message.length > maxMessageLength ? `${message.slice(0, maxMessageLength - 3)}...` : message;
    const timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return new Promise<boolean>((settle) => {
      this.waiting.push({ involved, type, reason, text, timestamp, settle });
      this.sendWaiting();
    });
  }

  /** Sends the oldest waiting Events while fewer than MAX_IN_FLIGHT are on the wire. */
  private sendWaiting(): void {
    while (this.inFlight < MAX_IN_FLIGHT) {
      const next = this.waiting.shift();
      if (!next) return;
      this.inFlight += 1;
      const sent = (recorded: boolean) => {
        this.inFlight -= 1;
        if (this.waiting.length < MAX_WAITING / 2) this.dropping = false;
        next.settle(recorded);
        this.sendWaiting();
      };
      // `send` catches what the API server answers; a throw past it still frees the slot.
      void this.send(next).then(sent, () => sent(false));
    }
  }

  private async send({ involved, type, reason, text, timestamp }: Waiting): Promise<boolean> {
    const key = [involved.uid, type, reason, text].join('\u0000');
    try {
      const earlier = this.recent.get(key);
      if (earlier && (await this.increment(earlier, timestamp))) return true;
      const created = await this.events.create(
        this.newEvent(involved, type, reason, text, timestamp),
      );
      this.remember(key, {
        namespace: involved.namespace,
        name: created.metadata?.name ?? '',
        count: 1,
      });
      return true;
    } catch (error) {
      this.options.logger?.warn(
        { err: error, reason, involved: `${involved.namespace}/${involved.name}` },
        'could not record a Kubernetes Event; check that the controller may create and patch events',
      );
      return false;
    }
  }

  /** False when the earlier Event expired (the API server removes them after an hour). */
  private async increment(earlier: Recorded, timestamp: string): Promise<boolean> {
    try {
      await this.events.mergePatch(earlier.namespace, earlier.name, {
        count: earlier.count + 1,
        lastTimestamp: timestamp,
      });
      earlier.count += 1;
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private remember(key: string, recorded: Recorded): void {
    this.recent.delete(key);
    this.recent.set(key, recorded);
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= RECENT_EVENTS) break;
      this.recent.delete(oldest);
    }
  }

  private newEvent(
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
    timestamp: string,
  ): KubeObject {
    return {
      metadata: {
        name: `${involved.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`,
        namespace: involved.namespace,
      },
      involvedObject: { ...involved },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: this.component },
      reportingComponent: this.component,
      ...(this.options.instance ? { reportingInstance: this.options.instance } : {}),
    };
  }
}

/** The InvolvedObject of an object read from the API server. */
export function involvedObjectOf(object: KubeObject): InvolvedObject {
  const { apiVersion = '', kind = '', metadata = {} } = object;
  return {
    apiVersion,
    kind,
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    uid: metadata.uid ?? '',
    ...(metadata.resourceVersion ? { resourceVersion: metadata.resourceVersion } : {}),
  };
}
