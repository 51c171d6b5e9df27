import { afterEach } from 'vitest';
import type { ApiServer } from '../../src/kube/api-server.js';
import {
  type LeaderElectionOptions,
  LeaderElector,
  type LeaderTerm,
  leaseClock,
} from '../../src/kube/leader.js';
import { knownTypes, ResourceClient } from '../../src/kube/resources.js';
import type { TestApiServer } from './apiserver.js';
import { apiServerThroughProxy, type StallingProxy } from './stalling-proxy.js';

/** What one elector did, on leaseClock(): when its callbacks ran, and with which terms. */
export interface RecordedElector {
  elector: LeaderElector;
  log: string[];
  started: { at: number; term: LeaderTerm }[];
  stopped: { at: number; term: LeaderTerm }[];
}

export interface ElectorOptions extends Partial<LeaderElectionOptions> {
  /** Default: the test API server, directly. */
  api?: ApiServer;
  /** Runs inside onStartedLeading, after it was recorded. */
  onStarted?: () => void;
}

export const leaseName = 'fledge-controller';

/**
 * Electors on one Lease of the test API server (3 s lease, 2 s renew deadline, 400 ms retry
 * unless told otherwise), and connections through a stalling proxy; all stopped after each test.
 */
export function useElectors(cluster: () => TestApiServer) {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function elector(
    namespace: string,
    identity: string,
    { api = cluster().api, onStarted = () => undefined, ...options }: ElectorOptions = {},
  ): RecordedElector {
    const log: string[] = [];
    const started: RecordedElector['started'] = [];
    const stopped: RecordedElector['stopped'] = [];
    const elector = new LeaderElector(api, {
      namespace,
      name: leaseName,
      identity,
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 400,
      ...options,
      onStartedLeading: (term) => {
        started.push({ at: leaseClock(), term });
        log.push(`${identity} started`);
        onStarted();
      },
      onStoppedLeading: (term) => {
        stopped.push({ at: leaseClock(), term });
        log.push(`${identity} stopped`);
      },
    });
    cleanups.push(() => elector.stop());
    return { elector, log, started, stopped };
  }

  async function throughProxy(): Promise<{ proxy: StallingProxy; api: ApiServer }> {
    const connection = await apiServerThroughProxy(cluster().kc, 'fledge-test-stalled');
    cleanups.push(async () => {
      connection.api.close();
      await connection.proxy.close();
    });
    return connection;
  }

  const leases = () => new ResourceClient(cluster().api, knownTypes.leases);
  const leaseSpec = async (namespace: string) =>
    (await leases().get(namespace, leaseName)).spec as {
      holderIdentity: string;
      leaseTransitions: number;
      renewTime: string;
    };

  return { elector, throughProxy, leases, leaseSpec };
}
