import { KubeConfig } from '@kubernetes/client-node';
import { ApiServer } from '../../src/kube/api-server.js';

/**
 * An ApiServer for a server a test fakes (nock or a local HTTP server): for the failures a
 * real API server does not produce on demand. It sends `Bearer <token>`.
 */
export function fakeClusterApi(server: string, token = 'secret-token'): ApiServer {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'fake', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return new ApiServer(kc);
}
