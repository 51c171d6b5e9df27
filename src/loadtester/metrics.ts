import { Counter, Gauge, Registry } from 'prom-client';

export type RunMode = 'background' | 'blocking';
/** completed: ran to its end unjudged; passed/failed: judged by maxErrorRate. */
export type RunResult = 'completed' | 'passed' | 'failed' | 'stopped' | 'error';
/** Why a request was refused before doing anything: a cap was reached, or no valid token. */
export type RefusalReason = 'busy' | 'runs' | 'waiting' | 'gates' | 'unauthorized';

export interface LoadtesterMetrics {
  registry: Registry;
  runStarted(mode: RunMode): void;
  runFinished(mode: RunMode, result: RunResult): void;
  response(statusCode: number): void;
  transportError(): void;
  refused(reason: RefusalReason): void;
}

/** What the gauges read when Prometheus scrapes. */
export interface LoadtesterState {
  activeRuns(): number;
  openGates(): number;
  /** The estimated memory of the runs going, against CAPACITY.loadMemoryBytes. */
  loadMemoryBytes(): number;
}

export function createLoadtesterMetrics(state: LoadtesterState): LoadtesterMetrics {
  const registry = new Registry();
  const started = new Counter({
    name: 'fledge_loadtester_runs_started_total',
    help: 'Load runs started, by mode',
    labelNames: ['mode'],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'fledge_loadtester_runs_finished_total',
    help: 'Load runs finished, by mode and result',
    labelNames: ['mode', 'result'],
    registers: [registry],
  });
  const responses = new Counter({
    name: 'fledge_loadtester_responses_total',
    help: 'HTTP answers received from load targets, by status class',
    labelNames: ['code_class'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'fledge_loadtester_errors_total',
    help: 'Load requests that got no HTTP answer (connection errors and timeouts)',
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'fledge_loadtester_refused_total',
    help: 'Requests refused with 429 past a capacity, or 401 without the token, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'fledge_loadtester_active_runs',
    help: 'Load runs in progress',
    registers: [registry],
    collect() {
      this.set(state.activeRuns());
    },
  });
  new Gauge({
    name: 'fledge_loadtester_open_gates',
    help: 'Gates and rollback gates open, all rollouts together',
    registers: [registry],
    collect() {
      this.set(state.openGates());
    },
  });
  new Gauge({
    name: 'fledge_loadtester_load_memory_bytes',
    help: 'Estimated memory held by the load runs in progress (their budget is 64 MiB)',
    registers: [registry],
    collect() {
      this.set(state.loadMemoryBytes());
    },
  });
  // Bound children keep the per-response path free of label lookups.
  const byClass = ['1xx', '2xx', '3xx', '4xx', '5xx'].map((codeClass) =>
    responses.labels(codeClass),
  );
  return {
    registry,
    runStarted: (mode) => started.inc({ mode }),
    runFinished: (mode, result) => finished.inc({ mode, result }),
    response: (statusCode) => byClass[Math.floor(statusCode / 100) - 1]?.inc(),
    transportError: () => errors.inc(),
    refused: (reason) => refusals.inc({ reason }),
  };
}
