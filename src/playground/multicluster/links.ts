import type { ApiServer } from '../../kube/api-server.js';
import { isAlreadyExists } from '../../kube/api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../kube/resources.js';
import { EXPORTED_LABEL, type GatewayAddress } from './mirror-objects.js';

export const MULTICLUSTER_NAMESPACE = 'linkerd-multicluster';

const linkType: ResourceType = {
  group: 'multicluster.linkerd.io',
  version: 'v1alpha1',
  plural: 'links',
  kind: 'Link',
  namespaced: true,
};

export interface LinkObject {
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

/** The Link `linkerd multicluster link --cluster-name <target>` would write in the local cluster. */
export function linkObject(target: string, gateway: GatewayAddress): LinkObject {
  return {
    metadata: { name: target, namespace: MULTICLUSTER_NAMESPACE },
    spec: {
      targetClusterName: target,
      targetClusterDomain: 'cluster.local',
      targetClusterLinkerdNamespace: 'linkerd',
      clusterCredentialsSecret: `cluster-credentials-${target}`,
      gatewayAddress: gateway.ip,
      gatewayPort: String(gateway.port),
      gatewayIdentity: gateway.identity,
      probeSpec: { path: '/ready', port: '4191', period: '3s' },
      selector: { matchLabels: { [EXPORTED_LABEL]: 'true' } },
    },
  };
}

/** Writes the Link (and its namespace) into the local cluster; an existing one is kept. */
export async function writeLink(api: ApiServer, link: LinkObject): Promise<void> {
  const ignoreExisting = (error: unknown) => {
    if (!isAlreadyExists(error)) throw error;
  };
  await new ResourceClient(api, knownTypes.namespaces)
    .create({ metadata: { name: MULTICLUSTER_NAMESPACE } })
    .catch(ignoreExisting);
  await new ResourceClient<LinkObject>(api, linkType).create(link).catch(async (error) => {
    ignoreExisting(error);
    await new ResourceClient<LinkObject>(api, linkType).mergePatch(
      link.metadata.namespace,
      link.metadata.name,
      { spec: link.spec },
    );
  });
}
