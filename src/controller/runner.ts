import type { Logger } from 'pino';
import { type Actor, createActor, type Subscription } from 'xstate';
import type { ManualAction } from '../../machines/allowedActions.js';
import { acceptedActions, manualActionEvents } from '../../machines/allowedActions.js';
import type { Phase } from '../../machines/context.js';
import { type EffectName, effectsAheadOfStatus } from '../../machines/effects.js';
import {
  type MachineDocument,
  parseMachineDocument,
  restoreActor,
  toStatusDocument,
} from '../../machines/persistence.js';
import { isResting, isSettled, phaseOf, restorePointOf } from '../../machines/phase.js';
import type { RolloutPlan } from '../../machines/plan.js';
import { type Effects, machineWithEffectsOf } from '../../machines/provide.js';
import { type RolloutMachine, rolloutMachine } from '../../machines/rollout.js';
import { restingTraffic, type Traffic } from '../../machines/weights.js';
import type { AlertNotice } from '../alerts/message.js';
import type { ConditionUpdate } from '../api/conditions.js';
import type { HistoryEntry, ManualAction as ManualActionStatus, Rollout } from '../api/types.js';
import { jsonEqual } from '../kube/patch.js';
import type { WebhookDelivery } from '../webhooks/call.js';
import { sendEvent } from '../webhooks/steps.js';
import { chainingClock } from './clock.js';
import { type Decision, decisionsBetween } from './decisions.js';
import type { EffectContext, Progress } from './effects/context.js';
import { appendHistory, historyBetween, historyEntry } from './history.js';
import { analysisLatenessSeconds } from './lateness.js';
import { statusFromMachine } from './status.js';
import type { StatusWriter } from './status-writer.js';
import type { RolloutMetricsView } from './telemetry.js';

/** Each running actor's effects, by its actor system; gone with the actor. */
const effectsBySystem = new WeakMap<object, Effects>();
const sharedMachine = machineWithEffectsOf(rolloutMachine, (system) => effectsBySystem.get(system));

/** What the effects of one rollout read from its runner: always the latest. */
export interface RunnerView {
  rollout(): Rollout;
  phase(): Phase;
  revision(): string;
  progress(): Progress;
  report(decision: Decision): void;
  condition(update: ConditionUpdate): void;
  /**
   * Resolves once the status that decided the running effect is written; throws a
   * StatusNotRecorded when it was given up. For an effect that starts ahead of its status.
   */
  decisionRecorded(): Promise<void>;
}

/** What a runner needs from the controller around it. */
export interface RunnerHost {
  log: Logger;
  /**
   * This controller ran the machine before and let it go while it was settled, so the stored
   * document was announced already: the restored machine announces and records only what
   * changed since (after a restart, a machine announces its state again instead).
   */
  resumed?: boolean;
  /** The one writer of this Rollout's status. */
  status: StatusWriter;
  recordEvent(rollout: Rollout, decision: Decision): void;
  /**
   * Tells the Rollout's `analysis.alerts` of a decision. Never rejects; resolves with the
   * condition that says whether its alert providers can be reached (none without alerts).
   */
  alert(rollout: Rollout, notice: AlertNotice): Promise<ConditionUpdate | undefined>;
  observe(view: RolloutMetricsView): void;
  /** The machine moved: a release may have joined, left or freed a slot of the release queue. */
  moved?(): void;
  /** An analysis began this many seconds after the time the machine set for it. */
  analysisStarted?(latenessSeconds: number): void;
  /**
   * An effect began this many seconds after the machine invoked it (it waited for the
   * effects before it and for the status that decided it).
   */
  effectStarted?(effect: string, waitedSeconds: number): void;
  finished(rollout: Rollout, result: 'succeeded' | 'failed'): void;
  /** The effects' world (API, routing, metrics) for this rollout, reading `view`. */
  effectContext(view: RunnerView): EffectContext;
  /** The machine's effects in that world. */
  effects(context: EffectContext): Effects;
  /** How event webhooks are delivered (proxy, the loadtester's token). */
  webhooks: WebhookDelivery;
}

/**
 * One Rollout's machine, alive while this controller leads: it runs the machine with the
 * controller's effects, turns every change of its state into status, history, Events and
 * metrics, and takes the reconcile's news (spec, revision, manual actions, a lost target).
 */
export class RolloutRunner {
  readonly context: EffectContext;
  private actor: Actor<RolloutMachine>;
  private subscription: Subscription;
  private document: MachineDocument | null = null;
  /** What the first state change is compared with: the stored document of a resumed runner. */
  private announced: MachineDocument | null = null;
  private lastAction: ManualActionStatus | undefined;
  private history: HistoryEntry[];
  /** Conditions the runner and its effects set (target, backends), by type. */
  private readonly conditions = new Map<string, ConditionUpdate>();
  /**
   * The effects (and drift corrections) in the order they started: each begins once the one
   * before has settled, so a write the machine no longer wants (aborted by a pause or a
   * rollback) lands before the next one, never after it; a stop waits for the last.
   */
  private lastWrite: Promise<unknown> = Promise.resolve();
  private broken: Error | null = null;
  private stopped = false;
  /** The last retried failure announced; the same failure again is not announced twice. */
  private lastRetry: string | null = null;

  constructor(
    private rollout: Rollout,
    private plan: RolloutPlan,
    revision: string,
    private readonly host: RunnerHost,
  ) {
    this.history = rollout.status?.history ?? [];
    if (host.resumed && rollout.status?.machine) {
      this.announced = parseMachineDocument(rollout.status.machine);
    }
    this.context = host.effectContext({
      rollout: () => this.rollout,
      phase: () => this.phase,
      revision: () => this.revision,
      progress: () => this.progress,
      report: (decision) => this.announce(decision, this.phase),
      condition: (update) => this.setCondition(update),
      decisionRecorded: async () => {
        if (!(await this.host.status.flushed())) {
          throw new StatusNotRecorded(
            'the status that decided this step was not written (the status writer logs why), so its next write waits: the machine retries the step, or the next leader redoes it',
          );
        }
      },
    });
    this.actor = this.createActor(rollout.status?.machine, revision);
    this.subscription = this.start();
  }

  get latest(): Rollout {
    return this.rollout;
  }

  get phase(): Phase {
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

  /**
   * Settled (the chart's `settled` tag) and everything it wants written is in `status` as the
   * controller's cache holds it: the machine may be let go and restored from that status.
   */
  releasable(status: Rollout['status']): boolean {
    if (!isSettled(this.actor.getSnapshot()) || !this.document || this.stopped) return false;
    if (!jsonEqual(status?.history ?? [], this.history)) return false;
    try {
      // Read as a restore reads it: a merge patch drops the document's null fields.
      return jsonEqual(parseMachineDocument(status?.machine), this.document);
    } catch {
      return false;
    }
  }

  /** Waiting for time or a person: what the cluster holds must match the machine's state. */
  get resting(): boolean {
    return isResting(this.actor.getSnapshot());
  }

  get canaryWeight(): number {
    return this.actor.getSnapshot().context.canaryWeight;
  }

  get progress(): Progress {
    const { canaryWeight, iterations, failedChecks } = this.actor.getSnapshot().context;
    return { canaryWeight, iterations, failedChecks };
  }

  /** The newest Rollout from the watch; a changed plan restarts the machine where it is. */
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

  /** The target Deployment is gone: canary traffic back to the primary, and say so. */
  targetLost(message: string): void {
    this.setCondition({ type: 'TargetFound', status: 'False', reason: 'TargetNotFound', message });
    this.actor.send({ type: 'TARGET_LOST' });
  }

  targetFound(): void {
    // Said lost by this runner, or in the status it was restored from.
    const stored = this.rollout.status?.conditions?.find((c) => c.type === 'TargetFound');
    if (!this.conditions.has('TargetFound') && stored?.status !== 'False') return;
    this.setCondition({
      type: 'TargetFound',
      status: 'True',
      reason: 'TargetFound',
      message: 'The target Deployment exists.',
    });
  }

  /** A person's action from an annotation; refused (with an Event) where the state does not act on it. */
  act(action: ManualAction): boolean {
    const snapshot = this.actor.getSnapshot();
    const allowed = acceptedActions(snapshot);
    if (!allowed.includes(action)) {
      const phase = phaseOf(snapshot);
      const state = restorePointOf(snapshot);
      this.record({
        type: 'Warning',
        reason: 'ActionRefused',
        message: `${action} is not possible in phase ${phase}${state === phase ? '' : ` (${state})`}; allowed: ${allowed.join(', ') || 'none'}`,
      });
      return false;
    }
    this.lastAction = { action, at: new Date().toISOString() };
    this.record({
      type: 'Normal',
      reason: `Manual${action[0]?.toUpperCase()}${action.slice(1)}`,
      message: `${action} requested through the fledge.dev/${action === 'resume' ? 'pause' : action} annotation`,
    });
    this.actor.send(manualActionEvents[action]);
    return true;
  }

  /**
   * Stops the machine, waits for its effects in flight (so no write lands after this) and for
   * the last status write; its state stays in status for whoever runs it next.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription.unsubscribe();
    this.actor.stop();
    await this.lastWrite;
    await this.host.status.flushed();
  }

  /**
   * Puts the routing object back to what the machine holds if someone else changed it, after
   * the effects in flight; only while resting, so it never races the machine's own writes.
   */
  async correctRouting(check: (traffic: Traffic) => Promise<void>): Promise<void> {
    if (!this.resting) return;
    await this.inOrder(async () => {
      if (this.resting) await check(restingTraffic(this.actor.getSnapshot().context));
    });
  }

  /** The machine's document as it is now (null before its first state). */
  get current(): MachineDocument | null {
    return this.document;
  }

  /** The release queue's verdict: while it waits, say why; once granted, start the release. */
  queueVerdict(condition: ConditionUpdate, granted: boolean): void {
    this.setCondition(condition);
    if (granted) this.actor.send({ type: 'SLOT_GRANTED' });
  }

  /** Resolves once every state change so far is in the API server (true) or given up. */
  flushed(): Promise<boolean> {
    return this.host.status.flushed();
  }

  /** Records a condition the runner or an effect observed; a change is written at once. */
  setCondition(update: ConditionUpdate): void {
    const current = this.conditions.get(update.type);
    if (current && jsonEqual(current, update)) return;
    this.conditions.set(update.type, update);
    if (this.document) this.writeStatus(this.document);
  }

  private createActor(stored: unknown, revision: string): Actor<RolloutMachine> {
    const options = { plan: this.plan, revision, now: Date.now, clock: chainingClock };
    const actor =
      stored !== undefined && stored !== null
        ? restoreActor(sharedMachine, stored, options)
        : createActor(sharedMachine, { clock: chainingClock, input: options });
    effectsBySystem.set(actor.system, this.tracked(this.host.effects(this.context)));
    return actor;
  }

  /**
   * The effects, each started after the one before it settled and, unless it goes ahead of
   * its status (`effectsAheadOfStatus`), after the status that decided it is written: the
   * decision is on record before its effect, so a replica that takes over never finds a weight
   * (or a promotion) its status does not explain. A status given up (the term ended, a
   * successor wrote, the server refused it) stops the effect.
   */
  private tracked(effects: Effects): Effects {
    type Run = (input: unknown, signal: AbortSignal) => Promise<unknown>;
    const track =
      (name: string, run: Run): Run =>
      (input, signal) => {
        const invoked = performance.now();
        return this.inOrder(async () => {
          // One that goes ahead of its status still needs a writer that has not given up: a
          // runner a newer term superseded must not fight its successor over the route.
          const recorded = effectsAheadOfStatus.has(name as EffectName)
            ? this.host.status.open
            : await this.host.status.flushed();
          if (signal.aborted) throw new Error('the machine left this step before it began');
          if (!recorded) throw new StatusNotRecorded();
          this.host.effectStarted?.(name, (performance.now() - invoked) / 1000);
          if (name === 'analyse') this.analysisStarting();
          return run(input, signal);
        });
      };
    return Object.fromEntries(
      Object.entries(effects).map(([name, run]) => [name, track(name, run as Run)]),
    ) as unknown as Effects;
  }

  /** The analysis effect begins: how late against the time the machine set for it. */
  private analysisStarting(): void {
    const dueAt = this.actor.getSnapshot().context.nextAnalysisAt;
    const lateness = analysisLatenessSeconds(dueAt, Date.now());
    if (lateness !== undefined) this.host.analysisStarted?.(lateness);
  }

  private inOrder<T>(work: () => Promise<T>): Promise<T> {
    const next = this.lastWrite.then(work, work);
    this.lastWrite = next.catch(() => undefined);
    return next;
  }

  private start(): Subscription {
    const subscription = this.actor.subscribe({
      next: (snapshot) => this.changed(toStatusDocument(snapshot)),
      error: (error) => {
        this.broken = error instanceof Error ? error : new Error(String(error));
        this.host.log.error({ err: error }, 'the rollout machine stopped on an error');
      },
    });
    const retries = this.actor.on('retrying', ({ message }) => this.retried(message));
    this.actor.start();
    return {
      unsubscribe: () => {
        subscription.unsubscribe();
        retries.unsubscribe();
      },
    };
  }

  /** A failed step the machine retries: a Warning a person should hear of, once per cause. */
  private retried(message: string): void {
    if (message === this.lastRetry) return;
    this.lastRetry = message;
    this.record({ type: 'Warning', reason: 'Retrying', message });
  }

  private changed(document: MachineDocument): void {
    if (this.document && jsonEqual(document, this.document)) return;
    const before = this.document ?? this.announced;
    this.document = document;
    if (before?.phase !== document.phase) this.lastRetry = null;
    const decisions = decisionsBetween(before, document, this.plan.threshold);
    for (const decision of decisions) this.announce(decision, document.phase);
    this.history = appendHistory(
      this.history,
      historyBetween(before, document, decisions, new Date()),
    );
    if (before && before.phase !== document.phase) {
      if (document.phase === 'Succeeded') this.host.finished(this.rollout, 'succeeded');
      if (document.phase === 'Failed') this.host.finished(this.rollout, 'failed');
    }
    const { namespace = 'default', name = '' } = this.rollout.metadata;
    this.host.observe({
      namespace,
      name,
      phase: document.phase,
      canaryWeight: document.canaryWeight,
      failedChecks: document.failedChecks,
      lastAnalysis: document.lastAnalysis?.results ?? [],
    });
    // The status that decides a rollback goes out beside the rollback's route write
    // (effectsAheadOfStatus): both on the API client's urgent lane.
    this.writeStatus(document, document.phase === 'Failed' && before?.phase !== 'Failed');
    if (before?.state !== document.state || before.phase !== document.phase) this.host.moved?.();
  }

  /** A person's action or its refusal: announced, and kept in history. */
  private record(decision: Decision): void {
    this.announce(decision, this.phase);
    if (!this.document) return;
    this.history = appendHistory(this.history, [historyEntry(decision, this.document, new Date())]);
    this.writeStatus(this.document);
  }

  /** A decision as an Event, a log line, Flagger's `event` webhooks and the alerts. */
  private announce(decision: Decision, phase: Phase): void {
    const { namespace = 'default', name = '' } = this.rollout.metadata;
    const { revision, progress } = this;
    this.host.recordEvent(this.rollout, decision);
    this.host.log.info({ decision, phase }, decision.message);
    void sendEvent(
      this.rollout.spec.analysis.webhooks ?? [],
      { name, namespace, phase, checksum: revision, ...progress, revision },
      { message: decision.message, type: decision.type },
      { ...this.host.webhooks, logger: this.host.log },
    );
    void this.host
      .alert(this.rollout, { decision, phase, revision, progress })
      .then((condition) => {
        // A stopped runner's document is stale: its successor writes status now.
        if (condition && !this.stopped) this.setCondition(condition);
      });
  }

  private writeStatus(document: MachineDocument, urgent = false): void {
    const lastAction = this.lastAction;
    const conditions = [...this.conditions.values()];
    const history = this.history;
    void this.host.status.write(
      (current) => ({
        ...statusFromMachine(current, document, new Date(), lastAction, conditions),
        history,
      }),
      { urgent },
    );
  }
}

/** An effect not taken because the status that decided it could not be written. */
export class StatusNotRecorded extends Error {
  override readonly name = 'StatusNotRecorded';
  constructor(
    message = 'the status that decided this step was not written (the status writer logs why), so the step is not taken: the machine retries it, or the next leader redoes it',
  ) {
    super(message);
  }
}
