import autocannon from 'autocannon';
import { type LoadSummary, summarize } from './summary.js';

/** One load to generate with autocannon. */
export interface LoadPlan {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Overall requests per second; undefined sends as fast as the connections allow (benchmarks). */
  rps: number | undefined;
  connections: number;
  durationMs: number;
  /**
   * An HTTP forward proxy (the playground's mesh): requests go to it in absolute form, as a
   * meshed client's would, because cluster names only resolve behind it.
   */
  proxy: URL | undefined;
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
  const target = plan.url;
  const headers: Record<string, string> = { 'l5d-client': CLIENT_ID, ...plan.headers };
  if (plan.proxy) headers.host = target.host;
  return {
    url: (plan.proxy ?? target).origin,
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
    setupClient: paceReconnects(reconnectDelayMs(plan)),
    requests: [
      {
        method: plan.method as autocannon.Request['method'],
        path: plan.proxy ? target.href : `${target.pathname}${target.search}`,
        headers,
        ...(plan.body === undefined ? {} : { body: plan.body }),
      },
    ],
  };
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
