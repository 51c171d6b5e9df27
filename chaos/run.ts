import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, pino } from 'pino';
import { ApiServer } from '../src/kube/api-server.js';
import { loadKubeConfig } from '../src/kube/kubeconfig.js';
import { knownTypes, resourcePath } from '../src/kube/resources.js';
import { playgroundStateDir } from '../src/playground/paths.js';
import { type Playground, startPlayground } from '../src/playground/playground.js';
import { startControllerProcess } from '../test/support/controller-process.js';
import { readAuditFacts } from './audit-log.js';
import { checkAuditLog } from './check.js';
import { EnvironmentFailure, machineLoad } from './environment.js';
import { namespaceOf, ROLLOUT_MIX } from './fleet.js';
import type { LeaseKey } from './leadership.js';
import type { ChaosOptions } from './options.js';
import { stream } from './random.js';
import { Releases } from './releases.js';
import { Replicas } from './replicas.js';
import { type AbortCause, type ChaosReport, passed, type Restart } from './report.js';
import { TRIGGER_AGENT } from './revisions.js';
import { faultSchedule } from './schedule.js';

export const LEASE: LeaseKey = { namespace: 'default', name: 'fledge-chaos' };
const REPLICAS = 2;
const LEASE_DURATION = '3s';

export interface ChaosRunOptions extends ChaosOptions {
  /** Names the playground's state directory; default chaos-<pid>. */
  name?: string;
  /** One line per step, for a person watching. */
  progress?: (line: string) => void;
  logger?: Logger;
  /** Ends the run early (Ctrl-C): it still stops everything and checks what it has. */
  signal?: AbortSignal;
}

/**
 * A chaos run: a playground with an audit log, two `fledge controller` replicas leading
 * through a Lease, the rollout mix with traffic, then faults for `minutes` (kills, API
 * server and Prometheus restarts) while revisions follow one another; then the last
 * revisions end, the replicas stop, and the audit log is checked. The state directory is
 * removed after a pass and kept, with the report, otherwise.
 */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosReport> {
  const began = Date.now();
  const name = options.name ?? `chaos-${process.pid}`;
  const stateDir = playgroundStateDir(name);
  const progress = options.progress ?? (() => {});
  const log = options.logger ?? pino({ level: 'silent' });
  const say = (line: string) => progress(`[${clock(Date.now() - began)}] ${line}`);
  const report: ChaosReport = {
    options: {
      seed: options.seed,
      kills: options.kills,
      minutes: options.minutes,
      apiServerRestarts: options.apiServerRestarts,
      prometheusRestarts: options.prometheusRestarts,
    },
    durations: { setupMs: 0, faultsMs: 0, drainMs: 0, checkMs: 0, wallMs: 0 },
    load: { start: machineLoad(), end: machineLoad() },
    kills: [],
    restarts: [],
    crashes: [],
    rollouts: [],
    requests: { total: 0, failed: 0 },
    check: null,
    files: {
      stateDir,
      auditLog: null,
      controllerLogs: path.join(stateDir, 'controllers'),
      report: path.join(stateDir, 'report.json'),
    },
  };

  say(`starting a playground with an audit log in ${stateDir}`);
  const playground = await startPlayground({ name, auditLog: true, logger: log });
  const abort = new AbortController();
  if (options.signal?.aborted) abort.abort(options.signal.reason);
  options.signal?.addEventListener('abort', () => abort.abort(options.signal?.reason), {
    once: true,
  });
  void playground.failure.then((failure) =>
    abort.abort(new EnvironmentFailure(`a playground process failed: ${failure}`)),
  );
  const kc = loadKubeConfig({ kubeconfigPath: playground.kubeconfigPath });
  const setupApi = new ApiServer(kc, 'fledge-chaos/setup');
  const triggerApi = new ApiServer(kc, TRIGGER_AGENT);
  report.files.auditLog = playground.clusters[0]?.auditLogPath ?? null;
  const releases = ROLLOUT_MIX.map(
    (rollout) =>
      new Releases(
        rollout,
        { setup: setupApi, trigger: triggerApi },
        playground.meshProxy,
        stream(options.seed, rollout.key),
        say,
      ),
  );
  const replicas = new Replicas(
    (hostname) =>
      startControllerProcess({
        kubeconfig: playground.kubeconfigPath,
        prometheusUrl: playground.prometheusUrl,
        meshProxy: playground.meshProxy,
        namespaces: ROLLOUT_MIX.map(namespaceOf),
        logDir: report.files.controllerLogs,
        leaderElect: true,
        leaseNamespace: LEASE.namespace,
        leaseName: LEASE.name,
        leaseDuration: LEASE_DURATION,
        env: { HOSTNAME: hostname },
      }),
    () => leaseHolder(setupApi),
    log,
  );

  try {
    const runMs = options.minutes * 60_000;
    for (const release of releases) await release.create();
    await replicas.start(REPLICAS);
    await Promise.all(releases.map((r) => r.initialized(runMs + 600_000, abort.signal)));
    report.durations.setupMs = Date.now() - began;
    say(
      `${releases.length} rollouts initialized by ${REPLICAS} replicas; faults for ${options.minutes} min`,
    );

    const faultsBegan = Date.now();
    // The first error of one Rollout's revisions, or of a fault, stops the whole run.
    const stopOn = (error: unknown) => abort.abort(error);
    const revisions = Promise.all(
      releases.map((r) => r.run(faultsBegan + runMs, abort.signal).catch(stopOn)),
    );
    try {
      await injectFaults(options, faultsBegan, runMs, {
        playground,
        replicas,
        report,
        say,
        signal: abort.signal,
      });
    } catch (error) {
      stopOn(error);
    }
    report.durations.faultsMs = Date.now() - faultsBegan;
    if (!abort.signal.aborted) say('faults done; waiting for the revisions under way to end');
    await revisions;
    report.durations.drainMs = Date.now() - faultsBegan - report.durations.faultsMs;
    if (abort.signal.aborted) throw abort.signal.reason;
  } catch (error) {
    const by: AbortCause =
      error instanceof EnvironmentFailure
        ? 'environment'
        : options.signal?.aborted && error === options.signal.reason
          ? 'interrupt'
          : 'run';
    const reason = error instanceof Error ? error.message : String(error);
    report.aborted = { reason, by, load: machineLoad() };
    say(`${by === 'environment' ? 'not made' : 'aborted'}: ${reason}`);
  } finally {
    await Promise.all(releases.map((r) => r.stopTraffic()));
    await replicas.stop();
  }

  const checkBegan = Date.now();
  if (report.files.auditLog) {
    say('checking the audit log');
    const facts = await readAuditFacts(report.files.auditLog);
    report.check = checkAuditLog(
      facts,
      releases.map((r) => r.underTest()),
      LEASE,
    );
  }
  report.durations.checkMs = Date.now() - checkBegan;
  report.kills = replicas.kills;
  report.crashes = replicas.crashes;
  report.rollouts = releases.map((r) => ({
    ...r.rollout,
    name: r.key,
    seen: r.revisions.map((v) => v.seen),
  }));
  for (const release of releases) {
    const requests = release.requests();
    report.requests.total += requests.total;
    report.requests.failed += requests.failed;
  }
  setupApi.close();
  triggerApi.close();
  await playground.stop();
  report.durations.wallMs = Date.now() - began;
  report.load.end = machineLoad();
  if (passed(report)) await rm(stateDir, { recursive: true, force: true });
  else await writeFile(report.files.report, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

interface FaultContext {
  playground: Playground;
  replicas: Replicas;
  report: ChaosReport;
  say: (line: string) => void;
  signal: AbortSignal;
}

/** Runs the seeded schedule in order; a fault that comes due during a slow one waits for it. */
async function injectFaults(
  options: ChaosOptions,
  began: number,
  durationMs: number,
  { playground, replicas, report, say, signal }: FaultContext,
): Promise<void> {
  const schedule = faultSchedule({ ...options, durationMs }, stream(options.seed, 'faults'));
  let kills = 0;
  for (const { atMs, fault } of schedule) {
    await sleep(Math.max(0, began + atMs - Date.now()), undefined, { signal });
    if (fault.kind === 'kill') {
      kills++;
      const kill = await replicas.kill(fault);
      say(
        kill
          ? `kill ${kills}/${options.kills}: ${fault.signal} to the ${kill.hitLeader ? 'leader' : 'follower'} (exit ${kill.exit} after ${kill.stopMs} ms; a new replica in ${fault.restartAfterMs} ms)`
          : `kill ${kills}/${options.kills}: no replica running to kill`,
      );
      continue;
    }
    const part: Restart['part'] =
      fault.kind === 'restart-apiserver' ? 'kube-apiserver' : 'prometheus';
    const restartBegan = Date.now();
    try {
      await (part === 'kube-apiserver'
        ? playground.restartApiServer()
        : playground.restartPrometheus());
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new EnvironmentFailure(
        `${part} did not come back after a restart: ${(error as Error).message}`,
        { cause: error },
      );
    }
    report.restarts.push({ part, tookMs: Date.now() - restartBegan });
    say(`restarted ${part} (back after ${Date.now() - restartBegan} ms)`);
  }
  await sleep(Math.max(0, began + durationMs - Date.now()), undefined, { signal });
}

async function leaseHolder(api: ApiServer): Promise<string | undefined> {
  const lease = await api.request<{ spec?: { holderIdentity?: string } }>(
    'GET',
    resourcePath(knownTypes.leases, LEASE.namespace, LEASE.name),
    { timeoutMs: 2000 },
  );
  return lease.spec?.holderIdentity || undefined;
}

const clock = (ms: number) => {
  const seconds = Math.floor(ms / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
};
