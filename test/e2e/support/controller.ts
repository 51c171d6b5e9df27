import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import {
  type ControllerProcess,
  startControllerProcess,
} from '../../support/controller-process.js';

export type { ControllerProcess };

export interface ControllerFlags {
  namespaces: string[];
  leaderElect?: boolean;
  leaseName?: string;
  leaseDuration?: string;
  prometheusUrl?: string;
  /** Another playground's cluster (default: the shared e2e playground's). */
  kubeconfig?: string;
  meshProxy?: string;
  extraArgs?: string[];
}

/** `fledge controller` as a process against the shared e2e playground unless told otherwise. */
export function startController(flags: ControllerFlags): ControllerProcess {
  return startControllerProcess({
    ...flags,
    leaseName: flags.leaseName ?? 'fledge-e2e',
    kubeconfig: flags.kubeconfig ?? inject('KUBECONFIG'),
    prometheusUrl: flags.prometheusUrl ?? inject('FLEDGE_PROMETHEUS_URL'),
    meshProxy: flags.meshProxy ?? inject('FLEDGE_MESH_PROXY'),
    logDir: path.join(tmpdir(), 'fledge-e2e'),
  });
}
