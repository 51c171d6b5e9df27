import type { Command } from 'commander';
import { createActor } from 'xstate';
import type { AnalysisResult } from '../../machines/analysis.js';
import type { MachineDocument } from '../../machines/persistence.js';
import { toStatusDocument } from '../../machines/persistence.js';
import type { RolloutPlan } from '../../machines/plan.js';
import type { Effects } from '../../machines/provide.js';
import { provideEffects } from '../../machines/provide.js';
import { rolloutMachine } from '../../machines/rollout.js';
import { parseDuration as parseSpecDuration } from '../api/duration.js';

/**
 * A rollout of the real machine against simulated effects and metrics, in compressed real
 * time, for the README and for people who want to see the phases without a cluster.
 */
export interface SimulationOptions {
  faulty: boolean;
  /**
   * What the canary's metrics show while it has no share of traffic (weight 0): `no-data` when
   * the load goes to the apex only, as in Flagger's tutorials; `failing` when a direct load
   * test finds a broken canary. Unset: the same as at any weight.
   */
  atWeightZero?: 'no-data' | 'failing';
  intervalMs: number;
  print: (line: string) => void;
}

const WEIGHT_ZERO = ['no-data', 'failing'] as const;

const successRate = (faulty: boolean, iteration: number) =>
  faulty && iteration >= 2 ? 91 - iteration : 99.9;
const latency = (faulty: boolean, iteration: number) =>
  faulty && iteration >= 2 ? 480 + 40 * iteration : 120;

const noData: AnalysisResult = {
  results: [
    { metric: 'request-success-rate', value: null, min: 99, passed: false },
    { metric: 'request-duration', value: null, max: 500, passed: false },
  ],
  noData: true,
};

function simulatedMetrics(faulty: boolean, iteration: number): AnalysisResult {
  const rate = successRate(faulty, iteration);
  const p99 = latency(faulty, iteration);
  return {
    results: [
      { metric: 'request-success-rate', value: rate, min: 99, passed: rate >= 99 },
      { metric: 'request-duration', value: p99, max: 500, passed: p99 <= 500 },
    ],
    noData: false,
  };
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function simulatedEffects(options: SimulationOptions): Effects {
  const step = () => pause(Math.min(100, options.intervalMs / 10));
  let canaryWeight = 0;
  return {
    initialize: step,
    checkGate: async () => ({ open: true }),
    runWebhooks: async () => ({ ok: true }),
    startCanary: step,
    setWeight: async (input) => {
      await step();
      canaryWeight = input.canaryWeight;
    },
    analyse: async ({ iteration }) => {
      await step();
      if (canaryWeight === 0 && options.atWeightZero === 'no-data') return noData;
      if (canaryWeight === 0 && options.atWeightZero === 'failing') {
        return simulatedMetrics(true, Math.max(2, iteration));
      }
      return simulatedMetrics(options.faulty, iteration);
    },
    promote: step,
    finalise: step,
    rollback: async () => {
      await step();
      return { routed: true };
    },
    awaitPrimary: step,
  };
}

function describeStep(document: MachineDocument, elapsedMs: number): string {
  const bar = '#'.repeat(Math.round(document.canaryWeight / 5)).padEnd(20, '.');
  const metrics = (document.lastAnalysis?.results ?? [])
    .map(
      (result) =>
        `${result.metric}=${result.value ?? 'no data'}${result.passed || result.value === null ? '' : '!'}`,
    )
    .join(' ');
  return [
    `${(elapsedMs / 1000).toFixed(1).padStart(6)}s`,
    document.phase.padEnd(16),
    `[${bar}] ${String(document.canaryWeight).padStart(3)}%`,
    `failed ${document.failedChecks}`,
    document.message,
    metrics ? `(${metrics})` : '',
  ]
    .join('  ')
    .trimEnd();
}

/** Runs one simulated rollout to its end; resolves with the final document. */
export function simulate(options: SimulationOptions): Promise<MachineDocument> {
  const plan: RolloutPlan = {
    mode: 'workload',
    strategy: 'canary',
    weights: [10, 20, 30, 40, 50],
    iterations: 0,
    pinsRequests: false,
    threshold: 3,
    intervalMs: options.intervalMs,
    onFailure: 'rollback',
    onNoData: 'fail',
    promotion: 'auto',
    skipAnalysis: false,
    progressDeadlineMs: 10 * options.intervalMs,
    webhookTypes: [],
  };
  const machine = provideEffects(rolloutMachine, simulatedEffects(options));
  const actor = createActor(machine, { input: { plan, revision: 'v1', now: Date.now } });
  const started = Date.now();
  let printed = '';
  return new Promise((resolve) => {
    actor.subscribe((snapshot) => {
      const document = toStatusDocument(snapshot);
      const line = describeStep(document, Date.now() - started);
      const key = `${document.phase} ${document.canaryWeight} ${document.failedChecks} ${document.message}`;
      if (key !== printed) options.print(line);
      printed = key;
      if (document.state === 'Initialized') actor.send({ type: 'NEW_REVISION', revision: 'v2' });
      if (document.state === 'Succeeded' || document.state === 'Failed') {
        actor.stop();
        resolve(document);
      }
    });
    actor.start();
  });
}

/** A duration as the Rollout spec writes it: 500ms, 1s, 2m. */
export function parseDuration(text: string): number {
  const ms = parseSpecDuration(text.trim());
  if (ms === undefined) {
    throw new Error(`--interval ${text}: expected a duration such as 500ms, 1s or 1m`);
  }
  return ms;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Run a rollout of the real state machine against simulated metrics')
    .option('--faulty', 'simulate a canary whose success rate and latency degrade', false)
    .option('--interval <duration>', 'analysis interval (at least 10ms)', '1s')
    .option(
      '--at-weight-0 <what>',
      'what the metrics show before the canary gets traffic: no-data (load on the apex only: the weight steps on) or failing (a direct load test finds it broken: rolled back at weight 0)',
    )
    .action(async (flags: { faulty: boolean; interval: string; atWeight0?: string }) => {
      const intervalMs = parseDuration(flags.interval);
      if (intervalMs < 10) throw new Error(`--interval ${flags.interval}: use at least 10ms`);
      const atWeightZero = WEIGHT_ZERO.find((what) => what === flags.atWeight0);
      if (flags.atWeight0 !== undefined && atWeightZero === undefined) {
        throw new Error(`--at-weight-0 ${flags.atWeight0}: use no-data or failing`);
      }
      const document = await simulate({
        faulty: flags.faulty,
        ...(atWeightZero ? { atWeightZero } : {}),
        intervalMs,
        print: (line) => process.stdout.write(`${line}\n`),
      });
      process.exitCode = document.phase === 'Succeeded' ? 0 : 1;
    });
}
