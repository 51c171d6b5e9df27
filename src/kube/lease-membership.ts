import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type ApiServer, isAlreadyExists, isNotFound, type KubeObject } from './api-server.js';
import { leaseClock } from './leader-term.js';
import {
  expiresAt,
  type LeaseSpec,
  leaseDurationSeconds,
  leaseTimings,
  microTime,
  type Observation,
  observe,
} from './lease-record.js';
import { knownTypes, ResourceClient } from './resources.js';

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaseMembershipOptions {
  namespace: string;
  /** Names the group: the member Leases' label and name prefix. */
  group: string;
  identity: string;
  leaseDurationMs: number;
  /** What this member says of itself (its shard count), on its Lease for the others to read. */
  annotations?: Record<string, string>;
  /**
   * Only look at the group, without joining it (no Lease of its own), and only while this
   * says so: a replica outside the group that needs to know who is in it before it acts.
   */
  observeWhile?: () => boolean;
  logger?: Logger;
}

/** The label that marks a member Lease of a group. */
export const memberLabel = 'fledge.dev/member-of';

/** A member that was not seen renewing for this many lease durations is deleted by whoever sees it. */
const forgetAfterLeases = 10;

/** A label value (at most 63 characters) that names the group. */
function groupLabel(group: string): string {
  return group.length <= 63 ? group : createHash('sha256').update(group).digest('hex').slice(0, 32);
}

/**
 * The member Lease of an identity: a DNS subdomain name (at most 253 characters), whatever
 * the identity is made of.
 */
export function memberLeaseName(group: string, identity: string): string {
  const id = createHash('sha256').update(identity).digest('hex').slice(0, 12);
  const suffix = `-member-${id}`;
  return `${group.slice(0, 253 - suffix.length)}${suffix}`;
}

/**
 * Who is alive in a group of replicas, through one coordination.k8s.io Lease per replica:
 * each renews its own every retry period and lists the group's; a member counts as live while
 * its Lease changed within its lease duration, as this process saw it (the same rule as leader
 * election: never the writer's clock). A member gone for ten lease durations (a killed pod) has
 * its Lease deleted, so the group does not grow with restarts.
 */
export class LeaseMembership {
  private readonly leases: ResourceClient<Lease>;
  private readonly stopping = new AbortController();
  private readonly observations = new Map<string, Observation>();
  private readonly retryPeriodMs: number;
  private readonly durationSeconds: number;
  private readonly name: string;
  private live: string[] = [];
  private liveAnnotations = new Map<string, Record<string, string>>();
  private listed = false;
  /** leaseClock() when the last list ended; what this class knows is as old as that. */
  private lookedAt = Number.NEGATIVE_INFINITY;
  private loop: Promise<void> | undefined;
  private firstRound: (() => void) | undefined;
  /** Resolves once the first renew and list ended, well or not. */
  readonly started = new Promise<void>((resolve) => {
    this.firstRound = resolve;
  });

  constructor(
    api: ApiServer,
    private readonly options: LeaseMembershipOptions,
  ) {
    this.leases = new ResourceClient<Lease>(api, knownTypes.leases);
    const timings = leaseTimings({ leaseDurationMs: options.leaseDurationMs });
    this.retryPeriodMs = timings.retryPeriodMs;
    this.durationSeconds = leaseDurationSeconds(timings);
    this.name = memberLeaseName(options.group, options.identity);
  }

  /** The live members' identities, this one included, sorted. */
  members(): string[] {
    return this.live.includes(this.options.identity)
      ? this.live
      : [...this.live, this.options.identity].sort();
  }

  /** Whether the group's Leases were listed at least once. */
  looked(): boolean {
    return this.listed;
  }

  /** Whether the group's Leases were listed within the last `ms` (leaseClock). */
  lookedWithin(ms: number): boolean {
    return leaseClock() - this.lookedAt <= ms;
  }

  /** The other live members whose annotation `key` is not `value` (or is missing). */
  disagreeing(key: string, value: string): string[] {
    return this.live.filter(
      (identity) =>
        identity !== this.options.identity && this.liveAnnotations.get(identity)?.[key] !== value,
    );
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops renewing and deletes this member's Lease, so the others see it gone at once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    if (this.options.observeWhile) return;
    await this.leases
      .delete(this.options.namespace, this.name, { timeoutMs: this.retryPeriodMs })
      .catch((error: unknown) =>
        this.options.logger?.warn({ err: error }, 'could not delete this replica’s member Lease'),
      );
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const { observeWhile } = this.options;
      try {
        if (!observeWhile) await this.renew();
        if (!observeWhile || observeWhile()) await this.look();
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        this.options.logger?.warn(
          { err: error, group: this.options.group },
          'could not renew or list the member Leases; retrying',
        );
      }
      this.firstRound?.();
      await sleep(this.retryPeriodMs, undefined, { signal: this.stopping.signal }).catch(
        () => undefined,
      );
    }
    this.firstRound?.();
  }

  private call() {
    return { signal: this.stopping.signal, timeoutMs: this.retryPeriodMs };
  }

  private async renew(): Promise<void> {
    const { namespace, identity } = this.options;
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.durationSeconds,
      renewTime: microTime(new Date()),
    };
    const annotations = this.options.annotations ?? {};
    try {
      await this.leases.mergePatch(
        namespace,
        this.name,
        { metadata: { annotations }, spec },
        undefined,
        this.call(),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const metadata = {
        namespace,
        name: this.name,
        labels: { [memberLabel]: groupLabel(this.options.group) },
        annotations,
      };
      await this.leases.create({ metadata, spec }, this.call()).catch((created: unknown) => {
        if (!isAlreadyExists(created)) throw created;
      });
    }
  }

  private async look(): Promise<void> {
    const { items } = await this.leases.list(
      this.options.namespace,
      { labelSelector: `${memberLabel}=${groupLabel(this.options.group)}` },
      this.call(),
    );
    const now = leaseClock();
    const live: string[] = [];
    const liveAnnotations = new Map<string, Record<string, string>>();
    const seen = new Set<string>();
    for (const lease of items) {
      const name = lease.metadata?.name ?? '';
      seen.add(name);
      const observation = observe(this.observations.get(name), lease.spec ?? {}, now);
      this.observations.set(name, observation);
      const holder = lease.spec?.holderIdentity;
      if (holder && now < expiresAt(observation)) {
        live.push(holder);
        liveAnnotations.set(holder, lease.metadata?.annotations ?? {});
      } else if (now > observation.at + observation.durationMs * forgetAfterLeases) {
        await this.leases.delete(this.options.namespace, name, this.call()).catch(() => false);
      }
    }
    for (const name of this.observations.keys()) {
      if (!seen.has(name)) this.observations.delete(name);
    }
    this.live = live.sort();
    this.liveAnnotations = liveAnnotations;
    this.listed = true;
    this.lookedAt = now;
  }
}
