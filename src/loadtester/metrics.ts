import { Counter, Gauge, Registry } from 'prom-client';

export type RunMode = 'background' | 'blocking';
/** completed: ran to its end unjudged; passed/failed: judged by maxErrorRate. */
export type RunResult = 'completed' | 'passed' | 'failed' | 'stopped' | 'error';

export interface LoadtesterMetrics {
  registry: Registry;
  runStarted(mode: RunMode): void;
  runFinished(mode: RunMode, result: RunResult): void;
  response(statusCode: number): void;
  transportError(): void;
}

export function createLoadtesterMetrics(activeRuns: () => number): LoadtesterMetrics {
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
  new Gauge({
    name: 'fledge_loadtester_active_runs',
    help: 'Load runs in progress',
    registers: [registry],
    collect() {
      this.set(activeRuns());
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
  };
}
