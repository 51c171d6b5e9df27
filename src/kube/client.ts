import {
  AppsV1Api,
  type ConfigurationOptions,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

/*
 * client-node's KubeConfig and typed clients, for the playground, the bench and the tests.
 * The controller and the CLI do not import this module: loading client-node costs 68 MiB of
 * RSS (its KubeConfig imports every generated API), and they speak raw JSON through
 * ApiServer with fledge's own Kubeconfig (kubeconfig.ts).
 */

/** client-node's KubeConfig loaded from one kubeconfig file. */
export function typedKubeConfig(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

/** The typed clients, made once from one kubeconfig. */
export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/**
 * Options for client-node's typed patch calls. client-node 1.4 sends
 * application/json-patch+json for every patch unless a header named exactly `Content-Type`
 * overrides it, so a merge patch without these options is rejected as a malformed JSON patch.
 */
export const mergePatchOptions = (): ConfigurationOptions =>
  setHeaderOptions('Content-Type', PatchStrategy.MergePatch) as ConfigurationOptions;
