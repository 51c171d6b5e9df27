import type { Logger } from 'pino';
import { type LoadPlan, startLoad } from './engine.js';
import { decideHost, type HostPolicy } from './host-policy.js';
import { busy, type Reply } from './http-io.js';
import { estimateLoadBytes } from './limits.js';
import { type LoadSpec, parseLoadMetadata } from './metadata.js';
import type { LoadtesterMetrics, RunMode, RunResult } from './metrics.js';
import type { WebhookPayload } from './payload.js';
import { type ActiveRun, type LoadRuns, runKey } from './runs.js';
import type { Slots } from './slots.js';
import { judge, type LoadSummary, publicSummary } from './summary.js';
import { type Destination, resolveTarget, type TargetDeps } from './target.js';

export interface LoadWebhookDeps {
  hosts: HostPolicy;
  target: TargetDeps;
  runs: LoadRuns;
  /** Blocking webhooks waiting for a summary. */
  waiting: Slots;
  metrics: LoadtesterMetrics;
  logger: Logger;
}

/** An answer now, or, for a blocking run, one that comes when the run ends. */
export type LoadAnswer = { reply: Reply } | { pending: Promise<Reply> };

const MiB = 1024 * 1024;

/** POST /: validate the load a webhook asks for, start it once per key, answer as Flagger expects. */
export async function handleLoadWebhook(
  payload: WebhookPayload,
  deps: LoadWebhookDeps,
): Promise<LoadAnswer> {
  const rollout = `${payload.namespace}/${payload.name}`;
  const refuse = (status: number, field: string, error: string): LoadAnswer => {
    deps.logger.info({ rollout, status, field, error }, 'load webhook refused');
    return { reply: { status, body: { error, field } } };
  };
  const parsed = parseLoadMetadata(payload.metadata);
  if (!parsed.ok) {
    const { field, message } = parsed.problem;
    return refuse(400, field, `${field} ${message}`);
  }
  const spec = parsed.spec;
  const host = decideHost(spec.url.hostname, deps.hosts);
  if (host.kind === 'refused') return refuse(403, 'metadata.url', `metadata.url ${host.reason}`);
  if (deps.target.proxy && spec.url.protocol === 'https:') {
    const error =
      'metadata.url uses https, which cannot pass the mesh proxy: use http:// (Linkerd encrypts traffic between meshed pods itself)';
    return refuse(400, 'metadata.url', error);
  }
  const costBytes = estimateLoadBytes({
    connections: spec.connections,
    rps: spec.rps,
    requestBytes: requestBytes(spec),
  });
  if (costBytes > deps.runs.budget.memoryBytes) {
    const error =
      `metadata.connections: this load would hold about ${Math.ceil(costBytes / MiB)} MiB, more than the ` +
      `${deps.runs.budget.memoryBytes / MiB} MiB the loadtester keeps for all load: lower connections or the body size`;
    return refuse(400, 'metadata.connections', error);
  }
  const logger = deps.logger.child({ rollout, target: spec.url.href });
  const mode: RunMode = spec.blocking ? 'blocking' : 'background';
  const key = runKey(payload.namespace, payload.name, spec.url);
  // A run already going for this key was checked when it started: no new lookup.
  const running = deps.runs.find(key);
  if (running) return answer(running, false, spec, rollout, deps, logger);

  const resolved = await resolveTarget(spec.url, host, deps.target);
  if (!resolved.ok)
    return refuse(resolved.status, 'metadata.url', `metadata.url ${resolved.reason}`);
  const claim = deps.runs.claim(key, costBytes, () =>
    launch(spec, resolved.destination, mode, deps, logger),
  );
  if (claim.outcome === 'refused') {
    deps.metrics.refused('runs');
    return { reply: busy(claim.reason) };
  }
  return answer(claim.run, claim.outcome === 'started', spec, rollout, deps, logger);
}

function answer(
  run: ActiveRun,
  started: boolean,
  spec: LoadSpec,
  rollout: string,
  deps: LoadWebhookDeps,
  logger: Logger,
): LoadAnswer {
  if (!spec.blocking) {
    const body = { rollout, url: spec.url.href, startedAt: run.startedAt.toISOString() };
    if (!started) return { reply: { status: 202, body: { message: 'already running', ...body } } };
    const durationSeconds = spec.durationMs / 1_000;
    return { reply: { status: 202, body: { message: 'load started', ...body, durationSeconds } } };
  }
  if (!deps.waiting.tryTake()) {
    deps.metrics.refused('waiting');
    return {
      reply: busy(
        `${deps.waiting.capacity} blocking webhooks are waiting for their runs, the most the loadtester answers at once: retry later`,
      ),
    };
  }
  const pending = answerBlocking(run, !started, spec, rollout, logger);
  return { pending: pending.finally(() => deps.waiting.release()) };
}

/** What each connection holds of the request: the body plus a generous allowance for headers. */
function requestBytes(spec: LoadSpec): number {
  const headers = Object.entries(spec.headers).reduce(
    (sum, [name, value]) => sum + name.length + value.length + 4,
    0,
  );
  return Buffer.byteLength(spec.body ?? '') + headers + spec.url.href.length + 256;
}

function launch(
  spec: LoadSpec,
  destination: Destination,
  mode: RunMode,
  deps: LoadWebhookDeps,
  logger: Logger,
) {
  const plan: LoadPlan = {
    destination,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    rps: spec.rps,
    connections: spec.connections,
    durationMs: spec.durationMs,
  };
  const load = startLoad(plan, {
    onResponse: deps.metrics.response,
    onError: deps.metrics.transportError,
  });
  deps.metrics.runStarted(mode);
  logger.info(
    {
      mode,
      address: destination.address,
      rps: spec.rps,
      connections: spec.connections,
      durationMs: spec.durationMs,
    },
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
  } catch {
    // The cause is in the log ('load failed to run'); the caller learns only that it failed.
    return {
      status: 500,
      body: { error: `the load for ${rollout} could not run: see the loadtester's log`, rollout },
    };
  }
  const base = { rollout, url: spec.url.href, joined, summary: publicSummary(summary) };
  if (summary.stopped) {
    const error = 'the loadtester is shutting down and stopped this load before its end: retry';
    return { status: 503, body: { ...base, result: 'stopped', error } };
  }
  if (spec.maxErrorRate === undefined) {
    return { status: 200, body: { ...base, result: 'completed' } };
  }
  const verdict = judge(summary, spec.maxErrorRate);
  const judged = { ...base, errorRate: verdict.errorRate, maxErrorRate: spec.maxErrorRate };
  if (verdict.passed) return { status: 200, body: { ...judged, result: 'passed' } };
  const error = `error rate ${verdict.errorRate} (answers other than 2xx, and requests without an answer) is above maxErrorRate ${spec.maxErrorRate}`;
  return { status: 500, body: { ...judged, result: 'failed', error } };
}
