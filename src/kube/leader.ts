import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type ApiServer, isConflict, type KubeObject } from './api-server.js';
import { knownTypes, ResourceClient } from './resources.js';

export interface LeaderElectionOptions {
  namespace: string;
  /** The Lease's name, shared by every replica. */
  name: string;
  /** Defaults to the pod name (HOSTNAME) plus a random suffix, unique per process. */
  identity?: string;
  leaseDurationMs?: number;
  /** A leader that could not renew for this long stops leading, before others may take over. */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  logger?: Logger;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

type Attempt = 'leading' | 'follower' | 'failed';

export const defaultIdentity = (): string =>
  `${process.env.HOSTNAME || hostname()}-${randomBytes(3).toString('hex')}`;

/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go does it: a lease is
 * expired when its record has not changed for leaseDuration by this process's own clock
 * (so clock skew between nodes does not matter), updates are conditional on
 * resourceVersion, and a conflict simply means someone else won this round.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly leases: ResourceClient<Lease>;
  private readonly stopController = new AbortController();
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private lastRenewAt = 0;
  private observedRecord = '';
  private observedAt = 0;
  private loop: Promise<void> | undefined;

  constructor(
    api: ApiServer,
    private readonly options: LeaderElectionOptions,
  ) {
    this.leases = new ResourceClient<Lease>(api, knownTypes.leases);
    this.identity = options.identity ?? defaultIdentity();
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? (this.leaseDurationMs * 2) / 3;
    this.retryPeriodMs = options.retryPeriodMs ?? this.leaseDurationMs / 3;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error(
        `leader election: renewDeadline (${this.renewDeadlineMs} ms) must be shorter than leaseDuration (${this.leaseDurationMs} ms), or two replicas could lead at once`,
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops trying and, when leading, hands the Lease back so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.loop;
    if (!this.leading) return;
    try {
      const lease = await this.leases.get(this.options.namespace, this.options.name);
      if (lease.spec?.holderIdentity === this.identity) {
        const now = microTime(new Date());
        await this.leases.replace({
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now },
        });
      }
    } catch (error) {
      this.options.logger?.warn(
        { err: error, lease: this.leaseName },
        'could not release the leader Lease; another replica takes over once it expires',
      );
    }
    this.setLeading(false);
  }

  private get leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const attempt = await this.tryAcquireOrRenew().catch((error: unknown): Attempt => {
        this.options.logger?.warn(
          { err: error, lease: this.leaseName },
          'leader election attempt failed',
        );
        return 'failed';
      });
      if (signal.aborted) break;
      if (attempt === 'leading') {
        this.lastRenewAt = Date.now();
        this.setLeading(true);
      } else if (
        attempt === 'follower' ||
        (this.leading && Date.now() - this.lastRenewAt > this.renewDeadlineMs)
      ) {
        this.setLeading(false);
      }
      const jitter = this.leading ? 1 : 1 + Math.random() * 0.2;
      await sleep(this.retryPeriodMs * jitter, undefined, { signal }).catch(() => undefined);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.logger?.info(
      { lease: this.leaseName, identity: this.identity, leading },
      'leadership changed',
    );
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { namespace, name } = this.options;
    const now = new Date();
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    const lease = await this.leases.find(namespace, name);
    if (!lease) {
      return this.write(() =>
        this.leases.create({
          metadata: { namespace, name },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        }),
      );
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now.getTime();
    }
    const holder = spec.holderIdentity ?? '';
    const expired =
      !holder || this.observedAt + (spec.leaseDurationSeconds ?? 0) * 1000 <= now.getTime();
    if (holder !== this.identity && !expired) return 'follower';
    const renewing = holder === this.identity;
    return this.write(() =>
      this.leases.replace({
        ...lease,
        spec: {
          holderIdentity: this.identity,
          leaseDurationSeconds,
          acquireTime: renewing ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
        },
      }),
    );
  }

  private async write(request: () => Promise<Lease>): Promise<Attempt> {
    try {
      const written = await request();
      this.observedRecord = JSON.stringify(written.spec ?? {});
      this.observedAt = Date.now();
      return 'leading';
    } catch (error) {
      if (isConflict(error)) return 'follower';
      throw error;
    }
  }
}

/** The MicroTime format of Lease timestamps: RFC 3339 with microseconds. */
export const microTime = (date: Date): string => date.toISOString().replace(/Z$/, '000Z');
