import autocannon from 'autocannon';
import { build as buildHistogram } from 'hdr-histogram-js';
import { type LoadSummary, summarize } from './summary.js';
import type { Destination } from './target.js';

/** One load to generate with autocannon. */
export interface LoadPlan {
  /** Where connections go and what requests say: checked and pinned (target.ts). */
  destination: Destination;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Overall requests per second; undefined sends as fast as the connections allow (benchmarks). */
  rps: number | undefined;
  connections: number;
  durationMs: number;
}

export interface LoadObserver {
  onResponse(statusCode: number): void;
  onError(): void;
}

export interface RunningLoad {
  /** Resolves when the run ends, on time or stopped. */
  summary: Promise<LoadSummary>;
  /** Ends the run within about a second; the summary then reports `stopped`. */
  stop(): void;
}

/** Who the load comes from, for a mesh that attributes outbound traffic by caller. */
export const CLIENT_ID = 'fledge-system/fledge-loadtester';

export function startLoad(plan: LoadPlan, observer: LoadObserver): RunningLoad {
  let stopped = false;
  let instance: autocannon.Instance | undefined;
  const summary = new Promise<LoadSummary>((resolve, reject) => {
    instance = autocannon(autocannonOptions(plan), (error, result) => {
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(summarize(result, stopped, plan.durationMs / 1_000));
    });
    instance.on('response', (_client, statusCode) => observer.onResponse(statusCode));
    instance.on('reqError', () => observer.onError());
  });
  return {
    summary,
    stop() {
      if (stopped) return;
      stopped = true;
      instance?.stop();
    },
  };
}

export function autocannonOptions(plan: LoadPlan): autocannon.Options {
  const { destination } = plan;
  const headers: Record<string, string> = { 'l5d-client': CLIENT_ID, ...plan.headers };
  headers.host = destination.host;
  const options: autocannon.Options & { histograms: ReturnType<typeof histograms> } = {
    url: destination.origin,
    ...(destination.servername === undefined ? {} : { servername: destination.servername }),
    connections: plan.connections,
    duration: plan.durationMs / 1_000,
    // autocannon paces a rate as one burst per second and also sends the burst that falls
    // on the end of the duration; capping the total keeps a run at exactly rps x duration.
    ...(plan.rps === undefined
      ? {}
      : {
          overallRate: plan.rps,
          maxOverallRequests: Math.max(1, Math.round((plan.rps * plan.durationMs) / 1_000)),
        }),
    // autocannon's correction for a paced rate adds synthetic samples at a 1 ms interval,
    // which halves the reported median; the summary must show what the target answered.
    ignoreCoordinatedOmission: plan.rps !== undefined,
    histograms: histograms(),
    setupClient: (client) => {
      discardAnswerBodies(client);
      paceReconnects(reconnectDelayMs(plan))(client);
    },
    requests: [
      {
        method: plan.method as autocannon.Request['method'],
        path: destination.path,
        headers,
        ...(plan.body === undefined ? {} : { body: plan.body }),
      },
    ],
  };
  return options;
}

/**
 * autocannon's own histograms take 2.4 MiB a run (five significant digits, in WebAssembly
 * memory, which never shrinks); three digits in ordinary arrays take about 0.1 MiB, which the
 * garbage collector gets back, and still give latencies to 0.1 %.
 */
function histograms() {
  const histogram = (highestTrackableValue: number) =>
    buildHistogram({
      useWebAssembly: false,
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue,
      numberOfSignificantValueDigits: 3,
    });
  return { latencies: histogram(10_000), requests: histogram(1e6), throughput: histogram(1e11) };
}

/**
 * autocannon appends every answer's body to a string until the answer ends, so one endless
 * or huge answer could take all memory. The loadtester never reads bodies: it drops them.
 */
function discardAnswerBodies(client: autocannon.Client): void {
  const internals = client as unknown as { pipelinedRequests: { addBody(data: unknown): void } };
  internals.pipelinedRequests.addBody = () => {};
}

/**
 * autocannon reconnects at once after a refused connection, so a target that is down turns
 * into a busy loop of ~10,000 errors a second. Each failed connection instead waits one
 * request slot of its share of the rate, so errors arrive at the pace requests would have.
 */
function paceReconnects(delayMs: number): (client: autocannon.Client) => void {
  return (client) => {
    const internals = client as unknown as NodeJS.EventEmitter & {
      _connect(): void;
      destroyed: boolean;
    };
    const connect = internals._connect.bind(client);
    let failed = false;
    internals.on('connError', () => {
      failed = true;
    });
    internals._connect = () => {
      if (!failed) return connect();
      failed = false;
      setTimeout(() => {
        if (!internals.destroyed) connect();
      }, delayMs);
    };
  };
}

export function reconnectDelayMs(plan: Pick<LoadPlan, 'rps' | 'connections'>): number {
  if (plan.rps === undefined) return 100;
  return Math.min(1_000, Math.ceil((1_000 * Math.min(plan.connections, plan.rps)) / plan.rps));
}
