import type { Logger } from 'pino';
import { type LoadPlan, startLoad } from './engine.js';
import { checkTargetHost } from './host-policy.js';
import type { Reply } from './http-io.js';
import { type LoadSpec, parseLoadMetadata } from './metadata.js';
import type { LoadtesterMetrics, RunMode, RunResult } from './metrics.js';
import type { WebhookPayload } from './payload.js';
import { type ActiveRun, type LoadRuns, runKey } from './runs.js';
import { judge, type LoadSummary } from './summary.js';

export interface LoadWebhookDeps {
  allowHosts: readonly string[];
  proxy: URL | undefined;
  runs: LoadRuns;
  metrics: LoadtesterMetrics;
  logger: Logger;
}

/** POST /: validate the load a webhook asks for, start it once per key, answer as Flagger expects. */
export async function handleLoadWebhook(
  payload: WebhookPayload,
  deps: LoadWebhookDeps,
): Promise<Reply> {
  const parsed = parseLoadMetadata(payload.metadata);
  if (!parsed.ok) {
    const { field, message } = parsed.problem;
    return { status: 400, body: { error: `${field} ${message}`, field } };
  }
  const spec = parsed.spec;
  const verdict = checkTargetHost(spec.url.hostname, deps.allowHosts);
  if (!verdict.allowed) {
    return {
      status: 403,
      body: { error: `metadata.url ${verdict.reason}`, field: 'metadata.url' },
    };
  }
  if (deps.proxy && spec.url.protocol === 'https:') {
    const error =
      'metadata.url uses https, which cannot pass the mesh proxy: use http:// (Linkerd encrypts traffic between meshed pods itself)';
    return { status: 400, body: { error, field: 'metadata.url' } };
  }
  const rollout = `${payload.namespace}/${payload.name}`;
  const logger = deps.logger.child({ rollout, target: spec.url.href });
  const mode: RunMode = spec.blocking ? 'blocking' : 'background';
  const key = runKey(payload.namespace, payload.name, spec.url);
  const claim = deps.runs.claim(key, () => launch(spec, mode, deps, logger));
  if (!spec.blocking) {
    const body = { rollout, url: spec.url.href, startedAt: claim.run.startedAt.toISOString() };
    if (!claim.started) return { status: 202, body: { message: 'already running', ...body } };
    const durationSeconds = spec.durationMs / 1_000;
    return { status: 202, body: { message: 'load started', ...body, durationSeconds } };
  }
  return answerBlocking(claim.run, !claim.started, spec, rollout, logger);
}

function launch(spec: LoadSpec, mode: RunMode, deps: LoadWebhookDeps, logger: Logger) {
  const plan: LoadPlan = {
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    rps: spec.rps,
    connections: spec.connections,
    durationMs: spec.durationMs,
    proxy: deps.proxy,
  };
  const load = startLoad(plan, {
    onResponse: deps.metrics.response,
    onError: deps.metrics.transportError,
  });
  deps.metrics.runStarted(mode);
  logger.info(
    { mode, rps: spec.rps, connections: spec.connections, durationMs: spec.durationMs },
    'load started',
  );
  load.summary.then(
    (summary) => {
      const result = resultOf(summary, spec.maxErrorRate);
      deps.metrics.runFinished(mode, result);
      logger.info({ mode, result, summary }, 'load finished');
    },
    (error: unknown) => {
      deps.metrics.runFinished(mode, 'error');
      logger.error({ mode, err: error }, 'load failed to run');
    },
  );
  return load;
}

function resultOf(summary: LoadSummary, maxErrorRate: number | undefined): RunResult {
  if (summary.stopped) return 'stopped';
  if (maxErrorRate === undefined) return 'completed';
  return judge(summary, maxErrorRate).passed ? 'passed' : 'failed';
}

async function answerBlocking(
  run: ActiveRun,
  joined: boolean,
  spec: LoadSpec,
  rollout: string,
  logger: Logger,
): Promise<Reply> {
  if (joined) logger.info('blocking webhook joined the load already running for this target');
  let summary: LoadSummary;
  try {
    summary = await run.summary;
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return {
      status: 500,
      body: { error: `the load for ${rollout} could not run: ${cause}`, rollout },
    };
  }
  const base = { rollout, url: spec.url.href, joined, summary };
  if (summary.stopped) {
    const error = 'the loadtester is shutting down and stopped this load before its end: retry';
    return { status: 503, body: { ...base, result: 'stopped', error } };
  }
  if (spec.maxErrorRate === undefined)
    return { status: 200, body: { ...base, result: 'completed' } };
  const verdict = judge(summary, spec.maxErrorRate);
  if (verdict.passed) {
    return {
      status: 200,
      body: {
        ...base,
        result: 'passed',
        errorRate: verdict.errorRate,
        maxErrorRate: spec.maxErrorRate,
      },
    };
  }
  const error = `error rate ${verdict.errorRate} (non-2xx answers and failed requests) is above maxErrorRate ${spec.maxErrorRate}`;
  return {
    status: 500,
    body: {
      ...base,
      result: 'failed',
      errorRate: verdict.errorRate,
      maxErrorRate: spec.maxErrorRate,
      error,
    },
  };
}
