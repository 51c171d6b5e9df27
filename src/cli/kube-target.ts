import type { Command } from 'commander';
import { ApiServer } from '../kube/api-server.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';

/** The flags every cluster command takes, with kubectl's names and meaning. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubeTarget {
  api: ApiServer;
  /** The namespace to act in: -n, else the context's namespace, else "default". */
  namespace: string;
  context: string;
}

export function addKubeFlags(command: Command): Command {
  return command
    .option('-n, --namespace <ns>', "namespace (default: the context's namespace, else default)")
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)');
}

/** Resolves the cluster and namespace as kubectl does from the same flags. */
export function kubeTarget(flags: KubeFlags): KubeTarget {
  const kc = loadKubeConfig({ kubeconfigPath: flags.kubeconfig, context: flags.context });
  return {
    api: new ApiServer(kc),
    namespace: flags.namespace || kc.namespace || 'default',
    context: kc.currentContext,
  };
}
