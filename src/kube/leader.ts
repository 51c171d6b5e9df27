import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LinkedAbort } from './abort.js';
import { type ApiServer, type CallOptions, isConflict, type KubeObject } from './api-server.js';
import { type LeaderTerm, leaseClock, NotLeadingError, Term } from './leader-term.js';
import {
  expiresAt,
  type LeaseSpec,
  type LeaseTimings,
  leaseDurationSeconds,
  leaseTimings,
  microTime,
  nextStep,
  type Observation,
  observe,
} from './lease-record.js';
import { knownTypes, ResourceClient } from './resources.js';

export {
  isNotLeading,
  type LeaderTerm,
  leaseClock,
  NotLeadingError,
} from './leader-term.js';
export { microTime } from './lease-record.js';

export interface LeaderElectionOptions extends Partial<LeaseTimings> {
  namespace: string;
  /** The Lease's name, shared by every replica. */
  name: string;
  /** Defaults to the pod name (HOSTNAME) plus a random suffix, unique per process. */
  identity?: string;
  onStartedLeading: (term: LeaderTerm) => void;
  /** Called the moment the term ends, whatever Lease calls are still pending. */
  onStoppedLeading: (term: LeaderTerm) => void;
  /**
   * Asked before taking a Lease that is free (expired, released or absent), with how long it
   * has been free as this process saw it; false leaves it to others this round. Default: take it.
   */
  mayAcquire?: (freeForMs: number) => boolean;
  logger?: Logger;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export const defaultIdentity = (): string =>
  `${process.env.HOSTNAME || hostname()}-${randomBytes(3).toString('hex')}`;

const deadlinePassed = 'the renew deadline passed without a successful renewal';

type Outcome =
  | {
      kind: 'written';
      lease: Lease;
      sentAt: number;
      acquiring: boolean;
      tookOverFrom?: { identity: string; expiredAt: number };
    }
  | { kind: 'follow'; holder: string; expiresAt: number };

/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go does it (expiry
 * judged by this process's own clock from when it saw the record change; updates
 * conditional on resourceVersion; a conflict means someone else won), with two differences:
 * a term ends on a timer, renewDeadline after the last successful write was sent, however
 * long the pending calls hang; and no Lease call outlasts that deadline.
 */
export class LeaderElector {
  readonly identity: string;
  readonly timings: LeaseTimings;
  private readonly leases: ResourceClient<Lease>;
  private readonly stopping = new AbortController();
  private readonly durationSeconds: number;
  private current: Term | undefined;
  private observation: Observation | undefined;
  /** The Lease as this process last wrote it: the base of the next renew and of the release. */
  private written: Lease | undefined;
  private followUntil = 0;
  /** leaseClock() when this process first found no Lease at all. */
  private absentSince: number | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    api: ApiServer,
    private readonly options: LeaderElectionOptions,
  ) {
    this.leases = new ResourceClient<Lease>(api, knownTypes.leases);
    this.identity = options.identity ?? defaultIdentity();
    this.timings = leaseTimings(options);
    this.durationSeconds = leaseDurationSeconds(this.timings);
  }

  get lease(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  /** Exact by the local clock. */
  get isLeader(): boolean {
    return this.current?.active ?? false;
  }

  /** The running term; undefined when not leading. */
  get term(): LeaderTerm | undefined {
    return this.current?.active ? this.current : undefined;
  }

  /**
   * The running term, if it lasts more than `marginMs` yet; otherwise throws a
   * NotLeadingError. Call it right before a write, with the time the write may take.
   */
  requireLeading(marginMs = 0): LeaderTerm {
    if (!this.current) {
      throw new NotLeadingError(this.lease, this.identity, undefined, 'no term is running');
    }
    return this.current.require(marginMs);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops renewing and ends the term at once (onStoppedLeading), aborting pending Lease
   * calls, then hands the Lease back (conditional on the resourceVersion this process last
   * wrote, so only if nobody took it since) so another replica takes over without waiting
   * for expiry. Call it after the work done under the term has stopped: the Lease is the
   * last thing a leader lets go of.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.current) this.endTerm(this.current, 'stopped');
    await this.loop;
    await this.release();
  }

  private async release(): Promise<void> {
    const written = this.written;
    this.written = undefined;
    if (written?.spec?.holderIdentity !== this.identity) return;
    try {
      try {
        await this.handBack(written);
      } catch (error) {
        // A renewal whose answer stop() did not wait for may have landed after `written`:
        // the Lease then moved on but is still this replica's, so hand back that one. If
        // anyone else holds it now, it is theirs, and stays so.
        if (!isConflict(error)) throw error;
        const { namespace, name } = this.options;
        const current = await this.leases.find(namespace, name, {
          timeoutMs: this.timings.retryPeriodMs,
        });
        if (current?.spec?.holderIdentity !== this.identity) throw error;
        await this.handBack(current);
      }
      this.options.logger?.info({ lease: this.lease }, 'released the leader Lease');
    } catch (error) {
      this.options.logger?.warn(
        { err: error, lease: this.lease },
        isConflict(error)
          ? 'did not release the leader Lease: another replica holds it now'
          : 'could not release the leader Lease; another replica takes over once it expires',
      );
    }
  }

  /** Hands `lease` back empty, conditional on its resourceVersion. */
  private async handBack(lease: Lease): Promise<void> {
    const now = microTime(new Date());
    await this.leases.replace(
      {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
        },
      },
      undefined,
      { timeoutMs: this.timings.retryPeriodMs },
    );
  }

  private async run(): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      const started = leaseClock();
      await this.attempt(started);
      if (stop.aborted) break;
      const { retryPeriodMs } = this.timings;
      const now = leaseClock();
      const retry = retryPeriodMs * (1 + Math.random() * 0.2);
      const wait = this.isLeader
        ? started + retryPeriodMs - now
        : // A follower comes back when the holder's lease would expire, if that is sooner.
          this.followUntil > now
          ? Math.min(retry, this.followUntil - now)
          : retry;
      if (wait > 0) await sleep(wait, undefined, { signal: stop }).catch(() => undefined);
    }
  }

  /**
   * One acquire or renew, done within min(renewDeadline - retryPeriod, the time left in the
   * term). Not within a retry period: an API server that answers in more than one (a loaded
   * one) would then never see a renewal or an acquisition complete, and nobody would lead;
   * the term's own deadline is what keeps a leader safe, and the margin leaves a hung call
   * room for one more try on a new connection.
   */
  private async attempt(started: number): Promise<void> {
    // A term past its deadline ends here if its timer has not run yet, so that it is
    // reported stopped before any next term is reported started.
    if (this.current && !this.current.active) this.endTerm(this.current, deadlinePassed);
    const term = this.current;
    const { renewDeadlineMs, retryPeriodMs } = this.timings;
    const deadline = Math.min(
      started + renewDeadlineMs - retryPeriodMs,
      term?.validUntil ?? Number.POSITIVE_INFINITY,
    );
    const scope = new LinkedAbort([this.stopping.signal, term?.signal]);
    const call = (): CallOptions => {
      const left = Math.floor(deadline - leaseClock());
      if (left < 1) throw new Error('no time left for this attempt before its deadline');
      return { signal: scope.signal, timeoutMs: left };
    };
    try {
      const outcome = await this.acquireOrRenew(term, call);
      if (scope.signal.aborted) return;
      // A term that ran out while the answer came in is not brought back: isLeader said false.
      if (term && !term.active) {
        this.endTerm(term, deadlinePassed);
        return;
      }
      this.settle(term, outcome);
    } catch (error) {
      if (scope.signal.aborted) return;
      if (term && isConflict(error)) {
        this.endTerm(term, 'the Lease changed under this leader (conflict on renew)');
        return;
      }
      this.options.logger?.warn(
        { err: error, lease: this.lease, leading: term !== undefined },
        term
          ? `could not renew the leader Lease; leading for ${Math.round(term.remainingMs)} ms more unless a renewal succeeds`
          : 'could not read or acquire the leader Lease; retrying',
      );
    } finally {
      scope.dispose();
    }
  }

  private settle(term: Term | undefined, outcome: Outcome): void {
    if (outcome.kind === 'follow') {
      this.written = undefined;
      this.followUntil = outcome.expiresAt;
      if (term) this.endTerm(term, `the Lease is held by "${outcome.holder}" now`);
      return;
    }
    this.written = outcome.lease;
    this.observation = observe(this.observation, outcome.lease.spec ?? {}, leaseClock());
    if (!outcome.acquiring && term) {
      term.extend(outcome.sentAt, this.timings.renewDeadlineMs);
      return;
    }
    const next = new Term(
      this.lease,
      this.identity,
      outcome.lease.spec?.leaseTransitions ?? 0,
      outcome.sentAt,
      this.timings.renewDeadlineMs,
      outcome.tookOverFrom,
      (ended) => this.endTerm(ended, deadlinePassed),
    );
    if (!next.active) return;
    this.current = next;
    next.arm();
    this.options.logger?.info(
      { lease: this.lease, identity: this.identity, term: next.number },
      'leading',
    );
    this.notify(() => this.options.onStartedLeading(next));
  }

  private endTerm(term: Term, reason: string): void {
    if (!term.end(reason)) return;
    if (this.current === term) this.current = undefined;
    this.options.logger?.info(
      { lease: this.lease, identity: this.identity, term: term.number, reason },
      'stopped leading',
    );
    this.notify(() => this.options.onStoppedLeading(term));
  }

  private notify(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.options.logger?.error({ err: error, lease: this.lease }, 'a leadership callback threw');
    }
  }

  private async acquireOrRenew(term: Term | undefined, call: () => CallOptions): Promise<Outcome> {
    const { namespace, name } = this.options;
    // A leader renews the record it wrote last without reading it first: one call, not two.
    if (term && this.written) {
      const sentAt = leaseClock();
      try {
        const lease = await this.leases.replace(this.renewal(this.written), undefined, call());
        return { kind: 'written', lease, sentAt, acquiring: false };
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    const current = await this.leases.find(namespace, name, call());
    if (current) this.observation = observe(this.observation, current.spec ?? {}, leaseClock());
    if (current) this.absentSince = undefined;
    else this.absentSince ??= leaseClock();
    const step = nextStep(
      current?.spec,
      this.observation,
      {
        identity: this.identity,
        leading: term !== undefined,
        leaseDurationSeconds: this.durationSeconds,
      },
      leaseClock(),
      new Date(),
    );
    if (step.action === 'follow') return { kind: 'follow', ...step };
    if (step.acquiring && this.options.mayAcquire) {
      const freeSince =
        current && this.observation ? expiresAt(this.observation) : (this.absentSince ?? 0);
      if (!this.options.mayAcquire(Math.max(0, leaseClock() - freeSince))) {
        return { kind: 'follow', holder: current?.spec?.holderIdentity ?? '', expiresAt: 0 };
      }
    }
    const sentAt = leaseClock();
    try {
      const lease = current
        ? await this.leases.replace({ ...current, spec: step.spec }, undefined, call())
        : await this.leases.create({ metadata: { namespace, name }, spec: step.spec }, call());
      return {
        kind: 'written',
        lease,
        sentAt,
        acquiring: step.acquiring,
        ...(step.tookOverFrom ? { tookOverFrom: step.tookOverFrom } : {}),
      };
    } catch (error) {
      // Someone else wrote between the read and this write: they won this round.
      if (isConflict(error) && !term) return { kind: 'follow', holder: '', expiresAt: 0 };
      throw error;
    }
  }

  private renewal(written: Lease): Lease {
    return { ...written, spec: { ...written.spec, renewTime: microTime(new Date()) } };
  }
}
