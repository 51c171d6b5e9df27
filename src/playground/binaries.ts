import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/** The Kubernetes source version scripts/build-kube.sh builds; the cache is keyed by it. */
export const kubeVersion = process.env.FLEDGE_KUBE_VERSION ?? '1.20.2';

export interface ClusterBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  prometheus: string;
}

export function kubeBinaryDir(): string {
  const cache = process.env.FLEDGE_CACHE ?? path.join(homedir(), '.cache', 'fledge');
  return path.join(cache, `kubernetes-${kubeVersion}`);
}

export function clusterBinaries(): ClusterBinaries {
  const kubeDir = kubeBinaryDir();
  return {
    etcd: process.env.FLEDGE_ETCD ?? '/usr/bin/etcd',
    kubeApiserver: path.join(kubeDir, 'kube-apiserver'),
    kubeControllerManager: path.join(kubeDir, 'kube-controller-manager'),
    prometheus: process.env.FLEDGE_PROMETHEUS ?? '/usr/bin/prometheus',
  };
}

/** The binaries of `wanted` that are missing or not executable, each with how to get it. */
export async function missingBinaries(
  wanted: (keyof ClusterBinaries)[],
  binaries: ClusterBinaries = clusterBinaries(),
): Promise<string[]> {
  const remedies: Record<keyof ClusterBinaries, string> = {
    etcd: 'install the Debian package etcd-server (npm run setup does)',
    kubeApiserver: 'run `npm run setup` (or scripts/build-kube.sh) to build it once, ~5 min',
    kubeControllerManager:
      'run `npm run setup` (or scripts/build-kube.sh) to build it once, ~5 min',
    prometheus: 'install the Debian package prometheus (npm run setup does)',
  };
  const missing: string[] = [];
  for (const key of wanted) {
    try {
      await access(binaries[key], constants.X_OK);
    } catch {
      missing.push(`${binaries[key]} is missing: ${remedies[key]}`);
    }
  }
  return missing;
}

export class MissingBinariesError extends Error {
  override readonly name = 'MissingBinariesError';
  constructor(readonly missing: string[]) {
    super(`the playground cannot start:\n  ${missing.join('\n  ')}`);
  }
}

export async function assertBinaries(wanted: (keyof ClusterBinaries)[]): Promise<ClusterBinaries> {
  const binaries = clusterBinaries();
  const missing = await missingBinaries(wanted, binaries);
  if (missing.length > 0) throw new MissingBinariesError(missing);
  return binaries;
}
