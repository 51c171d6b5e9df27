import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { startProcess } from './child-process.js';
import { freePort } from './ports.js';
import { readyOrStopped } from './readiness.js';
import { type Restartable, startRestartable } from './restartable.js';

export interface ScrapeTarget {
  /** The cluster the metrics come from; a `cluster` label on every series. */
  cluster: string;
  /** http://127.0.0.1:<port>/<path> */
  metricsUrl: string;
  /** The scrape job's name; `linkerd-proxy-<cluster>` by default (one job per name). */
  job?: string;
}

/**
 * Scrapes every 2 s, so that a compressed analysis interval of a few seconds already sees
 * fresh data, and lets each scrape take those 2 s: the simulators share one Node process, which
 * a busy machine stalls for seconds, and a scrape that times out drops a sample of every
 * series (with 1 s, one scrape in three failed on the shared 2-core machine and analyses saw no
 * data). The simulator's labels (namespace, pod, ...) are kept as exported, as Linkerd's are
 * by its Prometheus.
 */
export function renderPrometheusConfig(targets: ScrapeTarget[]): string {
  return stringify({
    global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
    scrape_configs: targets.map((target) => {
      const url = new URL(target.metricsUrl);
      return {
        job_name: target.job ?? `linkerd-proxy-${target.cluster}`,
        honor_labels: true,
        metrics_path: url.pathname,
        scheme: url.protocol.replace(':', ''),
        static_configs: [{ targets: [url.host], labels: { cluster: target.cluster } }],
      };
    }),
  });
}

export interface PrometheusServer {
  url: string;
  /** Restarts keep the port, the configuration and the data directory. */
  process: Restartable;
}

export async function startPrometheus(
  options: { binary: string; stateDir: string; targets: ScrapeTarget[] },
  logger: Logger,
): Promise<PrometheusServer> {
  const dir = path.join(options.stateDir, 'prometheus');
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, renderPrometheusConfig(options.targets));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process = await startRestartable('prometheus', async () => {
    const child = await startProcess(
      {
        name: 'prometheus',
        command: options.binary,
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          '--storage.tsdb.retention.time=1d',
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        logFile: path.join(dir, 'prometheus.log'),
      },
      logger,
    );
    await readyOrStopped(child, { url: `${url}/-/ready` });
    return child;
  });
  return { url, process };
}
