import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ApiServer, type ClusterAccess } from '../kube/api-server.js';
import { ClusterGatekeeper } from './cluster-gatekeeper.js';
import { type Dashboard, type DashboardLimits, startDashboard } from './server.js';

export interface ClusterDashboardOptions {
  /** The controller's credentials: they read and patch; the user's RBAC decides what is allowed. */
  kc: ClusterAccess;
  host: string;
  port: number;
  /** The controller's namespaces; empty: all. */
  namespaces: string[];
  log?: Logger;
  registry?: Registry;
  limits?: Partial<DashboardLimits>;
}

/**
 * The dashboard as the controller serves it in the cluster (`fledge controller
 * --dashboard-port`): every request needs a bearer token the API server accepts
 * (TokenReview), and every read and action is allowed by a SubjectAccessReview for that
 * user first.
 */
export function startClusterDashboard(options: ClusterDashboardOptions): Promise<Dashboard> {
  const api = new ApiServer(options.kc, 'fledge-dashboard');
  return startDashboard({
    api,
    gatekeeper: new ClusterGatekeeper(api),
    host: options.host,
    port: options.port,
    namespaces: options.namespaces,
    ...(options.log ? { log: options.log } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
}
