import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { makeClients, mergePatchOptions } from '../../../src/kube/client.js';
import { useApiServer } from '../../support/apiserver.js';

const cluster = useApiServer();

describe("client-node's typed clients on a real API server", () => {
  it('merge-patches with a typed client when given mergePatchOptions', async () => {
    const namespace = await cluster().createNamespace();
    const { core } = makeClients(cluster().kc);
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { a: '1', b: '2' } },
    });
    const patched = await core.patchNamespacedConfigMap(
      { namespace, name: 'settings', body: { data: { b: '3' } } },
      mergePatchOptions(),
    );
    expect(patched.data).toEqual({ a: '1', b: '3' });
  });

  it('is rejected as a JSON patch without them: the client-node 1.4 trap the helper exists for', async () => {
    const namespace = await cluster().createNamespace();
    const core = cluster().kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' } } });
    await expect(
      core.patchNamespacedConfigMap({ namespace, name: 'settings', body: { data: { b: '3' } } }),
    ).rejects.toMatchObject({ code: 400 });
  });
});
