import type { Logger } from 'pino';
import { type Actor, createActor, type Subscription } from 'xstate';
import type { ManualAction } from '../../machines/allowedActions.js';
import { allowedActions, manualActionEvents } from '../../machines/allowedActions.js';
import {
  type MachineDocument,
  restoreActor,
  toStatusDocument,
} from '../../machines/persistence.js';
import type { RolloutPlan } from '../../machines/plan.js';
import { type Effects, provideEffects } from '../../machines/provide.js';
import { type RolloutMachine, rolloutMachine } from '../../machines/rollout.js';
import type { ConditionUpdate } from '../api/conditions.js';
import type { ManualAction as ManualActionStatus, Rollout } from '../api/types.js';
import { jsonEqual } from '../kube/patch.js';
import { sendEvent } from '../webhooks/steps.js';
import { type Decision, decisionsBetween } from './decisions.js';
import { statusFromMachine } from './status.js';
import type { RolloutMetricsView } from './telemetry.js';

/** What a runner needs from the controller around it. */
export interface RunnerHost {
  log: Logger;
  /** Writes the status; resolves with the Rollout as the server now has it. */
  writeStatus(rollout: Rollout, status: NonNullable<Rollout['status']>): Promise<Rollout>;
  recordEvent(rollout: Rollout, decision: Decision): void;
  observe(view: RolloutMetricsView): void;
  finished(rollout: Rollout, result: 'succeeded' | 'failed'): void;
  /** The HTTP proxy for event webhooks (the playground's mesh proxy). */
  proxy: string | undefined;
}

/**
 * One Rollout's machine, alive while this controller leads: it runs the machine with the
 * controller's effects, turns every change of its state into status, Events and metrics, and
 * takes the reconcile's news (spec, revision, manual actions).
 */
export class RolloutRunner {
  private actor: Actor<RolloutMachine>;
  private subscription: Subscription;
  private document: MachineDocument | null = null;
  private pending: MachineDocument | null = null;
  private writing: Promise<void> = Promise.resolve();
  private lastAction: ManualActionStatus | undefined;
  /** Conditions the effects set (backend availability), by type. */
  private readonly effectConditions = new Map<string, ConditionUpdate>();
  private broken: Error | null = null;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private rollout: Rollout,
    private plan: RolloutPlan,
    revision: string,
    private readonly effects: (runner: RolloutRunner) => Effects,
    private readonly host: RunnerHost,
  ) {
    const stored = rollout.status?.machine;
    this.actor = this.createActor(stored, revision);
    this.subscription = this.start();
  }

  get latest(): Rollout {
    return this.rollout;
  }

  get phase(): string {
    return this.document?.phase ?? 'Initializing';
  }

  get revision(): string {
    return this.actor.getSnapshot().context.revision;
  }

  /** Set when the machine stopped on an error of its own; the reconcile replaces the runner. */
  get failure(): Error | null {
    return this.broken;
  }

  /** Paused because a person asked with the pause annotation (not by onFailure or onNoData). */
  get pausedByRequest(): boolean {
    const context = this.actor.getSnapshot().context;
    return this.phase === 'Paused' && context.reason === 'PauseRequested';
  }

  /** The newest Rollout from the API server; a changed plan restarts the machine where it is. */
  update(rollout: Rollout, plan: RolloutPlan): void {
    this.rollout = rollout;
    if (jsonEqual(plan, this.plan)) return;
    this.plan = plan;
    const document = toStatusDocument(this.actor.getSnapshot());
    this.subscription.unsubscribe();
    this.actor.stop();
    this.actor = this.createActor(document, document.revision);
    this.subscription = this.start();
    this.host.log.info({ plan }, 'spec changed: the machine continues with the new plan');
  }

  revisionSeen(revision: string): void {
    this.actor.send({ type: 'NEW_REVISION', revision });
  }

  /** A person's action from an annotation; refused (with an Event) where the phase does not allow it. */
  act(action: ManualAction): boolean {
    const phase = this.phase as Parameters<typeof allowedActions>[0];
    if (!allowedActions(phase).includes(action)) {
      this.host.recordEvent(this.rollout, {
        type: 'Warning',
        reason: 'ActionRefused',
        message: `${action} is not possible in phase ${phase}; allowed: ${allowedActions(phase).join(', ') || 'none'}`,
      });
      return false;
    }
    this.lastAction = { action, at: new Date().toISOString() };
    this.host.recordEvent(this.rollout, {
      type: 'Normal',
      reason: `Manual${action[0]?.toUpperCase()}${action.slice(1)}`,
      message: `${action} requested through the fledge.dev/${action === 'resume' ? 'pause' : action} annotation`,
    });
    this.actor.send(manualActionEvents[action]);
    return true;
  }

  /**
   * Whether the machine is between effects (waiting for time or a person), so that what the
   * cluster holds must match its state: the moment to correct drift without racing a write.
   */
  get resting(): boolean {
    const snapshot = this.actor.getSnapshot();
    return [
      'Initialized',
      'Paused',
      { Progressing: 'idle' },
      { WaitingPromotion: 'idle' },
      { Succeeded: 'done' },
      { Failed: 'rolledBack' },
    ].some((state) => snapshot.matches(state as never));
  }

  get canaryWeight(): number {
    return this.actor.getSnapshot().context.canaryWeight;
  }

  /** Stops the machine; its state stays in status for whoever runs it next. */
  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.subscription.unsubscribe();
    this.actor.stop();
    await this.writing;
  }

  /** Resolves once every state change so far is in the API server. */
  flushed(): Promise<void> {
    return this.writing;
  }

  /** Records a condition an effect observed; a change is written with the next status. */
  setCondition(update: ConditionUpdate): void {
    const current = this.effectConditions.get(update.type);
    if (current && jsonEqual(current, update)) return;
    this.effectConditions.set(update.type, update);
    if (!this.document) return;
    this.pending ??= this.document;
    this.writing = this.writing.then(() => this.flush());
  }

  private createActor(stored: unknown, revision: string): Actor<RolloutMachine> {
    const machine = provideEffects(rolloutMachine, this.effects(this));
    const options = { plan: this.plan, revision, now: Date.now };
    if (stored !== undefined && stored !== null) return restoreActor(machine, stored, options);
    return createActor(machine, { input: options });
  }

  private start(): Subscription {
    const subscription = this.actor.subscribe({
      next: (snapshot) => this.changed(toStatusDocument(snapshot)),
      error: (error) => {
        this.broken = error instanceof Error ? error : new Error(String(error));
        this.host.log.error({ err: error }, 'the rollout machine stopped on an error');
      },
    });
    this.actor.start();
    return subscription;
  }

  private changed(document: MachineDocument): void {
    if (this.document && jsonEqual(document, this.document)) return;
    const before = this.document;
    this.document = document;
    const { namespace = 'default', name = '' } = this.rollout.metadata;
    for (const decision of decisionsBetween(before, document, this.plan.threshold)) {
      this.host.recordEvent(this.rollout, decision);
      this.host.log.info({ decision, phase: document.phase }, decision.message);
      void sendEvent(
        this.rollout.spec.analysis.webhooks ?? [],
        { name, namespace, phase: document.phase, checksum: document.revision },
        { message: decision.message, type: decision.type },
        { proxy: this.host.proxy ?? '', logger: this.host.log },
      );
    }
    if (before && before.phase !== document.phase) {
      if (document.phase === 'Succeeded') this.host.finished(this.rollout, 'succeeded');
      if (document.phase === 'Failed') this.host.finished(this.rollout, 'failed');
    }
    this.host.observe({
      namespace,
      name,
      phase: document.phase,
      canaryWeight: document.canaryWeight,
      failedChecks: document.failedChecks,
      lastAnalysis: document.lastAnalysis?.results ?? [],
    });
    this.pending = document;
    this.writing = this.writing.then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const document = this.pending;
    if (!document) return;
    this.pending = null;
    try {
      const status = statusFromMachine(this.rollout, document, new Date(), this.lastAction, [
        ...this.effectConditions.values(),
      ]);
      this.rollout = await this.host.writeStatus(this.rollout, status);
    } catch (error) {
      this.host.log.warn({ err: error }, 'status write failed; retrying in 1s');
      if (!this.pending) this.pending = document;
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.writing = this.writing.then(() => this.flush());
        }, 1000);
        this.retryTimer.unref();
      }
    }
  }
}
