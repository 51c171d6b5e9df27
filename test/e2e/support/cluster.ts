import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { inject } from 'vitest';

/** The environment of the e2e run's playground, as `fledge playground env` prints it. */
export function playgroundEnv(): Record<string, string> {
  return {
    KUBECONFIG: inject('KUBECONFIG'),
    FLEDGE_PROMETHEUS_URL: inject('FLEDGE_PROMETHEUS_URL'),
    FLEDGE_MESH_PROXY: inject('FLEDGE_MESH_PROXY'),
  };
}

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

export function clients(kubeconfigPath = inject('KUBECONFIG')): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}
