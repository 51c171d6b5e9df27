import type { ApiServer } from '../../src/kube/api-server.js';

/**
 * A ServiceAccount with a fresh token (TokenRequest), and, when `verbs` are given, a Role
 * and RoleBinding granting them on rollouts.fledge.dev in its namespace: a user for RBAC tests.
 */
export async function serviceAccountUser(
  api: ApiServer,
  namespace: string,
  name: string,
  verbs: string[],
): Promise<string> {
  await api.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } },
  });
  if (verbs.length > 0) {
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
    await api.request('POST', `${rbac}/roles`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name },
        rules: [{ apiGroups: ['fledge.dev'], resources: ['rollouts'], verbs }],
      },
    });
    await api.request('POST', `${rbac}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
  }
  const request = await api.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  return request.status.token;
}
